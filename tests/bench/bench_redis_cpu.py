#!/usr/bin/python3
"""make bench: Redis CPU per relayed message, against a plain INCR.

Redis is the one part every relay of a site shares, so its CPU per
relayed message sets how many relays one Redis serves (issue 24). This
measures it through a real relay: bench_relay.py's Postfix + Waypost
(RSA-2048; waypost-headers and waypost-dkim as milters, waypost-policyd
at RCPT and END-OF-DATA with the three limits of bench_policy.py keyed
on the sender: messages per hour and recipients per day per sender,
messages per minute per client address; maxima never reached) and a
private redis-server that nothing else uses. smtp-source -s --sessions
-m --messages -l 1024 sends, a new sender each run, and a run lasts
until Postfix's maillog_file shows every recipient sent; every message
must be delivered, signed and charged (bench_relay.py's checks).

Around each run the bench reads Redis' INFO cpu (used_cpu_sys +
used_cpu_user: the whole process) and INFO commandstats: Redis CPU
microseconds per relayed message, and per message the script calls
(EVALSHA, or FCALL) and the commands those scripts made. Three kinds of
run, in turns:

- 1 recipient per message;
- 5 recipients per message (smtp-source -r 5: five RCPT checks, one
  END-OF-MESSAGE charge);
- 1 recipient with check_cache_time = 0 (a second relay, the same
  lines): what a message costs when no RCPT check is answered from
  waypost-policyd's check cache, as for a site whose senders each send
  less than once a second; each run above has one sender, whose checks
  the cache answers after the first.

Between them, the anchor: redis-benchmark -t incr (--incr-requests
INCRs of 100,000 keys, as many clients as smtp-source has sessions, no
pipelining) on the same Redis, Redis CPU microseconds per INCR, and the
ratio; and the floors of one request per message: --messages requests
one at a time over one connection at the msgs/s of the round's
1-recipient run, so that Redis sleeps between requests as it does
behind a relay (its wakeup and the request's system calls then cost it
several times what they cost under redis-benchmark, which keeps it
busy): a plain INCR; an empty script (EVALSHA of "return 0") given the
decision's 17 keys and 27 arguments; and the decision alone
(decide_script.lua charging bench_policy.py's three limits as
policy/script_call.c calls it, one sender, a new message each time, no
Postfix or waypost-policyd around it). And the decision alone under
redis-benchmark (--incr-requests / 4 of them, as many clients as
sessions, 1,000 users): its cost in a Redis that many relays keep busy,
so the decisions per second one Redis core makes. Printed:
each run, then medians over --rounds rounds, and the
number of relays at Postfix's full speed one Redis core serves:
1e6 / (microseconds per message x the msgs/s of the relay in that run).

--baseline BUILD: the 1-recipient runs, with and without the check
cache, also on relays whose daemons are another build tree's (the code
before a change), in the same rounds; the medians' ratio is printed.

--profile LINES: after the rounds, perf record -g of redis-server
during one more 1-recipient run, and its top symbols (perf report
--no-children); needs perf (Debian's linux-perf).

Target (issue 24): half of the Redis CPU per relayed message measured
before it (about 70 to 78 microseconds per END-OF-MESSAGE decision) or
less. Run as root after make: /usr/bin/python3
tests/bench/bench_redis_cpu.py --build build/main [--rounds 3]
[--messages 2000]. Everything listens on 127.0.0.1 only; every process
it starts is stopped at the end, after an error or Ctrl-C too.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

from bench_common import (RedisServer, Sink, alternate, resp, run,
                          work_directory)
from bench_policy import RANDOM, ceiling_words, script_text
from bench_relay import (INTERNAL, MESSAGE_BYTES, POLICY_EXTRA,
                         WARMUP_MESSAGES, Maillog, Waypost,
                         policy_limits, smarthost_config, stop_relays)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness.dkim_keys import KeyStore  # noqa: E402

BEFORE_US = "70 to 78"  # issue 24, per END-OF-MESSAGE decision
INCR_ANCHOR_US = 12  # ANCHORS.md, turn 2
RECIPIENT = "b@example.net"
SCRIPT_COMMANDS = ("evalsha", "eval", "fcall", "fcall_ro")
COMMANDSTAT = re.compile(r"^cmdstat_([^:]+):calls=(\d+),usec=(\d+)", re.M)
POLL_SECONDS = 0.01


class Relay(Waypost):
    """bench_relay.py's Postfix + Waypost, waypost-policyd's [policy]
    lines plus extra."""

    def __init__(self, build, work, redis, keys, key, title, suffix,
                 extra=""):
        super().__init__(build, work, redis, keys, key, title, suffix)
        self.extra = extra

    def start(self, sink, work):
        self.headers.start(INTERNAL)
        self.dkim.start(INTERNAL)
        self.policy.start(policy_limits(),
                          policy_extra=POLICY_EXTRA + self.extra)
        self.start_postfix(sink, *smarthost_config(self.directory))


def redis_usage(redis):
    """Redis' CPU seconds so far and {command: (calls, usec)}."""
    cpu = redis.cli("INFO", "cpu")
    seconds = sum(float(re.search(rf"^{name}:([0-9.]+)", cpu, re.M)[1])
                  for name in ("used_cpu_sys", "used_cpu_user"))
    stats = {name: (int(calls), int(usec)) for name, calls, usec in
             COMMANDSTAT.findall(redis.cli("INFO", "commandstats"))}
    return seconds, stats


