#!/usr/bin/python3
"""make bench: reading Postfix's log, waypost-trackd against the anchors.

make-postfix-log.py writes one synthetic Postfix 3.7 log of --lines lines
(default 1,000,000; maillog_file's timestamps unless --format says
otherwise; see that script for the mix of outcomes) into a temporary
directory, once; it also says how many messages the log holds (queue IDs
with a qmgr from= line, Postfix's notifications among them). Then
--rounds rounds alternate the four sides below on that same file, after
one run of waypost-trackd with records = no that is not counted (the
warm-up):

- pflogsumm (Debian's), `pflogsumm FILE`, its report thrown away: from
  its start to its exit. Its CPU time and peak RSS come from GNU time
  (bench_common.run_measured()): a child of this script would carry this
  script's own resident high-water mark into its ru_maxrss across exec.
- prometheus-postfix-exporter (Debian's 0.3.0), counters only. It only
  follows a file from its end (hpcloud/tail, SeekEnd), so it starts on an
  empty file of the round's own and the log is appended to that file in
  one copy; then one last line, `postfix/benchend[1]: end of the log`,
  which it counts as unsupported under a service of its own. The time is
  from the start of the copy until its /metrics (polled every POLL_SECONDS)
  shows postfix_unsupported_log_entries_total{service="benchend"}: it
  reads lines in order in one goroutine, so every line before has been
  counted then. CPU time from /proc/PID/stat across the round, peak RSS
  its VmHWM before it is stopped. Its showq socket points nowhere: the
  queue is not what is measured.
- waypost-trackd + Redis (trackd_run.with_records()): the daemon
  (`waypost-trackd -f -c FILE`, [track] log_file the log itself, user
  nobody, relay_name bench) reading the log from its beginning with its
  records, events, suppressions and position in a private redis-server
  started for the round (loopback, no persistence, empty), [log] level =
  warning: at info it writes one line per outcome (about 227,000 here),
  which is not what this side measures. The time is from its start until
  the position it saves with every batch (waypost:track-position:bench,
  "DEVICE INODE OFFSET HASH", read every 50 ms) has OFFSET equal to the
  file's size: every line is then in Redis. CPU seconds of the daemon
  and of redis-server from /proc/PID/stat, apart; peak RSS the daemon's
  VmHWM before it is stopped.
- waypost-trackd, records = no (trackd_run.lines_only()): no Redis, the
  log as standard input (the same reader; the daemon ends at its end),
  [log] level = info, its one line per outcome to a file: its output.
  From start to exit, CPU time and peak RSS from GNU time.

Redis memory per tracked message: Redis's used_memory once the daemon
has read the log, less its used_memory empty before the daemon started,
over the log's messages (the median of the rounds). In the last round it
is split by key kind (the word after waypost:), each stream's MEMORY
USAGE whole and up to 2,000 keys of each other kind (random) times their
count, and the events of the all-tenant stream are counted by type next
to the log's lines, with ids that came twice; records = no's counters
are printed next to them too.

Then the event latency behind a live Postfix (trackd_latency.py): a
private Postfix on 127.0.0.1 relaying to smtp-sink, waypost-trackd
following its maillog_file with its records in a private Redis, and
smtp-source paced at each of --latency-rates messages per second for
--latency-seconds (0: none). Latency of a delivery: from the moment a
tailer thread saw its status=sent line in the maillog to the moment its
"delivered" event reached a reader thread blocked in XREAD on
waypost:events; the part before Redis added the event (its stream entry
ID's milliseconds) is printed too. The machine has two cores, and
Postfix, smtp-source and the sink need most of them near 500 msg/s: the
rate reached is printed, and the lower rate shows the daemon without
that contention.

Printed: medians over the rounds of lines per second (wall clock), CPU
seconds (own process; Redis apart), lines per CPU second (Redis's
included), peak RSS, each round's figures, the ratios between the
systems, bytes per message and their split, the event counts, and for
each rate the offered and delivered rates, the latency's count, p50, p99
and largest, deliveries without an event, CPU per message of the daemon
and of Redis, the share of the machine's CPU time that was busy (other
users' too) and the share the hypervisor took (steal), and the lines the
daemon logged (its first five). The machine is shared: quote medians and
ratios. Targets of issue 21 for waypost-trackd (printed, never judged):
at least 2x the faster anchor's lines/s while doing more (per-recipient
records and events in Redis), at least 50,000 lines/s; Redis memory
under 2 KB per tracked message; event latency p99 under 250 ms at 500
msg/s.

Run as root (it installs the two Debian packages and GNU time if they
are missing): /usr/bin/python3 tests/bench/bench_track.py --build build
[--rounds 3] [--lines 1000000] [--format maillog|syslog|rfc3339]
[--queue-ids short|long] [--latency-rates 500,250] [--latency-seconds
20]. Needs redis-server, python3-redis, postfix (smtp-source, smtp-sink)
for the daemon's sides. Every process it starts is stopped at the end,
on error, Ctrl-C or SIGTERM too, and it checks that none of the live
relay's is left (exit status 1 if one is).
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_common import (Filter, alternate, free_port, install_anchors,
                          process_cpu_seconds, report_left, run_measured)
from trackd_latency import measure as measure_latency, percentile
from trackd_run import TrackdFiles, lines_only, with_records

PACKAGES = {"pflogsumm": "pflogsumm",
            "prometheus-postfix-exporter": "prometheus-postfix-exporter",
            "/usr/bin/time": "time"}
POLL_SECONDS = 0.05
END_LINE = "postfix/benchend[1]: end of the log\n"
END_METRIC = 'postfix_unsupported_log_entries_total{service="benchend"}'
COPY_BYTES = 1 << 20
RATIO_TARGET = 2.0
RATE_TARGET = 50000
MEMORY_TARGET = 2048
LATENCY_RATE = 500
LATENCY_TARGET_MS = 250
HERE = os.path.dirname(os.path.abspath(__file__))
OURS = "waypost-trackd + Redis"
LINES_ONLY = "waypost-trackd, records = no"





def make_log(options, work):
    """The log file, its lines, the time it took, the generator's summary,
    its lines by kind and its messages."""
    path = os.path.join(work, "postfix.log")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "make-postfix-log.py"),
         "--lines", str(options.lines), "--seed", str(options.seed),
         "--format", options.format, "--queue-ids", options.queue_ids,
         "--output", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    if result.returncode != 0:
        raise RuntimeError(f"make-postfix-log.py failed:\n{result.stderr}")
    with open(path, "rb") as f:
        lines = sum(block.count(b"\n") for block in
                    iter(lambda: f.read(COPY_BYTES), b""))
    kinds = dict((name, int(count)) for name, count in (
        item.rsplit(" ", 1) for item in
        re.search(r"by kind: ([^;]*);", result.stderr).group(1).split(", ")))
    messages = int(re.search(r"messages \(queue IDs with a qmgr from= "
                             r"line\) (\d+)", result.stderr).group(1))
    return (path, lines, time.monotonic() - started, result.stderr.strip(),
            kinds, messages)


def pflogsumm(path, lines, work):
    """One pflogsumm run over the file: lines/s, CPU s, peak RSS KiB."""
    with open(os.path.join(work, "pflogsumm.out"), "w") as out:
        elapsed, cpu, peak, status = run_measured(["pflogsumm", path],
                                                  stdout=out)
    if status != 0:
        raise RuntimeError(f"pflogsumm exited {status}")
    with open(os.path.join(work, "pflogsumm.out")) as f:
        totals = f.read()
    counted = {word: int(number) for number, word in re.findall(
        r"^ *(\d+) +(received|delivered|bounced|rejected)\b", totals,
        re.MULTILINE)}
    return {"rate": lines / elapsed, "seconds": elapsed, "cpu": cpu,
            "rss_kb": peak, "counted": counted}


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=10) as response:
        return response.read().decode()


def exporter(path, lines, work, round_number):
    """One prometheus-postfix-exporter run, fresh, on a file of its own
    that the log is appended to: lines/s, CPU s, peak RSS KiB."""
    followed = os.path.join(work, f"exporter-{round_number}.log")
    open(followed, "w").close()
    port = free_port()
    daemon = Filter("prometheus-postfix-exporter", [
        "prometheus-postfix-exporter",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--postfix.logfile_path={followed}",
        f"--postfix.showq_path={os.path.join(work, 'no-showq')}"],
        ("127.0.0.1", port), os.path.join(work, "exporter.out"))
    try:
        scrape(port)  # it has opened the file and seeked to its end
        cpu = process_cpu_seconds([daemon.process.pid])
        started = time.monotonic()
        with open(path, "rb") as source, open(followed, "ab") as target:
            shutil.copyfileobj(source, target, COPY_BYTES)
            target.write(END_LINE.encode())
        deadline = started + 900
        while END_METRIC not in scrape(port):
            if daemon.process.poll() is not None:
                raise RuntimeError("prometheus-postfix-exporter ended")
            if time.monotonic() > deadline:
                raise RuntimeError("prometheus-postfix-exporter did not "
                                   "reach the end of the log in 900 s")
            time.sleep(POLL_SECONDS)
        elapsed = time.monotonic() - started
        result = {"rate": lines / elapsed, "seconds": elapsed,
                  "cpu": process_cpu_seconds([daemon.process.pid]) - cpu,
                  "rss_kb": daemon.peak_rss_kb()}
        metrics = scrape(port)
        result["counted"] = {name: int(float(value)) for name, value in
                             re.findall(r"^postfix_(smtpd_connects_total|"
                                        r"qmgr_messages_removed_total) "
                                        r"(\S+)$", metrics, re.MULTILINE)}
    finally:
        daemon.stop()
        os.unlink(followed)
    return result


class Trackd:
    """waypost-trackd's two sides, round after round; the last round of
    the side with records also analyses Redis's memory and events."""

    def __init__(self, files, path, lines, messages, rounds):
        self.files = files
        self.path = path
        self.lines = lines
        self.messages = messages
        self.rounds = rounds
        self.runs = 0

    def with_records(self):
        self.runs += 1
        return with_records(self.files, self.path, self.lines,
                            self.messages, f"records-{self.runs}",
                            analyse=self.runs == self.rounds)

    def lines_only(self, name="lines-only"):
        return lines_only(self.files, self.path, self.lines, name)


