#!/usr/bin/python3
"""make bench: waypost-routed's lookups, and the relay with routing on
against off.

Lookups: waypost-policy-load -m plays trivial-rewrite's side of the
socketmap protocol over 64 persistent connections to waypost-routed's
unix socket: "route userN@DOMAIN" for 1,000 senders at three providers'
domains. waypost-routed has one pool of three addresses, every cap
unlimited (the script reads and charges each lookup), and a private
redis-server. The floor, in alternation with it, is a waypost-routed with
no pool: it answers every lookup NOTFOUND at once, without Redis, so what
the protocol, the event loop and this machine's scheduling cost is seen
apart from the decision. Printed: medians over --rounds of lookups/s at
saturation and of p50 and p99 at a steady 2,000 lookups/s (the issue's
load), ours and the floor's, and their ratios.

Relay: smtp-source sends --messages messages of 1 KB, two recipients
each (smtp-source -r 2: "1b@example.net", "2b@example.net", so that
qmgr's one-entry cache of its last lookup never answers for the next,
and every recipient is asked about), over --sessions sessions into a
private Postfix (tests/integration/harness/postfix.py) relaying to
smtp-sink. Routing off: Postfix's own smtp transport to the sink. On:
contrib/postfix/routing.master.cf and pool-transports.sh as written
(127.0.0.2 to .4), waypost-routed with a provider whose nexthop is the
sink. The two alternate --rounds times; the time is from smtp-source's
start until the maillog holds a status=sent line for every recipient.
Printed: medians of msgs/s and their ratio, the machine's CPU ms per
message (all CPUs' busy time over the run), and the SMTP transactions
per message the sink counted: without routing, Postfix carries both
recipients in one; with it, each recipient may leave from another
address (least used first), in a transaction of its own.

Targets (issue 25): p99 under 5 ms at 2,000 lookups/s over 64
connections. The relay with routing on against off has no target; it is
measured. Run as root after make: /usr/bin/python3
tests/bench/bench_route.py --build build/main [--rounds 3]. Needs
postfix (smtp-source, smtp-sink), redis-server.
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

from bench_common import (Filter, RedisServer, Sink, alternate, cpu_times,
                          stop_all, work_directory)
from bench_relay import Maillog, parse_options

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness.postfix import PrivatePostfix  # noqa: E402
from harness.relay import FRAGMENTS, fragment, master_cf  # noqa: E402

CONNECTIONS = 64
STEADY_RATE = 2000
P99_TARGET_MS = 5.0
POOL = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
SUMMARY = re.compile(r"(\d+) requests, \d+ connections, ([0-9.]+) s: "
                     r"(\d+) decisions/s; latency p50 ([0-9.]+) ms, p99 "
                     r"([0-9.]+) ms; actions: (.*); errors (\d+)")


def routed_config(directory, redis, pools, nexthop):
    """waypost.conf for waypost-routed in directory; pools: with the one
    pool, or none (the floor)."""
    text = (f"[log]\nlevel = warning\n[redis]\naddress = {redis.address}\n"
            f"timeout = 2s\n[route]\nsocket = unix:{directory}/route.sock\n"
            "socket_group = postfix\nsocket_mode = 0660\nuser = nobody\n")
    if pools:
        text += (f'[pool "shared"]\naddresses = {", ".join(POOL)}\n'
                 "tenants = *\nschedule = unlimited\n")
    for name in ("gmail", "outlook", "example"):
        text += f'[provider "{name}"]\ndomains = {name}.test'
        text += ", example.net\n" if name == "example" else "\n"
        text += f"nexthop = {nexthop}\n"
    path = os.path.join(directory, "waypost.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


class Routed(Filter):
    def __init__(self, build, work, name, redis, pools, nexthop):
        directory = os.path.join(work, name)
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        self.directory = directory
        config = routed_config(directory, redis, pools, nexthop)
        super().__init__(f"waypost-routed ({name})",
                         [os.path.join(build, "route/waypost-routed"), "-f",
                          "-c", config],
                         os.path.join(directory, "route.sock"),
                         os.path.join(directory, "routed.log"))


def lookups(build, socket_path, arguments):
    result = subprocess.run(
        [os.path.join(build, "tests/bench/waypost-policy-load"), "-m",
         "-c", str(CONNECTIONS), *arguments, f"unix:{socket_path}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)
    match = SUMMARY.search(result.stdout)
    if result.returncode != 0 or not match or match.group(7) != "0":
        raise RuntimeError(f"waypost-policy-load: {result.stdout}")
    return {"rate": float(match.group(3)), "p50": float(match.group(4)),
            "p99": float(match.group(5)), "actions": match.group(6)}


def lookup_side(build, routed, title, counter):
    def side():
        saturated = lookups(build, routed.socket, ["-n", "50000"])
        steady = lookups(build, routed.socket,
                         ["-r", str(STEADY_RATE), "-d", "10"])
        counter[0] += 1
        print(f"  round {counter[0]}, {title}: {saturated['rate']:.0f} "
              f"lookups/s ({saturated['actions']}); at {STEADY_RATE}/s "
              f"p50 {steady['p50']:.3f} ms, p99 {steady['p99']:.3f} ms",
              flush=True)
        return {"rate": saturated["rate"], "p50": steady["p50"],
                "p99": steady["p99"]}
    return side


class Relay:
    """A private Postfix relaying to the sink, with routing or not."""

    def __init__(self, sink, routed=None):
        self.routed = routed
        master = ""
        parameters = []
        if routed:
            rewrite = fragment("routing.master.cf", {
                "unix:/run/waypost/route.sock":
                    f"unix:{routed.socket}"})
            transports = subprocess.run(
                [f"{FRAGMENTS}/pool-transports.sh", *POOL], check=True,
                stdout=subprocess.PIPE, text=True).stdout
            master = master_cf(rewrite) + transports
            parameters = ["qmgr/unix/rewrite_service_name=route-rewrite"]
        self.postfix = PrivatePostfix(sink.port, {
            "default_destination_concurrency_limit": "20"}, master,
            parameters)
        self.postfix.start()
        self.sink = sink
        self.title = "routing on" if routed else "routing off"
        self.runs = 0

    def stop(self):
        self.postfix.stop()


def relay_run(relay, work, messages, sessions):
    relay.runs += 1
    sender = f"run{relay.runs}-{relay.title.replace(' ', '-')}@example.com"
    log = Maillog(relay.postfix.maillog)
    output = os.path.join(work, "smtp-source.out")
    machine_before = cpu_times()
    sunk = relay.sink.messages()
    with open(output, "w") as out:
        start = time.monotonic()
        source = subprocess.Popen(
            ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l",
             "1024", "-r", "2", "-f", sender, "-t", "b@example.net",
             f"127.0.0.1:{relay.postfix.port}"], stdout=out,
            stderr=subprocess.STDOUT)
        deadline = start + 120 + messages / 10
        try:
            while log.read()["sent"] < 2 * messages:
                if (log.lost() or source.poll() not in (None, 0)
                        or time.monotonic() > deadline):
                    raise RuntimeError(
                        f"{relay.title}: {log.counts}; smtp-source exit "
                        f"{source.poll()}")
                time.sleep(0.01)
            end = time.monotonic()
            machine_after = cpu_times()
            source.wait(timeout=60)
        finally:
            if source.poll() is None:
                source.kill()
                source.wait()
            log.close()
    spent = [b - a for a, b in zip(machine_before, machine_after)]
    busy = (sum(spent[:8]) - spent[3] - spent[4] - spent[7]) / \
        os.sysconf("SC_CLK_TCK")
    return {"rate": messages / (end - start),
            "machine_ms": busy * 1000 / messages,
            "transactions": (relay.sink.messages() - sunk) / messages,
            "deferred": log.counts["deferred"]}


def relay_side(relay, work, options):
    def side():
        result = relay_run(relay, work, options.messages, options.sessions)
        print(f"  round {relay.runs}, {relay.title}: {result['rate']:.0f} "
              f"msgs/s, machine CPU {result['machine_ms']:.2f} ms per "
              f"message, {result['transactions']:.2f} SMTP transactions "
              f"per message at the sink" + (f"; {result['deferred']} "
                                            f"deferred"
                            if result["deferred"] else ""), flush=True)
        return result
    return side


def median(runs, key):
    return statistics.median(run[key] for run in runs)


def bench_lookups(options, work, redis):
    ours = Routed(options.build, work, "pool", redis, True,
                  "[127.0.0.1]:25")
    floor = Routed(options.build, work, "floor", redis, False,
                   "[127.0.0.1]:25")
    try:
        ours_runs, floor_runs = alternate(
            options.rounds,
            lookup_side(options.build, ours, "waypost-routed", [0]),
            lookup_side(options.build, floor, "floor (NOTFOUND, no Redis)",
                        [0]))
    finally:
        stop_all([ours, floor])
    print(f"\nlookups over {CONNECTIONS} connections, medians of "
          f"{options.rounds}:")
    print(f"{'':28} {'lookups/s':>10} {'p50 ms':>8} {'p99 ms':>8}  "
          f"(p50, p99 at {STEADY_RATE}/s)")
    for title, runs in (("waypost-routed", ours_runs),
                        ("floor", floor_runs)):
        print(f"{title:28} {median(runs, 'rate'):10.0f} "
              f"{median(runs, 'p50'):8.3f} {median(runs, 'p99'):8.3f}")
    p99 = median(ours_runs, "p99")
    print(f"ratio to the floor: lookups/s "
          f"{median(ours_runs, 'rate') / median(floor_runs, 'rate'):.2f}, "
          f"p99 {p99 / median(floor_runs, 'p99'):.2f}")
    print(f"target: p99 under {P99_TARGET_MS} ms at {STEADY_RATE} "
          f"lookups/s: {p99:.3f} ms, "
          f"{'met' if p99 < P99_TARGET_MS else 'MISSED'}")


def bench_relay(options, work, redis):
    sink = Sink(work)
    routed = Routed(options.build, work, "relay", redis, True,
                    f"[127.0.0.1]:{sink.port}")
    relays = []
    try:
        relays = [Relay(sink), Relay(sink, routed)]
        for relay in relays:  # warm up, not counted
            relay_run(relay, work, 200, options.sessions)
            relay.runs = 0
        off, on = alternate(options.rounds,
                            *(relay_side(relay, work, options)
                              for relay in relays))
    finally:
        for relay in relays:
            relay.stop()
        stop_all([routed, sink])
    print(f"\nthe relay, {options.messages} messages of two recipients, "
          f"medians of {options.rounds}:")
    for title, runs in (("routing off", off), ("routing on", on)):
        print(f"{title:28} {median(runs, 'rate'):7.0f} msgs/s, machine CPU "
              f"{median(runs, 'machine_ms'):.2f} ms per message, "
              f"{median(runs, 'transactions'):.2f} transactions per message")
    print(f"routing on / off: msgs/s "
          f"{median(on, 'rate') / median(off, 'rate'):.2f}, CPU per message "
          f"{median(on, 'machine_ms') / median(off, 'machine_ms'):.2f}")


def main():
    options = parse_options(__doc__, messages=2000)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    work = work_directory()
    redis = RedisServer(work)
    try:
        bench_lookups(options, work, redis)
        bench_relay(options, work, redis)
    finally:
        stop_all([redis])
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