def usage_since(before, after, count):
    """Per count (messages, INCRs): Redis CPU microseconds, and
    {command: (calls, usec)} of the commands that ran."""
    seconds = (after[0] - before[0]) * 1e6 / count
    commands = {}
    for name, (calls, usec) in after[1].items():
        was = before[1].get(name, (0, 0))
        if calls > was[0] and name != "info":
            commands[name] = ((calls - was[0]) / count,
                              (usec - was[1]) / count)
    return seconds, commands


def source(port, sender, messages, sessions, recipients, output):
    return subprocess.Popen(
        ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l",
         str(MESSAGE_BYTES), "-r", str(recipients), "-f", sender, "-t",
         RECIPIENT, f"127.0.0.1:{port}"], stdout=output,
        stderr=subprocess.STDOUT)


def relay_run(setup, sink, work, messages, sessions, recipients):
    """One run: msgs/s and Redis' work per message. Every message must
    be delivered to each recipient, signed and charged."""
    setup.runs += 1
    sender = f"{setup.name}-{setup.runs}@example.com"
    output = os.path.join(work, "smtp-source.out")
    log = Maillog(setup.postfix.maillog)
    setup.mark()
    sunk = sink.messages()
    before = redis_usage(setup.redis)
    with open(output, "w") as out:
        start = time.monotonic()
        process = source(setup.postfix.port, sender, messages, sessions,
                         recipients, out)
        deadline = start + 60 + messages / 10
        try:
            while log.read()["sent"] < messages * recipients:
                if (log.lost() or process.poll() not in (None, 0) or
                        time.monotonic() > deadline):
                    raise RuntimeError(f"{setup.title}: {log.counts} of "
                                       f"{messages} x {recipients}")
                time.sleep(POLL_SECONDS)
            end = time.monotonic()
            status = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    after = redis_usage(setup.redis)
    problems = setup.check(sender, messages)
    if sink.messages() - sunk != messages:
        problems.append(f"smtp-sink counted {sink.messages() - sunk}")
    with open(output) as f:
        said = f.read().strip()
    if status != 0 or said:
        problems.append(f"smtp-source exit {status}: {said}")
    if problems:
        raise RuntimeError(f"{setup.title}: " + "; ".join(problems))
    us, commands = usage_since(before, after, messages)
    return {"rate": messages / (end - start), "us": us,
            "commands": commands}


def scripts_of(commands):
    return sum(calls for name, (calls, _) in commands.items()
               if name in SCRIPT_COMMANDS)


def inner_of(commands):
    return sum(calls for name, (calls, _) in commands.items()
               if name not in SCRIPT_COMMANDS)