def counted(run):
    return ", ".join(f"{word} {n}" for word, n in run["counted"].items())


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def all_cpu(run):
    """The CPU seconds of a side: the program's and, for waypost-trackd,
    Redis's."""
    return run["cpu"] + run.get("redis_cpu", 0.0)


def report(sides, lines):
    print(f"{'system':30} {'lines/s':>9} {'s':>7} {'CPU s':>7} "
          f"{'Redis CPU s':>11} {'lines/CPU s':>12} {'peak RSS':>9}")
    for name, runs in sides.items():
        redis = (f"{median(runs, 'redis_cpu'):11.2f}" if name == OURS
                 else f"{'':11}")
        print(f"{name:30} {median(runs, 'rate'):9.0f} "
              f"{median(runs, 'seconds'):7.2f} {median(runs, 'cpu'):7.2f} "
              f"{redis} "
              f"{lines / statistics.median(map(all_cpu, runs)):12.0f} "
              f"{median(runs, 'rss_kb') / 1024:7.1f} MB")
    print()
    if OURS in sides:
        runs = sides[OURS]
        script = median(runs, "script_seconds")
        inner = median(runs, "script_command_seconds")
        print(f"Redis's time in the record script (INFO commandstats, "
              f"medians): {script:.2f} s, of which the commands it called "
              f"{inner:.2f} s ({inner / script:.0%}) and the script's own "
              f"work (Lua, JSON, arguments, dispatch) {script - inner:.2f} "
              f"s\n")
    for name, runs in sides.items():
        redis = (f", Redis CPU {[round(r['redis_cpu'], 2) for r in runs]} s"
                 if name == OURS else "")
        print(f"runs, {name}: {[round(r['rate']) for r in runs]} lines/s, "
              f"CPU {[round(r['cpu'], 2) for r in runs]} s{redis}, peak RSS "
              f"{[round(r['rss_kb'] / 1024, 1) for r in runs]} MB")


