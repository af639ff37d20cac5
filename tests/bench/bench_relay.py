#!/usr/bin/python3
"""make bench: the whole relay, bare Postfix against Postfix with Waypost.

smtp-source sends --messages messages of 1 KB over --sessions concurrent
sessions (one message per session, as applications send) into a private
Postfix on 127.0.0.1 (tests/integration/harness/postfix.py), which relays
them to Postfix's smtp-sink. Five setups, each its own Postfix instance,
all started once and warmed up with WARMUP_MESSAGES messages:

- bare Postfix: no milter, no policy service;
- Postfix + Waypost, once with an RSA-2048 and once with an Ed25519 key:
  the main.cf lines of contrib/postfix/smarthost.main.cf as a mail admin
  adds them (read by the harness's postfix_config(), only the socket
  directory replaced, waypost-policyd's unix socket in it as
  contrib/waypost.conf has it): waypost-headers then
  waypost-dkim as milters, waypost-policyd at RCPT and END-OF-DATA with
  the 3 limits of bench_policy.py keyed on the sender as the relay's
  clients do not log in (messages per hour and recipients per day per
  sender, messages per minute per client address; maxima never reached),
  a private redis-server; the daemons as the harness runs them (log
  level info: one "signed:" line per message);
- Postfix + the anchors: the same main.cf lines with OpenDKIM (ANCHORS.md's
  configuration, the same RSA-2048 key, in a copy of root's as OpenDKIM
  requires) as the only milter and postfwd2 (ANCHORS.md's 3 rules, keyed
  on the sender) as the policy service;
- Postfix + filters doing nothing in the same places (class Floor): two
  waypost-noop-milters, waypost-policyd with nothing to check. With it,
  the relay's CPU less the filters' less bare Postfix's is Postfix's own
  work for filters there, which no filter can save it.

--rounds rounds alternate the five setups, then openssl speed measures
the cost of one signature; medians and shares of bare Postfix are
printed. Each run has a sender of its own, so no counter of a limit or of
postfwd2 nears its maximum however many rounds run.

Time: from smtp-source's start until Postfix's maillog_file holds a
status=sent line for every message (read every 10 ms); msgs/s is messages
over that. Every run must deliver every message: as many status=sent
lines, as many messages counted by smtp-sink (-c), no reject and no
bounce, smtp-source exiting 0; with Waypost also as many "signed:" lines
of waypost-dkim with the setup's algorithm, and as many messages charged
in Redis to the run's sender, so mail never goes through unsigned or
unchecked. milter_default_action = tempfail and the policy service's
451 default mean a message that skipped a filter is not delivered.

CPU per message: "machine", the busy time of all CPUs over the run
(/proc/stat: all but idle, iowait and steal); "relay", the processes of
the relay (Postfix's, smtp-source, smtp-sink and the filters; utime and
stime from /proc/PID/stat, the children they waited for included, and
getrusage for smtp-source): what the machine spent on the relay, not
on the other work of this shared machine (nor on the kernel's softirq
time); "filters", the setup's own daemons: waypost-headers, waypost-dkim,
waypost-policyd and Redis, or OpenDKIM and postfwd2's processes. One
signature's cost is openssl speed's (user CPU time per private-key
operation on one core, -seconds 2), once per round. The share of CPU
time the hypervisor took (steal) over the rounds is printed too.

Targets (issue 7): with RSA-2048 at least 75% of bare Postfix's msgs/s,
with Ed25519 at least 85%; Waypost's CPU per message (its daemons and
Redis) beyond the signature itself at most 0.4 ms. ANCHORS.md: OpenDKIM
and postfwd2 kept 32 to 33% of bare on this machine kind.

Run as root after make: /usr/bin/python3 tests/bench/bench_relay.py
--build build/main [--rounds 3] [--messages 5000] [--sessions 20].
Everything listens on 127.0.0.1 only; every process it starts is stopped
at the end, after an error, Ctrl-C or SIGTERM too, and it checks that
none is left (exit status 1 if one is).
Needs postfix (smtp-source, smtp-sink), opendkim, postfwd2, redis-server,
redis-cli, openssl and python3-dkim (the harness).
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

from bench_common import (Filter, RedisServer, Sink, alternate,
                          children_cpu_seconds, cpu_times,
                          process_cpu_seconds, process_groups,
                          report_left, run, start_opendkim, steal_share,
                          stop_all, work_directory)
from bench_policy import LIMITS, POSTFWD_RULES, Postfwd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness.dkim_keys import KeyStore  # noqa: E402
from harness.postfix import PrivatePostfix  # noqa: E402
from harness.relay import postfix_config  # noqa: E402
from harness.waypost import DkimSetup, HeadersSetup, PolicySetup  # noqa: E402

RSA_TARGET = 0.75
ED25519_TARGET = 0.85
SUITE_CPU_TARGET_MS = 0.4
ANCHOR_FIGURE = "32 to 33%"
MESSAGE_BYTES = 1024
RECIPIENT = "b@example.net"
WARMUP_MESSAGES = 200
POLL_SECONDS = 0.01
INTERNAL = "internal_networks = 127.0.0.1/32\n"
# As the harness's WholeRelay: the applications are trusted clients, the
# recipients elsewhere.
POLICY_EXTRA = "trusted_networks = 127.0.0.1/32\nlocal_domains = example.com\n"
# The relay's clients do not log in: the per-user limits count senders.
SENDER_LIMITS = {
    name: ("sender" if subject == "sasl_username" else subject, count,
           window, maximum)
    for name, (subject, count, window, maximum) in LIMITS.items()}
SENDER_RULES = POSTFWD_RULES.replace("sasl_username", "sender")
OPENSSL_SPEED = {
    "rsa": re.compile(r": (\d+) 2048 bits private RSA's in ([0-9.]+)s"),
    "ed25519": re.compile(r": (\d+) 253 bits Ed25519 signs in ([0-9.]+)s"),
}


def policy_limits():
    """SENDER_LIMITS as PolicySetup takes them: [limit] section bodies."""
    return {name: f"subject = {subject}\ncount = {count}\n"
                  f"window = {window}s\nmax = {maximum}"
            for name, (subject, count, window, maximum)
            in SENDER_LIMITS.items()}


def smarthost_config(directory, policy_service=None):
    """main.cf settings and master.cf lines of smarthost.main.cf, its
    sockets in directory (waypost-policyd's too), or its policy service
    policy_service (an anchor's)."""
    settings, master, _ = postfix_config(["smarthost"], directory,
                                         policy_service)
    return settings, master


class Setup:
    """One relay: a private Postfix relaying to the sink, the filters
    behind it (none here: bare Postfix)."""

    name, title = "bare", "bare Postfix"

    def __init__(self):
        self.postfix = None
        self.master = None
        self.runs = 0  # the warm-up's and the rounds'
        self.rounds = 0

    def start(self, sink, work):
        settings, _ = smarthost_config(work)
        # What smarthost.main.cf sets for the relay itself, not for Waypost.
        self.start_postfix(sink, {
            name: settings[name]
            for name in ("mynetworks", "local_header_rewrite_clients")})

    def start_postfix(self, sink, settings, master=""):
        self.postfix = PrivatePostfix(sink.port, settings, master)
        self.postfix.start()
        self.master = self.postfix.master_pid()

    def filters(self):
        """{name: pids} of the filters' processes now."""
        return {}

    def children(self):
        """The pids of the filters this script started, as far as it
        did."""
        return []

    def mark(self):
        """Before a run: what check() compares with afterwards."""

    def check(self, sender, messages):
        """After a run: what went wrong with the filters (nothing)."""
        return []

    def stop(self):
        if self.postfix:
            self.master = self.master or self.postfix.master_pid()
            # An interrupted "postfix start" may have left a master that
            # PrivatePostfix does not know of; "postfix stop" finds it.
            self.postfix.started = True
            self.postfix.stop()


class Waypost(Setup):
    """Postfix as smarthost.main.cf has it, with waypost-headers,
    waypost-dkim signing with key alone, waypost-policyd and Redis."""

    def __init__(self, build, work, redis, keys, key, title, suffix=""):
        super().__init__()
        self.name = f"waypost-{key.algorithm}{suffix}"
        self.title = f"Postfix + Waypost, {title}"
        self.algorithm = f"{key.algorithm}-sha256"  # as a= names it
        self.redis = redis
        self.directory = os.path.join(work, self.name)
        os.mkdir(self.directory)
        os.chmod(self.directory, 0o755)
        self.headers = HeadersSetup(os.path.join(
            build, "milters/headers/waypost-headers"), self.directory)
        self.dkim = DkimSetup(os.path.join(
            build, "milters/dkim/waypost-dkim"), self.directory, keys)
        self.dkim.write_tables([self.dkim.key_line("key", key)],
                               ["*@example.com key"])
        self.policy = PolicySetup(os.path.join(
            build, "policy/waypost-policyd"), self.directory, redis.address)
        self.log_offset = 0

    def start(self, sink, work):
        self.headers.start(INTERNAL)
        self.dkim.start(INTERNAL)
        self.policy.start(policy_limits(), policy_extra=POLICY_EXTRA)
        self.start_postfix(sink, *smarthost_config(self.directory))

    def filters(self):
        return {"waypost-headers": [self.headers.daemon.process.pid],
                "waypost-dkim": [self.dkim.daemon.process.pid],
                "waypost-policyd": [self.policy.daemon.process.pid],
                "Redis": [self.redis.process.pid]}

    def children(self):
        return [setup.daemon.process.pid
                for setup in (self.headers, self.dkim, self.policy)
                if setup.daemon and setup.daemon.process]

    def mark(self):
        self.log_offset = os.path.getsize(self.dkim.daemon.log_path)

    def signed(self):
        """waypost-dkim's "signed:" lines with our algorithm since mark()."""
        with open(self.dkim.daemon.log_path, "rb") as f:
            f.seek(self.log_offset)
            text = f.read().decode(errors="replace")
        return len(re.findall(rf": signed: d=example\.com s=\S+ "
                              rf"a={self.algorithm} ", text))

    def charged(self, sender):
        """Messages charged to sender by the hourly limit: the "sum" of
        its window's buckets (policy/decide_script.lua)."""
        total = self.redis.cli("HGET", f"waypost:limit:hourly:{{{sender}}}",
                               "sum")
        return int(total or 0)

    def check(self, sender, messages):
        problems = []
        signed, charged = self.signed(), self.charged(sender)
        if signed != messages:
            problems.append(f"waypost-dkim logged {signed} signatures "
                            f"({self.algorithm}) for {messages} messages")
        if charged != messages:
            problems.append(f"Redis charged {charged} messages to {sender} "
                            f"for {messages}")
        return problems

    def stop(self):
        super().stop()
        self.policy.stop()
        self.dkim.stop()
        self.headers.stop()


class Anchors(Setup):
    """The same main.cf lines with OpenDKIM as the only milter and
    postfwd2 as the policy service, both as ANCHORS.md runs them."""

    name, title = "anchors", "Postfix + OpenDKIM + postfwd2"

    def __init__(self, work, key):
        super().__init__()
        # The same key in a file of root's: OpenDKIM, running as root,
        # refuses a key file of another user (waypost-dkim's is nobody's).
        self.key_file = os.path.join(work, "opendkim-key.pem")
        shutil.copyfile(key.path, self.key_file)
        os.chmod(self.key_file, 0o600)
        self.selector = key.selector
        self.opendkim = None
        self.postfwd = Postfwd(work, SENDER_RULES)
        self.left = []

    def start(self, sink, work):
        self.opendkim = start_opendkim(work, "opendkim", self.key_file,
                                       self.selector, "rsa")
        self.postfwd.start()
        settings, master = smarthost_config(
            work, f"inet:127.0.0.1:{self.postfwd.port}")
        settings["smtpd_milters"] = f"unix:{self.opendkim.socket}"
        self.start_postfix(sink, settings, master)

    def filters(self):
        return {"OpenDKIM": [self.opendkim.process.pid],
                "postfwd2": list(self.postfwd.ours())}

    def children(self):
        return [self.opendkim.process.pid] if self.opendkim else []

    def stop(self):
        super().stop()
        self.left = self.postfwd.stop()
        if self.opendkim:
            self.opendkim.stop()


class Floor(Setup):
    """What filters in Waypost's places cost Postfix when they do
    nothing: the main.cf lines of smarthost.main.cf with two
    waypost-noop-milters (libmilter; they ask for the steps
    waypost-headers asks for and accept every message) as the milters and
    waypost-policyd with nothing to check (no limit, no suspension) at
    RCPT and END-OF-DATA."""

    name, title = "floor", "Postfix + filters doing nothing"

    def __init__(self, build, work, redis):
        super().__init__()
        self.directory = os.path.join(work, self.name)
        os.mkdir(self.directory)
        os.chmod(self.directory, 0o755)
        self.noop = os.path.join(build, "tests/bench/waypost-noop-milter")
        self.milters = []
        self.policy = PolicySetup(os.path.join(
            build, "policy/waypost-policyd"), self.directory, redis.address)

    def start(self, sink, work):
        for name in ("headers", "dkim"):  # the sockets Postfix is given
            path = os.path.join(self.directory, f"{name}.sock")
            self.milters.append(Filter(
                f"waypost-noop-milter {name}", [self.noop, f"unix:{path}"],
                path, os.path.join(self.directory, f"{name}.log"),
                preexec_fn=lambda: os.umask(0)))  # for Postfix's smtpd
        self.policy.start({}, policy_extra=POLICY_EXTRA +
                          "check_suspension = no\n")
        self.start_postfix(sink, *smarthost_config(self.directory))

    def filters(self):
        return {"no-op milters": [m.process.pid for m in self.milters],
                "waypost-policyd": [self.policy.daemon.process.pid]}

    def children(self):
        pids = [m.process.pid for m in self.milters]
        if self.policy.daemon and self.policy.daemon.process:
            pids.append(self.policy.daemon.process.pid)
        return pids

    def stop(self):
        super().stop()
        self.policy.stop()
        stop_all(self.milters)


class Maillog:
    """Postfix's verdicts in its maillog_file from where it ends now."""

    WORDS = {"sent": b" status=sent ", "deferred": b" status=deferred ",
             "bounced": b" status=bounced ", "rejected": b": reject: ",
             "milter-rejected": b": milter-reject: "}

    def __init__(self, path):
        self.file = open(path, "rb")
        self.file.seek(0, os.SEEK_END)
        self.partial = b""
        self.counts = dict.fromkeys(self.WORDS, 0)

    def read(self):
        lines = self.partial + self.file.read()
        end = lines.rfind(b"\n") + 1
        lines, self.partial = lines[:end], lines[end:]
        for word, text in self.WORDS.items():
            self.counts[word] += lines.count(text)
        return self.counts

    def lost(self):
        """Messages that will never be delivered."""
        return sum(self.counts[word] for word in
                   ("bounced", "rejected", "milter-rejected"))

    def close(self):
        self.file.close()


def smtp_source(port, sender, messages, sessions, output):
    return subprocess.Popen(
        ["smtp-source", "-s", str(sessions), "-m", str(messages), "-l",
         str(MESSAGE_BYTES), "-f", sender, "-t", RECIPIENT,
         f"127.0.0.1:{port}"], stdout=output, stderr=subprocess.STDOUT)


def wait_for_delivery(log, source, messages):
    """The moment the maillog shows the last message sent; an error when
    one is lost, smtp-source fails, or it takes too long."""
    deadline = time.monotonic() + 60 + messages / 10
    while log.read()["sent"] < messages:
        failed = source.poll() not in (None, 0)
        if (log.lost() or failed or time.monotonic() > deadline):
            raise RuntimeError(f"{log.counts['sent']} of {messages} "
                               f"delivered; maillog: {log.counts}; "
                               f"smtp-source exit {source.poll()}")
        time.sleep(POLL_SECONDS)
    return time.monotonic()


def relay_pids(setup, sink):
    """Postfix's processes (its master leads their process group),
    smtp-sink and the filters."""
    return ({pid for pid, (group, _) in process_groups().items()
             if group == setup.master} |
            {sink.process.pid} |
            {pid for pids in setup.filters().values() for pid in pids})


class Snapshot:
    """CPU seconds so far of the relay's processes, the filters, this
    script's waited-for children (smtp-source) and, last or as given,
    the machine's CPUs (cpu_times())."""

    def __init__(self, setup, sink, earlier=None, machine=None):
        """earlier: the snapshot before, whose processes count again
        (those gone since are in their parents' children's time)."""
        self.pids = relay_pids(setup, sink) | (earlier.pids if earlier
                                               else set())
        self.filters = {name: set(pids) | (earlier.filters[name] if earlier
                                           else set())
                        for name, pids in setup.filters().items()}
        self.relay = process_cpu_seconds(self.pids) + children_cpu_seconds()
        self.own = {name: process_cpu_seconds(pids)
                    for name, pids in self.filters.items()}
        self.machine = machine or cpu_times()

    def since(self, earlier):
        """Of the CPU between earlier and self: busy, relay, and
        {name: seconds} of the filters."""
        spent = [b - a for a, b in zip(earlier.machine, self.machine)]
        ticks = os.sysconf("SC_CLK_TCK")
        busy = (sum(spent[:8]) - spent[3] - spent[4] - spent[7]) / ticks
        return busy, self.relay - earlier.relay, {
            name: seconds - earlier.own[name]
            for name, seconds in self.own.items()}


def timed_source(port, sender, messages, sessions, log, output):
    """smtp-source until the maillog shows the last message sent: its
    start and that moment (time.monotonic()), cpu_times() then, its
    exit status."""
    with open(output, "w") as out:
        start = time.monotonic()
        source = smtp_source(port, sender, messages, sessions, out)
        try:
            end = wait_for_delivery(log, source, messages)
            machine = cpu_times()
            return start, end, machine, source.wait(timeout=60)
        finally:
            if source.poll() is None:
                source.kill()
                source.wait()


def deliver(setup, sink, work, messages, sessions):
    """One run through setup: msgs/s, CPU ms per message, share of steal.
    Every message must be delivered, and the filters must say so."""
    setup.runs += 1
    sender = f"{setup.name}-{setup.runs}@example.com"
    output = os.path.join(work, "smtp-source.out")
    log = Maillog(setup.postfix.maillog)
    setup.mark()
    sunk = sink.messages()
    before = Snapshot(setup, sink)
    try:
        start, end, machine, status = timed_source(
            setup.postfix.port, sender, messages, sessions, log, output)
    finally:
        log.close()
    after = Snapshot(setup, sink, before, machine)
    check_run(setup, sink, sender, messages, sunk, status, output)
    busy, relay, own = after.since(before)
    return {"rate": messages / (end - start), "seconds": end - start,
            "machine_ms": busy * 1000 / messages,
            "relay_ms": relay * 1000 / messages,
            "filters_ms": sum(own.values()) * 1000 / messages,
            "split": {name: seconds * 1000 / messages
                      for name, seconds in own.items()},
            "steal": steal_share(before.machine, after.machine),
            "deferred": log.counts["deferred"]}


def check_run(setup, sink, sender, messages, sunk, status, output):
    """Each message at the sink once, smtp-source content and silent,
    the filters' own accounts right; a RuntimeError otherwise."""
    problems = setup.check(sender, messages)
    received = sink.messages() - sunk
    if received != messages:
        problems.append(f"smtp-sink counted {received} messages of "
                        f"{messages}")
    with open(output) as f:
        said = f.read().strip()
    if status != 0 or said:
        problems.append(f"smtp-source exit {status}: {said}")
    if problems:
        raise RuntimeError(f"{setup.title}: " + "; ".join(problems))


def signature_ms():
    """CPU milliseconds of one RSA-2048 and one Ed25519 signature on one
    core, by openssl speed's own count of user time."""
    result = run(["openssl", "speed", "-seconds", "2", "rsa2048",
                  "ed25519"], timeout=120)
    costs = {}
    for algorithm, expression in OPENSSL_SPEED.items():
        match = expression.search(result.stdout)
        if not match:
            raise RuntimeError(f"openssl speed:\n{result.stdout}")
        costs[algorithm] = float(match.group(2)) * 1000 / int(match.group(1))
    return costs


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def median_split(runs, name):
    return statistics.median(r["split"][name] for r in runs)


def verdict(met):
    return "met" if met else "MISSED"


def measured(setup, sink, work, options):
    """A side for alternate(): one run of setup, printed as it ends."""
    def side():
        result = deliver(setup, sink, work, options.messages,
                         options.sessions)
        setup.rounds += 1
        print(f"  round {setup.rounds}, {setup.title}: {options.messages} "
              f"delivered in "
              f"{result['seconds']:.1f} s, {result['rate']:.0f} msgs/s; "
              f"CPU ms per message: machine {result['machine_ms']:.2f}, "
              f"relay {result['relay_ms']:.2f}, filters "
              f"{result['filters_ms']:.2f}; steal {result['steal']:.0%}"
              f"{deferred_words(result)}", flush=True)
        return result
    return side


def deferred_words(result):
    """Messages Postfix had to retry: none, or how many."""
    count = result["deferred"]
    return f"; {count} deferred and retried" if count else ""


def print_table(setups, results):
    bare = median(results[0], "rate")
    print(f"\n{'':34} {'':>7} {'share':>7} {'CPU ms per message':>26}")
    print(f"{'setup':34} {'msgs/s':>7} {'of bare':>7} {'machine':>9} "
          f"{'relay':>8} {'filters':>8}")
    for setup, runs in zip(setups, results):
        print(f"{setup.title:34} {median(runs, 'rate'):7.0f} "
              f"{median(runs, 'rate') / bare:7.0%} "
              f"{median(runs, 'machine_ms'):9.2f} "
              f"{median(runs, 'relay_ms'):8.2f} "
              f"{median(runs, 'filters_ms'):8.2f}")
    for setup, runs in zip(setups, results):
        shares = [r["rate"] / b["rate"] for r, b in zip(runs, results[0])]
        print(f"  runs, {setup.title}: {[round(r['rate']) for r in runs]} "
              f"msgs/s, of bare {[f'{s:.0%}' for s in shares]}")
    for setup, runs in zip(setups[1:], results[1:]):
        split = ", ".join(f"{name} {median_split(runs, name):.3f}"
                          for name in runs[0]["split"])
        print(f"  filters, {setup.title}: {split} ms per message")
    print("machine: all the busy CPU time of this shared machine (/proc/"
          "stat); relay: Postfix's\nprocesses, smtp-source, smtp-sink and "
          "the filters (their own accounting);\nfilters: waypost-headers, "
          "waypost-dkim, waypost-policyd and Redis, or OpenDKIM\nand "
          "postfwd2. Every run delivered every message (status=sent in "
          "Postfix's log,\ncounted by smtp-sink, none rejected or bounced); "
          "with Waypost each was signed\n(waypost-dkim's log) and charged "
          "to its sender (Redis).")


def beyond_signature(setups, results, signatures):
    """Waypost's daemons' and Redis' CPU per message less one signature,
    printed, by algorithm."""
    costs = {key: statistics.median(s[key] for s in signatures)
             for key in OPENSSL_SPEED}
    print(f"\none signature, openssl speed on one core (user CPU): "
          f"RSA-2048 {costs['rsa']:.3f} ms, Ed25519 "
          f"{costs['ed25519']:.3f} ms (runs: RSA-2048 "
          f"{[round(s['rsa'], 3) for s in signatures]}, Ed25519 "
          f"{[round(s['ed25519'], 3) for s in signatures]})")
    for setup, runs in zip(setups[1:], results[1:]):
        own = (median(runs, "relay_ms") - median(runs, "filters_ms") -
               median(results[0], "relay_ms"))
        print(f"{setup.title}: Postfix's own work for its filters (the "
              f"relay less the filters, less bare Postfix): {own:.3f} ms per "
              f"message")
    beyond = {}
    for setup, runs, key in ((setups[1], results[1], "rsa"),
                             (setups[2], results[2], "ed25519")):
        beyond[key] = median(runs, "filters_ms") - costs[key]
        relay = median(runs, "relay_ms") - median(results[0], "relay_ms")
        print(f"{setup.title}: its daemons and Redis "
              f"{median(runs, 'filters_ms'):.3f} ms per message, "
              f"{beyond[key]:.3f} ms beyond the signature; the relay "
              f"{relay:.3f} ms more than bare Postfix")
    return beyond


def print_targets(setups, results, beyond):
    bare = median(results[0], "rate")
    print("\ntargets (issue 7):")
    for setup, runs, target in ((setups[1], results[1], RSA_TARGET),
                                (setups[2], results[2], ED25519_TARGET)):
        share = median(runs, "rate") / bare
        print(f"  {setup.title}: at least {target:.0%} of bare Postfix: "
              f"{share:.0%} {verdict(share >= target)}")
    for key, title in (("rsa", "RSA-2048"), ("ed25519", "Ed25519")):
        print(f"  Waypost's CPU per message beyond the signature, {title}: "
              f"at most {SUITE_CPU_TARGET_MS} ms: {beyond[key]:.3f} ms "
              f"{verdict(beyond[key] <= SUITE_CPU_TARGET_MS)}")
    anchor = median(results[3], "rate") / bare
    print(f"  the anchors, OpenDKIM + postfwd2, kept {anchor:.0%} of bare "
          f"(ANCHORS.md: {ANCHOR_FIGURE})")
    floor = median(results[4], "rate") / bare
    print(f"  filters doing nothing in the same places kept {floor:.0%} of "
          f"bare; Waypost kept "
          f"{median(results[1], 'rate') / bare / floor:.0%} (RSA-2048) and "
          f"{median(results[2], 'rate') / bare / floor:.0%} (Ed25519) of "
          f"that")


def leftovers(setups, pids):
    """Processes of ours still running: those of each Postfix master's
    process group, of postfwd2's (Anchors.left) and pids still alive,
    after up to 10 s for Postfix's to notice their master is gone."""
    masters = {s.master for s in setups if s.master}
    deadline = time.monotonic() + 10
    while True:
        groups = process_groups()
        left = {pid: command for pid, (group, command) in groups.items()
                if group in masters or pid in pids}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for setup in setups:
        left.update(getattr(setup, "left", None) or {})
    return left


def stop_relays(setups, filters, work, pids=()):
    """Stop the setups (last first) and the filters, remove work, and
    report what is left running of them and of pids; whether any is."""
    pids = set(pids) | {f.process.pid for f in filters}
    for setup in reversed(setups):
        pids |= set(setup.children())
        setup.stop()
    stop_all(filters)
    left = leftovers(setups, pids)
    shutil.rmtree(work, ignore_errors=True)
    return report_left("processes", [f"{p} {c}" for p, c in left.items()])


def start_setups(options, work, sink, redis, setups):
    """The five setups into setups, started and warmed up; each is in
    the list before it starts, so that a failure stops what started."""
    keys = KeyStore(work)
    rsa = keys.generate("s1", "example.com", "rsa")
    ed25519 = keys.generate("e1", "example.com", "ed25519")
    setups.append(Setup())
    setups.append(Waypost(options.build, work, redis, keys, rsa,
                          "RSA-2048"))
    setups.append(Waypost(options.build, work, redis, keys, ed25519,
                          "Ed25519"))
    setups.append(Anchors(work, rsa))
    setups.append(Floor(options.build, work, redis))
    for setup in setups:
        setup.start(sink, work)
        deliver(setup, sink, work, WARMUP_MESSAGES, options.sessions)


def rounds(options, work, setups, sink):
    """--rounds rounds of the setups and a signature measurement; the
    report."""
    sides = [measured(s, sink, work, options) for s in setups]
    start = cpu_times()
    *results, signatures = alternate(options.rounds, *sides, signature_ms)
    steal = steal_share(start, cpu_times())
    print_table(setups, results)
    beyond = beyond_signature(setups, results, signatures)
    print(f"CPU time taken by the hypervisor (steal) during the rounds: "
          f"{steal:.0%}")
    print_targets(setups, results, beyond)


def parse_options(description=__doc__, messages=5000):
    """--build, --rounds, --messages, --sessions: of this bench, or of
    another through the relay (its docstring's first line, its default
    messages)."""
    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    parser.add_argument("--build", required=True, help="top build directory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=messages)
    parser.add_argument("--sessions", type=int, default=20)
    options = parser.parse_args()
    options.build = os.path.abspath(options.build)
    return options


def main():
    options = parse_options()
    needed = ("postfix", "smtp-source", "smtp-sink", "opendkim", "postfwd2",
              "redis-server", "redis-cli", "openssl")
    if os.geteuid() != 0 or not all(shutil.which(p) for p in needed):
        sys.exit(f"bench_relay: run as root with {', '.join(needed)}")
    noop = os.path.join(options.build, "tests/bench/waypost-noop-milter")
    if not os.access(noop, os.X_OK):
        sys.exit(f"bench_relay: {noop} not built: make "
                 f"tests/bench/waypost-noop-milter")
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(1))
    work = work_directory()
    setups, filters = [], []
    try:
        filters.append(Sink(work))
        filters.append(RedisServer(work))
        print(f"The whole relay: smtp-source -s {options.sessions} -m "
              f"{options.messages} -l {MESSAGE_BYTES} into a private Postfix "
              f"on 127.0.0.1 relaying to smtp-sink,\n{options.rounds} rounds "
              f"alternating the setups, medians", flush=True)
        start_setups(options, work, *filters, setups)
        rounds(options, work, setups, filters[0])
    finally:
        failed = stop_relays(setups, filters, work)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