def relay_side(setup, sink, work, options, recipients, title, rates=None):
    def side():
        result = relay_run(setup, sink, work, options.messages,
                           options.sessions, recipients)
        if rates is not None:
            rates.append(result["rate"])
        print(f"  {title}: {result['rate']:.0f} msgs/s, Redis "
              f"{result['us']:.1f} us per message, "
              f"{scripts_of(result['commands']):.2f} script calls and "
              f"{inner_of(result['commands']):.1f} commands in them",
              flush=True)
        return result
    return side


def incr_side(redis, options):
    """redis-benchmark -t incr: Redis CPU microseconds per INCR."""
    def side():
        before = redis_usage(redis)
        result = run(["redis-benchmark", "-h", "127.0.0.1", "-p",
                      str(redis.port), "-c", str(options.sessions), "-n",
                      str(options.incr_requests), "-r", "100000", "-t",
                      "incr", "-q"], timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"redis-benchmark: {result.stdout}")
        after = redis_usage(redis)
        us, _ = usage_since(before, after, options.incr_requests)
        print(f"  INCR: Redis {us:.1f} us per INCR", flush=True)
        return {"us": us}
    return side


def paced_side(redis, options, rates, title, words_of):
    """--messages requests words_of(k) one at a time over one connection,
    each waiting for its reply, at the msgs/s of the last 1-recipient run:
    Redis CPU microseconds per request when, as behind a relay, Redis
    sleeps between requests."""
    def side():
        rate = rates[-1]
        before = redis_usage(redis)
        with socket.create_connection(("127.0.0.1", redis.port)) as peer:
            start = time.monotonic()
            for k in range(options.messages):
                peer.sendall(resp(*words_of(k)))
                reply = peer.recv(4096)
                if not reply or reply.startswith(b"-"):
                    raise RuntimeError(f"{title}: {reply!r}")
                delay = start + (k + 1) / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        after = redis_usage(redis)
        us, _ = usage_since(before, after, options.messages)
        print(f"  {title} one at a time at {rate:.0f}/s: Redis {us:.1f} us "
              f"each", flush=True)
        return {"us": us}
    return side