def report_ratios(sides, kinds, lines):
    theirs = sides["pflogsumm"]
    exported = sides["prometheus-postfix-exporter"]
    ratio = median(exported, "rate") / median(theirs, "rate")
    cpu_ratio = median(theirs, "cpu") / median(exported, "cpu")
    print(f"\nprometheus-postfix-exporter / pflogsumm: {ratio:.2f}x the "
          f"lines/s; CPU seconds, pflogsumm over the exporter: "
          f"{cpu_ratio:.2f}x")
    print(f"what they counted (last round), against the log's lines: "
          f"pflogsumm {counted(theirs[-1])} (smtp status=sent lines "
          f"{kinds.get('smtp-sent', 0)}, status=bounced "
          f"{kinds.get('smtp-bounced', 0)}, client= "
          f"{kinds.get('smtpd-client', 0)}, NOQUEUE "
          f"{kinds.get('smtpd-reject', 0)}); the exporter "
          f"{counted(exported[-1])} (connect from "
          f"{kinds.get('smtpd-connect', 0)}, qmgr removed "
          f"{kinds.get('qmgr-removed', 0)})")
    faster_name = max(("pflogsumm", "prometheus-postfix-exporter"),
                      key=lambda name: median(sides[name], "rate"))
    faster = sides[faster_name]
    target = max(RATIO_TARGET * median(faster, "rate"), RATE_TARGET)
    for name in (OURS, LINES_ONLY):
        if name not in sides:
            continue
        mine = sides[name]
        cpu = statistics.median(map(all_cpu, mine)) / median(faster, "cpu")
        print(f"{name} / the faster anchor ({faster_name}): "
              f"{median(mine, 'rate') / median(faster, 'rate'):.2f}x the "
              f"lines/s; its CPU seconds"
              f"{' with Redis' if name == OURS else ''} {cpu:.2f}x the "
              f"anchor's")
    if OURS in sides:
        mine = median(sides[OURS], "rate")
        print(f"target (issue 21) for {OURS}: {RATIO_TARGET:.0f}x the faster "
              f"anchor and at least {RATE_TARGET} lines/s, here "
              f"{target:.0f} lines/s: {mine:.0f} lines/s, "
              f"{mine / target:.2f}x that")
        floor = sides[OURS][-1].get("floor")
        if floor:
            rate = lines / floor["seconds"]
            print(f"Redis's floor for this log (trackd_run.redis_floor(), "
                  f"last round: the data it stored written again with the "
                  f"fewest commands, {floor['commands']} of them, by one "
                  f"redis-cli --pipe into a fresh Redis): "
                  f"{floor['seconds']:.2f} s, Redis CPU "
                  f"{floor['redis_cpu']:.2f} s, so {rate:.0f} lines/s at "
                  f"most, {rate / target:.2f}x the target; {OURS} reached "
                  f"{mine / rate:.2f} of it")
    else:
        print(f"waypost-trackd: no figure (not built); its target (issue "
              f"21): {RATIO_TARGET:.0f}x the faster anchor, here "
              f"{target:.0f} lines/s, and at least {RATE_TARGET} lines/s")


