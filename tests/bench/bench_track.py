#!/usr/bin/python3
"""make bench: reading Postfix's log, waypost-trackd against the anchors.

make-postfix-log.py writes one synthetic Postfix 3.7 log of --lines lines
(default 1,000,000; maillog_file's timestamps unless --format says
otherwise; see that script for the mix of outcomes) into a temporary
directory, once. Then --rounds rounds alternate the anchors of issue 21
on that same file, and waypost-trackd once it exists:

- pflogsumm (Debian's), `pflogsumm FILE`, its report thrown away: from
  its start to its exit. Its CPU time and peak RSS come from wait4(),
  whose ru_maxrss is the kernel's high-water mark of its resident set,
  the VmHWM that /proc shows while it runs.
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
- waypost-trackd: waypost_trackd() below, the place where the daemon is
  to be driven with its Redis writes; until it is built it prints so and
  the benchmark has no figure for it.

Printed: medians over the rounds of lines per second (wall clock), CPU
seconds and lines per CPU second, peak RSS, each round's figures, and the
ratios between the systems. The machine is shared: quote medians and
ratios. Targets of issue 21 for waypost-trackd (printed, never judged
while it does not exist): at least 2x the faster anchor's lines/s while
doing more (per-recipient records and events in Redis), at least 50,000
lines/s.

Run as root (it installs the two Debian packages if they are missing):
/usr/bin/python3 tests/bench/bench_track.py --build build [--rounds 3]
[--lines 1000000] [--format maillog|syslog|rfc3339] [--queue-ids
short|long]. Every process it starts is stopped at the end, on error or
Ctrl-C too.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_common import Filter, alternate, free_port, process_cpu_seconds

PACKAGES = {"pflogsumm": "pflogsumm",
            "prometheus-postfix-exporter": "prometheus-postfix-exporter"}
POLL_SECONDS = 0.05
END_LINE = "postfix/benchend[1]: end of the log\n"
END_METRIC = 'postfix_unsupported_log_entries_total{service="benchend"}'
COPY_BYTES = 1 << 20
RATIO_TARGET = 2.0
RATE_TARGET = 50000
HERE = os.path.dirname(os.path.abspath(__file__))


def install_anchors():
    """apt-get install the anchors that are missing; exit if we cannot."""
    missing = [p for c, p in PACKAGES.items() if not shutil.which(c)]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"bench_track: {', '.join(missing)} missing; run as root "
                 f"to have them installed")
    print(f"installing {', '.join(missing)}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for update in (False, True):  # package lists may be missing or old
        if update:
            subprocess.run(["apt-get", "update", "-q"], env=env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        result = subprocess.run(["apt-get", "install", "-y", "-q", *missing],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        if result.returncode == 0:
            break
    if result.returncode != 0 or not all(map(shutil.which, PACKAGES)):
        sys.exit(f"bench_track: apt-get install failed:\n{result.stdout}")


def make_log(options, work):
    """The log file, its lines and the generator's summary."""
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
    return (path, lines, time.monotonic() - started, result.stderr.strip(),
            kinds)


def pflogsumm(path, lines, work):
    """One pflogsumm run over the file: lines/s, CPU s, peak RSS KiB."""
    with open(os.path.join(work, "pflogsumm.out"), "w") as out:
        started = time.monotonic()
        process = subprocess.Popen(["pflogsumm", path], stdout=out,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"pflogsumm exited {process.returncode}")
    with open(os.path.join(work, "pflogsumm.out")) as f:
        totals = f.read()
    counted = {word: int(number) for number, word in re.findall(
        r"^ *(\d+) +(received|delivered|bounced|rejected)\b", totals,
        re.MULTILINE)}
    return {"rate": lines / elapsed, "seconds": elapsed,
            "cpu": usage.ru_utime + usage.ru_stime,
            "rss_kb": usage.ru_maxrss, "counted": counted}


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


# ---- waypost-trackd: drive the daemon here (issue 21) ----
def waypost_trackd(build, path, lines, work):
    """waypost-trackd's place in this benchmark: to return, as the two
    anchors do, {"rate": lines/s, "seconds", "cpu": CPU s, "rss_kb"} for
    one run over path with its Redis writes (a private redis-server; the
    time until the record of the file's last outcome is in Redis; CPU of
    the daemon and of Redis). Until the daemon is built and driven here,
    None: no figure is ever made up."""
    program = os.path.join(build, "track", "waypost-trackd")
    if not os.access(program, os.X_OK):
        print("waypost-trackd: not built yet")
    else:
        print("waypost-trackd: built, but this benchmark does not drive it "
              "yet")
    return None


def counted(run):
    return ", ".join(f"{word} {n}" for word, n in run["counted"].items())


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def report(sides, lines):
    print(f"{'system':30} {'lines/s':>9} {'s':>7} {'CPU s':>7} "
          f"{'lines/CPU s':>12} {'peak RSS':>9}")
    for name, runs in sides.items():
        print(f"{name:30} {median(runs, 'rate'):9.0f} "
              f"{median(runs, 'seconds'):7.2f} {median(runs, 'cpu'):7.2f} "
              f"{lines / median(runs, 'cpu'):12.0f} "
              f"{median(runs, 'rss_kb') / 1024:7.1f} MB")
    print()
    for name, runs in sides.items():
        print(f"runs, {name}: {[round(r['rate']) for r in runs]} lines/s, "
              f"CPU {[round(r['cpu'], 2) for r in runs]} s, peak RSS "
              f"{[round(r['rss_kb'] / 1024, 1) for r in runs]} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="top build directory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--format", default="maillog",
                        choices=("maillog", "syslog", "rfc3339"))
    parser.add_argument("--queue-ids", default="short",
                        choices=("short", "long"))
    options = parser.parse_args()
    install_anchors()
    work = tempfile.mkdtemp(prefix="waypost-bench-track-")
    try:
        path, lines, made, summary, kinds = make_log(options, work)
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
        # A first run, if it can run at all, is its warm-up.
        ours = waypost_trackd(options.build, path, lines, work)
        if ours is not None:
            runners["waypost-trackd + Redis"] = lambda: waypost_trackd(
                options.build, path, lines, work)
        sides = dict(zip(runners, alternate(options.rounds,
                                            *runners.values())))
        theirs = sides["pflogsumm"]
        exported = sides["prometheus-postfix-exporter"]
        print()
        report(sides, lines)
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
        faster = max(median(theirs, "rate"), median(exported, "rate"))
        target = max(RATIO_TARGET * faster, RATE_TARGET)
        if ours is not None:
            mine = median(sides["waypost-trackd + Redis"], "rate")
            print(f"waypost-trackd / the faster anchor: {mine / faster:.2f}x "
                  f"(target {RATIO_TARGET:.0f}x, and {RATE_TARGET} lines/s)")
        else:
            print(f"waypost-trackd: no figure (not built yet); its target "
                  f"(issue 21): {RATIO_TARGET:.0f}x the faster anchor, "
                  f"here {target:.0f} lines/s, and at least {RATE_TARGET} "
                  f"lines/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