def paced_sides(redis, options, rates):
    """The floors of one request per message, at the relay's rate: a
    plain INCR (what any request costs: Redis' wakeup and the request's
    system calls); an empty script given the decision's keys and
    arguments (what calling a script with them costs); and the decision
    itself (decide_script.lua with bench_policy.py's three limits, as
    policy/script_call.c calls it at END-OF-MESSAGE, one sender, a new
    message each time), without Postfix or waypost-policyd around it."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "..", "policy")
    decide = redis.cli("SCRIPT", "LOAD", script_text(source)).strip()
    empty = redis.cli("SCRIPT", "LOAD", "return 0").strip()
    words = ceiling_words(decide)

    def decision(sha):
        def words_of(k):
            return [sha, *(w.replace(RANDOM, str(k)) if "instance:" in w
                           else w.replace(RANDOM, "000000000001")
                           for w in words[2:])]
        return lambda k: ["EVALSHA", *words_of(k)]
    def busy():
        """The decision under redis-benchmark (as many clients as
        smtp-source has sessions, bench_policy.py's 1,000 users): what a
        decision costs a Redis that many relays keep busy, which rarely
        sleeps between requests."""
        before = redis_usage(redis)
        result = run(["redis-benchmark", "-h", "127.0.0.1", "-p",
                      str(redis.port), "-c", str(options.sessions), "-n",
                      str(options.incr_requests // 4), "-r", "1000", "-q",
                      *words], timeout=900)
        errors = redis.cli("INFO", "errorstats")
        if result.returncode != 0 or "errorstat_" in errors:
            raise RuntimeError(f"redis-benchmark: {result.stdout} {errors}")
        us, _ = usage_since(before, redis_usage(redis),
                            options.incr_requests // 4)
        print(f"  the decision alone under redis-benchmark: Redis {us:.1f} "
              f"us each", flush=True)
        return {"us": us}
    return (busy,
            paced_side(redis, options, rates, "INCR",
                       lambda k: ["INCR", f"bench:paced:{k % 1000}"]),
            paced_side(redis, options, rates, "empty script, the "
                       "decision's keys and arguments,", decision(empty)),
            paced_side(redis, options, rates, "the decision alone",
                       decision(decide)))


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def median_commands(runs):
    """{command: (calls, usec)} per message, medians over runs."""
    names = sorted({n for r in runs for n in r["commands"]})
    return {name: tuple(statistics.median(
        r["commands"].get(name, (0, 0))[i] for r in runs) for i in (0, 1))
        for name in names}


def report(kinds, results, incr, busy, paced):
    incr_us = median(incr, "us")
    print(f"\nmedians of {len(incr)} rounds; INCR: {incr_us:.1f} us of "
          f"Redis CPU per INCR (ANCHORS.md: about {INCR_ANCHOR_US}); one "
          f"at a time at the\nrelay's rate (the floors of one request per "
          f"message): INCR {median(paced[0], 'us'):.1f} us, an empty "
          f"script with the\ndecision's 17 keys and 27 arguments "
          f"{median(paced[1], 'us'):.1f} us, the decision alone "
          f"{median(paced[2], 'us'):.1f} us;\nthe decision alone under "
          f"redis-benchmark {median(busy, 'us'):.1f} us: one Redis core "
          f"decides {1e6 / median(busy, 'us'):.0f}/s when busy")
    print(f"{'run':38} {'msgs/s':>7} {'us/msg':>7} {'x INCR':>7} "
          f"{'scripts':>8} {'commands':>9} {'relays':>7}")
    for title, runs in zip(kinds, results):
        us, rate = median(runs, "us"), median(runs, "rate")
        commands = median_commands(runs)
        print(f"{title:38} {rate:7.0f} {us:7.1f} {us / incr_us:7.2f} "
              f"{scripts_of(commands):8.2f} {inner_of(commands):9.1f} "
              f"{1e6 / (us * rate):7.1f}")
        print("    per message, calls (Redis usec): " + ", ".join(
            f"{name} {calls:.2f} ({usec:.1f})" for name, (calls, usec)
            in sorted(commands.items(), key=lambda c: -c[1][1])))
        print(f"    runs: {[round(r['us'], 1) for r in runs]} us, "
              f"{[round(r['rate']) for r in runs]} msgs/s")
    print("us/msg: Redis' CPU (INFO cpu, used_cpu_sys + used_cpu_user) "
          "per relayed message; scripts:\nscript calls per message; "
          "commands: the commands the scripts made (INFO commandstats;\n"
          "a script's usec includes theirs); relays: relays at Postfix's "
          "full speed (the msgs/s\nof the run) one Redis core serves, "
          "1e6 / (us/msg x msgs/s).")
    for ours, theirs in ((0, 3), (2, 4)) if len(kinds) > 3 else ():
        share = median(results[ours], "us") / median(results[theirs], "us")
        print(f"{kinds[ours]}: {share:.2f} of the baseline's Redis CPU per "
              f"message")
    first = median(results[0], "us")
    print(f"\ntarget (issue 24): half of the Redis CPU per relayed message "
          f"before it ({BEFORE_US} us per\nEND-OF-MESSAGE decision, ANCHORS"
          f".md) or less: {first:.1f} us per 1-recipient message, "
          f"{first / incr_us:.2f} INCRs")


def profile(setup, sink, work, options):
    """perf record -g of redis-server during one run; its top symbols."""
    if not shutil.which("perf"):
        print("\nprofile: no perf (apt-get install linux-perf)")
        return
    data = options.perf_data or os.path.join(work, "perf.data")
    perf = subprocess.Popen(["perf", "record", "-g", "-o", data, "-p",
                             str(setup.redis.process.pid)],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        relay_run(setup, sink, work, options.messages, options.sessions, 1)
    finally:
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=60)
    result = run(["perf", "report", "-i", data, "--no-children", "--stdio",
                  "-g", "none", "--percent-limit", "1.5", "--sort", "symbol"],
                 timeout=300)
    lines = [line for line in result.stdout.splitlines()
             if line.strip() and not line.startswith("#")]
    print("\nprofile of redis-server during one 1-recipient run (perf "
          "report --no-children, symbols over 1.5%):")
    print("\n".join(lines[:options.profile]))


def start_baseline(options, work, sink, redis, keys, key, setups):
    """The relays again with the daemons of another build (--baseline),
    started and warmed up: a before and after side by side."""
    for suffix, extra in (("-baseline", ""),
                          ("-baseline-nocache", "check_cache_time = 0\n")):
        setups.append(Relay(options.baseline, work, redis, keys, key,
                            "RSA-2048, baseline", suffix, extra))
        setups[-1].start(sink, work)
        relay_run(setups[-1], sink, work, WARMUP_MESSAGES, options.sessions,
                  1)


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="top build directory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--incr-requests", type=int, default=200000)
    parser.add_argument("--profile", type=int, default=0, metavar="LINES",
                        help="perf's top LINES symbols after the rounds")
    parser.add_argument("--perf-data", metavar="FILE",
                        help="where --profile keeps perf.data")
    parser.add_argument("--baseline", metavar="BUILD",
                        help="another build tree (before a change) whose "
                        "relays run in the same rounds")
    options = parser.parse_args()
    options.build = os.path.abspath(options.build)
    if options.baseline:
        options.baseline = os.path.abspath(options.baseline)
    return options


def main():
    options = parse_options()
    needed = ("postfix", "smtp-source", "smtp-sink", "redis-server",
              "redis-cli", "redis-benchmark")
    if os.geteuid() != 0 or not all(shutil.which(p) for p in needed):
        sys.exit(f"bench_redis_cpu: run as root with {', '.join(needed)}")
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(1))
    work = work_directory()
    setups, filters = [], []
    try:
        filters.append(Sink(work))
        filters.append(RedisServer(work))
        sink, redis = filters
        print(f"Redis CPU per relayed message: smtp-source -s "
              f"{options.sessions} -m {options.messages} -l {MESSAGE_BYTES} "
              f"into Postfix + Waypost (RSA-2048)\non 127.0.0.1, "
              f"waypost-policyd at RCPT and END-OF-DATA with 3 limits, a "
              f"private Redis;\n{options.rounds} rounds alternating with "
              f"redis-benchmark -t incr, medians", flush=True)
        keys = KeyStore(work)
        key = keys.generate("s1", "example.com", "rsa")
        setups.append(Relay(options.build, work, redis, keys, key,
                            "RSA-2048", ""))
        setups.append(Relay(options.build, work, redis, keys, key,
                            "RSA-2048, no check cache", "-nocache",
                            "check_cache_time = 0\n"))
        for setup in setups:
            setup.start(sink, work)
            relay_run(setup, sink, work, WARMUP_MESSAGES, options.sessions,
                      1)
        kinds = [(setups[0], 1, "1 recipient"),
                 (setups[0], 5, "5 recipients"),
                 (setups[1], 1, "1 recipient, check_cache_time = 0")]
        if options.baseline:
            start_baseline(options, work, sink, redis, keys, key, setups)
            kinds += [(setups[2], 1, "baseline: 1 recipient"),
                      (setups[3], 1, "baseline: check_cache_time = 0")]
        rates = []
        sides = [relay_side(setup, sink, work, options, recipients, title)
                 for setup, recipients, title in kinds]
        sides[0] = relay_side(*kinds[0][:1], sink, work, options,
                              *kinds[0][1:], rates)
        *results, incr, busy, paced_incr, paced_empty, paced_decision = \
            alternate(options.rounds, *sides, incr_side(redis, options),
                      *paced_sides(redis, options, rates))
        paced = (paced_incr, paced_empty, paced_decision)
        if options.rounds:
            report([title for _, _, title in kinds], results, incr, busy,
                   paced)
        if options.profile:
            profile(setups[0], sink, work, options)
    finally:
        failed = stop_relays(setups, filters, work)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