def report_memory(runs, messages):
    per_message = [r["bytes_per_message"] for r in runs]
    last = runs[-1]
    print(f"\nRedis memory per tracked message (used_memory after the log "
          f"less before, over the log's {messages} messages): "
          f"{statistics.median(per_message):.0f} bytes (rounds "
          f"{[round(b) for b in per_message]}; target under "
          f"{MEMORY_TARGET}); in all {last['redis_bytes'] / 1e6:.0f} MB "
          f"(last round)")
    by_kind = last["by_kind"]
    print("  by key kind (last round; MEMORY USAGE of each stream whole "
          "and of up to 2,000 keys of each other kind, times the count):")
    for kind, (keys, size) in sorted(by_kind.items(),
                                     key=lambda item: -item[1][1]):
        print(f"    {kind:22} {keys:8} keys {size / 1e6:8.1f} MB "
              f"{size / messages:7.0f} bytes/message "
              f"{size / last['redis_bytes']:6.1%}")
    rest = last["redis_bytes"] - sum(size for _, size in by_kind.values())
    print(f"    {'not in MEMORY USAGE':22} {'':8}      {rest / 1e6:8.1f} MB "
          f"{rest / messages:7.0f} bytes/message "
          f"{rest / last['redis_bytes']:6.1%} (Redis's own tables: keys, "
          f"expiry times)")
    streams = sum(size for kind, (_, size) in by_kind.items()
                  if kind.startswith("events"))
    records = by_kind.get("message", (0, 0))[1]
    print(f"  streams {streams / last['redis_bytes']:.0%} "
          f"({streams / messages:.0f} bytes/message), records (message:*) "
          f"{records / last['redis_bytes']:.0%} "
          f"({records / messages:.0f} bytes/message)")


def report_counts(ours, lines_run, kinds, messages):
    types, repeated = ours[-1]["events"]
    print(f"\nevents in waypost:events (last round): "
          f"{', '.join(f'{t} {n}' for t, n in sorted(types.items()))}; "
          f"ids that came twice: {repeated}")
    print(f"the log: messages {messages}, smtp status=sent "
          f"{kinds.get('smtp-sent', 0)}, status=bounced "
          f"{kinds.get('smtp-bounced', 0)}, status=deferred "
          f"{kinds.get('smtp-deferred', 0)}, qmgr expired "
          f"{kinds.get('qmgr-expired', 0)}, postsuper removed "
          f"{kinds.get('postsuper-removed', 0)}")
    warnings = [line for run in ours for line in run["warnings"]]
    print(f"{OURS} logged {len(warnings)} lines at level warning (all "
          f"rounds)")
    for line in warnings[:5]:
        print(f"    {line}")
    summary = lines_run[-1]["summary"]
    print(f"{LINES_ONLY} counted (last round): "
          f"{' '.join(f'{k}={v}' for k, v in summary.items())}; "
          f"{lines_run[-1]['log_lines']} log lines written")


def report_latency(results, seconds):
    print(f"\nevent latency behind a live Postfix (smtp-source paced for "
          f"{seconds:g} s, 1 KB messages, a private Postfix relaying to "
          f"smtp-sink, waypost-trackd following its maillog_file, records "
          f"in a private Redis): status=sent line seen -> delivered event "
          f"read from waypost:events")
    for rate, r in results:
        latencies, added = r["latencies"], r["added"]
        if not latencies:
            print(f"  at {rate} msg/s: no event arrived")
            continue
        ms = [round(percentile(latencies, q) * 1000, 1)
              for q in (0.5, 0.99, 1.0)]
        before = [round(percentile(added, q) * 1000, 1) for q in (0.5, 0.99)]
        print(f"  at {rate} msg/s: offered {r['offered_rate']:.0f} msg/s "
              f"({r['offered']} messages), Postfix delivered "
              f"{r['delivered_rate']:.0f} msg/s")
        print(f"    latency of {len(latencies)} delivered events: p50 "
              f"{ms[0]} ms, p99 {ms[1]} ms, largest {ms[2]} ms (target p99 "
              f"under {LATENCY_TARGET_MS} ms at {LATENCY_RATE} msg/s)")
        print(f"    until Redis added the event: p50 {before[0]} ms, p99 "
              f"{before[1]} ms; deliveries without an event: "
              f"{r['missing']}")
        print(f"    CPU per message: waypost-trackd {r['trackd_ms']:.3f} ms, "
              f"Redis {r['redis_ms']:.3f} ms; CPUs busy {r['busy']:.0%}, "
              f"steal {r['steal']:.0%}; the daemon logged "
              f"{len(r['warnings'])} lines")
        for line in r["warnings"][:5]:
            print(f"      {line}")
        if r["delivered_rate"] < 0.95 * rate:
            print(f"    {rate} msg/s was not reached on this machine: "
                  f"Postfix delivered {r['delivered_rate']:.0f} msg/s")


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="top build directory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--format", default="maillog",
                        choices=("maillog", "syslog", "rfc3339"))
    parser.add_argument("--queue-ids", default="short",
                        choices=("short", "long"))
    parser.add_argument("--latency-rates", default=f"{LATENCY_RATE},250",
                        help="messages per second, comma-separated")
    parser.add_argument("--latency-seconds", type=float, default=20,
                        help="seconds of load per rate; 0: no latency")
    options = parser.parse_args()
    options.build = os.path.abspath(options.build)
    options.latency_rates = [int(r) for r in options.latency_rates.split(",")]
    return options


def main():
    options = parse_options()
    install_anchors(PACKAGES, "bench_track")
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(1))
    work = tempfile.mkdtemp(prefix="waypost-bench-track-")
    left = []
    try:
        path, lines, made, summary, kinds, messages = make_log(options, work)
        print(f"reading Postfix's log: one synthetic log of {lines} lines "
              f"({os.path.getsize(path) / 1e6:.0f} MB, {options.format} "
              f"timestamps, {options.queue_ids} queue IDs, seed "
              f"{options.seed}; made in {made:.1f} s), {options.rounds} "
              f"rounds alternating, medians\n{summary}\n", flush=True)
        rounds = iter(range(10 ** 6))
        runners = {
            "pflogsumm": lambda: pflogsumm(path, lines, work),
            "prometheus-postfix-exporter":
                lambda: exporter(path, lines, work, next(rounds))}
        files = TrackdFiles(options.build, work)
        trackd = Trackd(files, path, lines, messages, options.rounds)
        if files.built():
            trackd.lines_only("warm-up")  # not counted
            runners[OURS] = trackd.with_records
            runners[LINES_ONLY] = trackd.lines_only
        else:
            print(f"waypost-trackd: not built ({files.program})")
        sides = dict(zip(runners, alternate(options.rounds,
                                            *runners.values())))
        print()
        report(sides, lines)
        report_ratios(sides, kinds, lines)
        if not files.built():
            return
        report_memory(sides[OURS], messages)
        report_counts(sides[OURS], sides[LINES_ONLY], kinds, messages)
        if options.latency_seconds > 0:
            results = []
            for rate in options.latency_rates:
                results.append((rate, measure_latency(
                    files, work, rate, options.latency_seconds)))
                left += results[-1][1]["left"]
            report_latency(results, options.latency_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if report_left("processes of the live relay", left):
        sys.exit(1)


if __name__ == "__main__":
    main()
