#!/usr/bin/python3
"""make bench: waypost-hookd's webhooks against a load tool's ceiling.

One receiver for every side: waypost-webhook-sink (webhook_sink.c, built
by make bench, never installed), on a free loopback port, one thread and
one epoll set, HTTP/1.1 with keep-alive, answering every POST 200 with
an empty body at once and counting the requests, the body bytes and the
events in them (one JSON object, or a batch's array) by their "id" in a
hash set: distinct ids and repeats; GET /count answers those counts. It
does not check signatures (tests/integration/test_hook.py does). The
same ~400-byte "delivered" event (the fields of waypost-events(7),
compact JSON, a new id for each event) is what every side sends.

--rounds rounds (default 3) alternate the four sides below, each with a
receiver of its own, started fresh:

- wrk (Debian's; the ceiling): `wrk -t 1 -c CONCURRENCY -d
  --wrk-seconds`, a Lua script posting one event's JSON with the headers
  waypost-hookd sends (Content-Type, webhook-id, webhook-timestamp and a
  real webhook-signature, User-Agent, Accept), the same body on every
  request: requests/s from its "Requests/sec:" line, checked against the
  receiver's count (no non-2xx answer, no socket error). One thread, as
  waypost-hookd has: wrk with two threads on this two-core machine is
  slower, its threads taking the receiver's CPU.
- libcurl alone (the floor of the library issue 22 names):
  waypost-curl-post (curl_post.c, built by make bench), libcurl's multi
  interface driven by curl_multi_poll() and nothing else, CONCURRENCY
  keep-alive handles posting the same body with the same headers as wrk
  until --events requests are answered: requests/s over its own clock,
  checked against the receiver's count. What no client built on libcurl
  can beat here, whatever else it does.
- waypost-hookd, unbatched: a fresh private redis-server (loopback, no
  persistence), the daemon (`waypost-hookd -f -c FILE`, user nobody,
  [log] level = warning, [hooks] defaults: poll_interval 200ms,
  wake_delay 20ms) with one
  [webhook "bench"], tenants * (the all-tenant stream waypost:events),
  concurrency CONCURRENCY, the receiver's URL. Since the daemon makes its
  consumer group with $ (only what comes after), it is started first and
  the script waits until XINFO GROUPS shows the group; then --events
  events (default 50,000) are XADDed to waypost:events with an "event"
  field, as waypost-trackd writes them (only that stream: the tenant's
  copy is the tracker's cost, not this daemon's), by one `redis-cli
  --pipe` of a file written beforehand. The time is from the start of
  redis-cli until the receiver counts every event (GET /count every 10
  ms); events/s is the events over that time. Then every event must
  have come exactly once (distinct ids = --events, no repeat) and the
  group must have nothing pending (every event acknowledged). CPU
  seconds of the daemon and of redis-server (/proc/PID/stat) over the
  same span, per event; Redis's includes the XADDs themselves, so the
  XADDs' own cost, measured once alone in a fresh Redis with no reader,
  is printed beside it. Per event the daemon sends XACK, and LPUSH,
  LTRIM and PEXPIRE of its attempt's line (hook-attempts:MESSAGE).
- waypost-hookd, batch = --batch (default 100): the same, the events in
  JSON arrays of up to that many per request (batch_wait 1s).

Then the latency (--latency-seconds, default 20; 0: none): a fresh Redis,
receiver and daemon (unbatched, as above); first --idle-seconds (default
3) with nothing to do, the CPU the daemon and Redis spend then (a share
of one CPU); then one Python writer XADDs events one at a time at
--latency-rate per second (default 500) on a steady schedule; the
receiver (-l) writes each event's id and the wall clock when its request
had been read. The latency of an event is from the time Redis added it
(its stream entry id's milliseconds, the same machine's clock; up to a
millisecond more than the truth) to that arrival: p50, p99, the largest,
at the rate the writer reached, with the CPU per event of the daemon and
of Redis (Redis's includes the XADDs) and the share the hypervisor took
(steal).

Printed: each side's medians: requests/s, events/s, seconds, the time
the XADDs took, the daemon's CPU time over the run's (CPU busy: near
100%, the daemon is what limits the rate), CPU milliseconds per event of
the daemon and of Redis, the receiver's CPU milliseconds per request
(the inverse of the rate it could take on one CPU: well above wrk's,
it is not the limit) and requests per connection; each round's figures;
the ratio of waypost-hookd unbatched to wrk (target of issue 22: at
least 0.70), of libcurl alone to wrk and of waypost-hookd to libcurl
alone, and of batched to unbatched events/s (target: at least
10x); the latency (target: p99 under 1 s at 500 events/s); and the
lines the daemon logged. Targets are printed, never judged. The machine
is shared: quote medians and ratios.

Run as root (it installs Debian's wrk if it is missing; the daemon needs
root to become nobody), after `make -C build all
tests/bench/waypost-webhook-sink tests/bench/waypost-curl-post`:
/usr/bin/python3
tests/bench/bench_hook.py --build build [--rounds 3] [--events 50000]
[--concurrency 8] [--batch 100] [--wrk-seconds 10] [--latency-rate 500]
[--latency-seconds 20] [--idle-seconds 3] [--poll-interval DURATION]
(the daemon's [hooks] poll_interval; unset, its default). Needs
redis-server, redis-cli and python3-redis. Every process it starts is
stopped at the end, on error, Ctrl-C or SIGTERM too, and it checks that
none is left (exit status 1 if one is).
"""
import argparse
import base64
import grp
import hashlib
import hmac
import json
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import redis as redis_client

from bench_common import (Filter, RedisServer, cpu_times, free_port,
                          install_anchors, process_cpu_seconds,
                          process_groups, read_text, report_left, resp,
                          steal_share, write)

PACKAGES = {"wrk": "wrk"}
PREFIX = "waypost:"
STREAM = f"{PREFIX}events"
WEBHOOK = "bench"
GROUP = f"waypost-hookd:{WEBHOOK}"
SECRET = "whsec_" + base64.b64encode(b"b" * 32).decode()
USER = "nobody"
POLL_SECONDS = 0.01
STALL_SECONDS = 60  # no progress that long: the run failed
RATIO_TARGET = 0.70
BATCH_TARGET = 10.0
LATENCY_RATE = 500
LATENCY_TARGET_MS = 1000
WRK = "wrk"
CURL = "libcurl alone"
CURL_DONE = re.compile(r"requests (\d+) seconds ([0-9.]+) non-2xx 0 errors 0")
UNBATCHED = "waypost-hookd"
BATCHED = "waypost-hookd, batch"
REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([0-9.]+)")
REQUESTS_DONE = re.compile(r"(\d+) requests in ([0-9.]+)(m?s|m)\b")
NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: (.*)")





def event(number, tag):
    """One delivered event as waypost-trackd writes it: compact JSON of
    about 400 bytes, its id unique by number and tag."""
    queue_id = f"4Q{number:08X}"
    first_seen = 1796200000 + tag
    return json.dumps({
        "id": f"{queue_id}.{first_seen}.1.1", "type": "delivered",
        "time": "2026-12-02T02:42:34Z", "queue_id": queue_id,
        "message_id": f"{number}.{first_seen}@app.example.com",
        "sender": "app@example.com", "tenant": "app@example.com",
        "recipient": f"user{number}@example.net", "dsn": "2.0.0",
        "reply": "host mx.example.net[192.0.2.2] said: 250 2.0.0 Ok: "
                 f"queued as 4R{number:08X} (in reply to end of DATA "
                 "command)",
        "class": None, "relay": "mx.example.net[192.0.2.2]:25",
        "attempts": 1, "seq": 1}, separators=(",", ":"))


def signature(webhook_id, timestamp, body):
    """Standard Webhooks' webhook-signature of a request, as the daemon
    signs it."""
    key = base64.b64decode(SECRET[len("whsec_"):])
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() +
                   body.encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class Sink(Filter):
    """waypost-webhook-sink on a free loopback port."""

    def __init__(self, program, work, name, latency_file=None):
        self.port = free_port()
        command = [program]
        if latency_file:
            command += ["-l", latency_file]
        super().__init__("waypost-webhook-sink", command + [str(self.port)],
                         ("127.0.0.1", self.port),
                         os.path.join(work, f"{name}-sink.log"))

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def counts(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/count",
                                    timeout=10) as answer:
            return json.loads(answer.read())

    def cpu(self):
        return process_cpu_seconds([self.process.pid])


class Bench:
    """What the sides share: programs, the work directory, the events
    file, and every process started, for the end."""

    def __init__(self, options, work):
        self.options = options
        self.work = work
        self.hookd = os.path.join(options.build, "hook", "waypost-hookd")
        self.sink = os.path.join(options.build, "tests", "bench",
                                 "waypost-webhook-sink")
        self.curl_post = os.path.join(options.build, "tests", "bench",
                                      "waypost-curl-post")
        self.started = []  # every Filter, in order
        self.runs = 0
        self.pipe_file = os.path.join(work, "events.resp")
        with open(self.pipe_file, "wb") as f:
            for n in range(options.events):
                f.write(resp("XADD", STREAM, "*", "event", event(n, 0)))
        self.body = event(0, 0)
        self.logged = []
        self.hooks_extra = (f"poll_interval = {options.poll_interval}\n"
                            if options.poll_interval else "")

    def start(self, filter_class, *arguments, **keywords):
        started = filter_class(*arguments, **keywords)
        self.started.append(started)
        return started

    def stop(self, started):
        started.stop()

    # wrk, the ceiling

    def request_headers(self):
        """The headers waypost-hookd sends, signed, for self.body."""
        timestamp = int(time.time())
        webhook_id = json.loads(self.body)["id"]
        return {
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(webhook_id, timestamp,
                                           self.body),
            "User-Agent": "waypost-hookd/bench", "Accept": "*/*"}

    def wrk(self):
        self.runs += 1
        options = self.options
        sink = self.start(Sink, self.sink, self.work, f"wrk-{self.runs}")
        try:
            script = os.path.join(self.work, "post.lua")
            headers = self.request_headers()
            write(script, "wrk.method = \"POST\"\n"
                          f"wrk.body = [==[{self.body}]==]\n" +
                  "".join(f"wrk.headers[\"{k}\"] = \"{v}\"\n"
                          for k, v in headers.items()))
            sink_cpu = sink.cpu()
            machine = cpu_times()
            result = subprocess.run(
                [WRK, "-t", "1", "-c", str(options.concurrency), "-d",
                 f"{options.wrk_seconds:g}s", "-s", script, sink.url],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                timeout=options.wrk_seconds + 120)
            steal = steal_share(machine, cpu_times())
            rate = REQUESTS_PER_SECOND.search(result.stdout)
            done = REQUESTS_DONE.search(result.stdout)
            if result.returncode != 0 or not rate or not done:
                raise RuntimeError(f"wrk failed:\n{result.stdout}")
            if NON_2XX.search(result.stdout) or \
                    SOCKET_ERRORS.search(result.stdout):
                raise RuntimeError(f"wrk saw errors:\n{result.stdout}")
            counts = sink.counts()
            # wrk counts the requests answered before its end; the
            # receiver also those it answered after (in flight then).
            if not 0 <= counts["requests"] - int(done.group(1)) <= \
                    options.concurrency:
                raise RuntimeError(f"the receiver counted {counts} against "
                                   f"wrk's:\n{result.stdout}")
            return {"rate": float(rate.group(1)),
                    "requests": int(done.group(1)),
                    "sink_cpu": sink.cpu() - sink_cpu,
                    "connections": counts["connections"], "steal": steal}
        finally:
            self.stop(sink)

    # libcurl alone, the floor of the library the daemon uses

    def curl_alone(self):
        self.runs += 1
        options = self.options
        sink = self.start(Sink, self.sink, self.work, f"curl-{self.runs}")
        try:
            body = os.path.join(self.work, "body.json")
            write(body, self.body)
            command = [self.curl_post, "-c", str(options.concurrency),
                       "-n", str(options.events)]
            for name, value in self.request_headers().items():
                command += ["-H", f"{name}: {value}"]
            sink_cpu = sink.cpu()
            machine = cpu_times()
            result = subprocess.run(
                command + [sink.url, body], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, timeout=STALL_SECONDS)
            steal = steal_share(machine, cpu_times())
            done = CURL_DONE.search(result.stdout)
            if result.returncode != 0 or not done:
                raise RuntimeError(f"waypost-curl-post failed:\n"
                                   f"{result.stdout}")
            requests, seconds = int(done.group(1)), float(done.group(2))
            counts = sink.counts()
            if counts["requests"] != requests:
                raise RuntimeError(f"the receiver counted {counts} against "
                                   f"waypost-curl-post's {requests}")
            return {"rate": requests / seconds, "requests": requests,
                    "seconds": seconds, "sink_cpu": sink.cpu() - sink_cpu,
                    "connections": counts["connections"], "steal": steal}
        finally:
            self.stop(sink)

    # waypost-hookd

    def config(self, name, redis, sink, batch):
        path = os.path.join(self.work, f"{name}.conf")
        write(path, f"[log]\nlevel = warning\n"
                    f"[redis]\naddress = {redis.address}\nprefix = {PREFIX}\n"
                    f"[hooks]\nuser = {USER}\nconsumer = bench\n"
                    f"{self.hooks_extra}"
                    f'[webhook "{WEBHOOK}"]\nurl = {sink.url}\n'
                    f"secret = {SECRET}\n"
                    f"concurrency = {self.options.concurrency}\n"
                    f"batch = {batch if batch > 1 else 'off'}\n", 0o640)
        # Root reads it; the daemon as nobody must read it for SIGHUP.
        os.chown(path, 0, pwd.getpwnam(USER).pw_gid)
        return path

    def start_hookd(self, name, redis, sink, batch):
        """The daemon, once its consumer group is there."""
        config = self.config(name, redis, sink, batch)
        log_path = os.path.join(self.work, f"{name}-hookd.log")
        daemon = self.start(HookDaemon, [self.hookd, "-f", "-c", config],
                            log_path)
        client = redis_client.Redis(host="127.0.0.1", port=redis.port)
        deadline = time.monotonic() + 20
        try:
            while not any(g["name"].decode() == GROUP for g in
                          groups(client)):
                if daemon.process.poll() is not None or \
                        time.monotonic() > deadline:
                    raise RuntimeError(f"waypost-hookd made no consumer "
                                       f"group:\n{read_text(log_path)}")
                time.sleep(POLL_SECONDS)
        finally:
            client.close()
        return daemon

    def wait_for(self, sink, daemon, events, started):
        """Until the receiver counted events; when it did, the time
        since started (time.monotonic())."""
        seen, progress = -1, time.monotonic()
        while True:
            count = sink.counts()["events"]
            now = time.monotonic()
            if count >= events:
                return now - started
            if count != seen:
                seen, progress = count, now
            if daemon.process.poll() is not None or \
                    now - progress > STALL_SECONDS:
                raise RuntimeError(f"waypost-hookd delivered {count} of "
                                   f"{events} events:\n"
                                   f"{read_text(daemon.log.name)}")
            time.sleep(POLL_SECONDS)

    def hookd_run(self, batch):
        self.runs += 1
        options = self.options
        name = f"hookd-{self.runs}"
        directory = os.path.join(self.work, name)
        os.mkdir(directory)
        redis = self.start(RedisServer, directory)
        sink = self.start(Sink, self.sink, self.work, name)
        daemon = None
        try:
            daemon = self.start_hookd(name, redis, sink, batch)
            pids = (daemon.process.pid, redis.process.pid)
            cpu = [process_cpu_seconds([p]) for p in pids]
            sink_cpu = sink.cpu()
            machine = cpu_times()
            started = time.monotonic()
            with open(self.pipe_file, "rb") as source:
                pipe = subprocess.Popen(
                    ["redis-cli", "-h", "127.0.0.1", "-p", str(redis.port),
                     "--pipe"], stdin=source, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True)
                output = pipe.communicate(timeout=300)[0]
            written = time.monotonic() - started
            if pipe.returncode != 0 or "errors: 0," not in output:
                raise RuntimeError(f"redis-cli --pipe:\n{output}")
            elapsed = self.wait_for(sink, daemon, options.events, started)
            cpu = [process_cpu_seconds([p]) - c for p, c in zip(pids, cpu)]
            steal = steal_share(machine, cpu_times())
            sink_cpu = sink.cpu() - sink_cpu
            counts = sink.counts()
            if counts["distinct"] != options.events or counts["repeats"] or \
                    counts["no_id"] or counts["bad"]:
                raise RuntimeError(f"the receiver counted {counts}, not "
                                   f"{options.events} distinct events once "
                                   f"each")
            client = redis_client.Redis(host="127.0.0.1", port=redis.port)
            deadline = time.monotonic() + 30
            while client.xpending(STREAM, GROUP)["pending"]:
                if time.monotonic() > deadline:
                    raise RuntimeError("events left pending in the group")
                time.sleep(POLL_SECONDS)
            client.close()
            self.stop(daemon)
            if daemon.process.returncode != 0:
                raise RuntimeError(f"waypost-hookd exited "
                                   f"{daemon.process.returncode}:\n"
                                   f"{read_text(daemon.log.name)}")
            self.logged += [f"{name}: {line}" for line in
                            read_text(daemon.log.name).splitlines()]
            return {"rate": options.events / elapsed, "seconds": elapsed,
                    "written": written, "cpu": cpu[0], "redis_cpu": cpu[1],
                    "requests": counts["requests"], "sink_cpu": sink_cpu,
                    "connections": counts["connections"], "steal": steal}
        finally:
            for started_filter in (daemon, sink, redis):
                if started_filter is not None:
                    self.stop(started_filter)
            shutil.rmtree(directory, ignore_errors=True)

    def unbatched(self):
        return self.hookd_run(1)

    def batched(self):
        return self.hookd_run(self.options.batch)

    def xadd_cost(self):
        """Redis's CPU seconds for the XADDs alone: the events file piped
        into a fresh Redis that nothing reads."""
        directory = os.path.join(self.work, "xadd")
        os.mkdir(directory)
        redis = self.start(RedisServer, directory)
        try:
            cpu = process_cpu_seconds([redis.process.pid])
            started = time.monotonic()
            with open(self.pipe_file, "rb") as source:
                subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p",
                                str(redis.port), "--pipe"], stdin=source,
                               stdout=subprocess.DEVNULL, check=True)
            return (process_cpu_seconds([redis.process.pid]) - cpu,
                    time.monotonic() - started)
        finally:
            self.stop(redis)
            shutil.rmtree(directory, ignore_errors=True)

    # latency

    def latency(self):
        options = self.options
        name = "latency"
        directory = os.path.join(self.work, name)
        os.mkdir(directory)
        arrivals_path = os.path.join(directory, "arrivals")
        redis = self.start(RedisServer, directory)
        sink = self.start(Sink, self.sink, self.work, name, arrivals_path)
        daemon = None
        try:
            daemon = self.start_hookd(name, redis, sink, 1)
            pids = (daemon.process.pid, redis.process.pid)
            time.sleep(0.5)  # its first reads and connection settle
            cpu = [process_cpu_seconds([p]) for p in pids]
            idle_started = time.monotonic()
            time.sleep(options.idle_seconds)
            idle_elapsed = time.monotonic() - idle_started
            idle = [(process_cpu_seconds([p]) - c) / idle_elapsed
                    for p, c in zip(pids, cpu)]
            total = int(options.latency_rate * options.latency_seconds)
            bodies = [event(n, 1) for n in range(total)]
            written = {}
            client = redis_client.Redis(host="127.0.0.1", port=redis.port)
            cpu = [process_cpu_seconds([p]) for p in pids]
            machine = cpu_times()
            started = time.monotonic()
            for n, body in enumerate(bodies):
                due = started + n / options.latency_rate
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                entry = client.xadd(STREAM, {"event": body})
                written[json.loads(body)["id"]] = int(entry.split(b"-")[0])
            writing = time.monotonic() - started
            self.wait_for(sink, daemon, total, started)
            cpu = [process_cpu_seconds([p]) - c for p, c in zip(pids, cpu)]
            steal = steal_share(machine, cpu_times())
            client.close()
            self.stop(daemon)
            self.logged += [f"{name}: {line}" for line in
                            read_text(daemon.log.name).splitlines()]
            self.stop(sink)
            arrivals = {}
            with open(arrivals_path) as f:
                for line in f:
                    event_id, ns = line.split()
                    arrivals.setdefault(event_id, int(ns))
            latencies = sorted(arrivals[i] / 1e6 - ms
                               for i, ms in written.items() if i in arrivals)
            return {"offered": total, "rate": total / writing,
                    "latencies": latencies,
                    "missing": total - len(latencies),
                    "idle": idle, "cpu": cpu, "steal": steal}
        finally:
            for started_filter in (daemon, sink, redis):
                if started_filter is not None:
                    self.stop(started_filter)
            shutil.rmtree(directory, ignore_errors=True)

    def left(self):
        """The processes started that are still there, and any process
        naming the work directory."""
        pids = {f.process.pid for f in self.started
                if f.process.poll() is None}
        found = [f"{pid} {command}" for pid, (_, command) in
                 process_groups().items()
                 if pid in pids or self.work in command]
        return found


class HookDaemon(Filter):
    """waypost-hookd in the foreground: no socket, so started without
    waiting for one (start_hookd() waits for its consumer group)."""

    def __init__(self, command, log_path):
        self.name = "waypost-hookd"
        self.socket = None
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log,
                                        stderr=subprocess.STDOUT)


def groups(client):
    try:
        return client.xinfo_groups(STREAM)
    except redis_client.ResponseError:
        return []  # no stream yet





def percentile(values, share):
    """The nearest-rank percentile of sorted values."""
    rank = max(1, round(share * len(values)))
    return values[min(rank, len(values)) - 1]


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def report(sides, options, xadd):
    wrk_runs, curl_runs, ours, batched = (
        sides[WRK], sides[CURL], sides[UNBATCHED], sides[BATCHED])
    events = options.events
    print(f"{'side':26} {'req/s':>9} {'events/s':>9} {'s':>6} "
          f"{'XADDs s':>7} {'CPU busy':>8} {'CPU ms/event':>12} "
          f"{'Redis ms/event':>14} {'receiver ms/req':>15} "
          f"{'req/conn':>9}")
    for name, runs in ((WRK, wrk_runs), (CURL, curl_runs), (UNBATCHED, ours),
                       (f"{BATCHED} {options.batch}", batched)):
        requests = median(runs, "requests")
        receiver = median(runs, "sink_cpu") / requests * 1000
        per_connection = requests / median(runs, "connections")
        if name in (WRK, CURL):
            seconds = (options.wrk_seconds if name == WRK
                       else median(runs, "seconds"))
            print(f"{name:26} {median(runs, 'rate'):9.0f} {'':9} "
                  f"{seconds:6.2f} {'':7} {'':8} {'':12} "
                  f"{'':14} {receiver:15.4f} {per_connection:9.0f}")
            continue
        busy = statistics.median(r["cpu"] / r["seconds"] for r in runs)
        print(f"{name:26} {requests / median(runs, 'seconds'):9.0f} "
              f"{median(runs, 'rate'):9.0f} {median(runs, 'seconds'):6.2f} "
              f"{median(runs, 'written'):7.2f} {busy:8.0%} "
              f"{median(runs, 'cpu') / events * 1000:12.4f} "
              f"{median(runs, 'redis_cpu') / events * 1000:14.4f} "
              f"{receiver:15.4f} {per_connection:9.0f}")
    print()
    for name, runs in sides.items():
        extra = ""
        if name not in (WRK, CURL):
            extra = (f", CPU {[round(r['cpu'], 2) for r in runs]} s, Redis "
                     f"{[round(r['redis_cpu'], 2) for r in runs]} s")
        print(f"runs, {name}: {[round(r['rate']) for r in runs]} "
              f"{'requests' if name in (WRK, CURL) else 'events'}/s{extra}, "
              f"steal "
              f"{', '.join(format(r['steal'], '.0%') for r in runs)}")
    xadd_cpu, xadd_seconds = xadd
    print(f"the {events} XADDs alone (redis-cli --pipe into a Redis nothing "
          f"reads): {xadd_seconds:.2f} s, Redis CPU "
          f"{xadd_cpu / events * 1000:.4f} ms/event (within Redis's figures "
          f"above)")
    ceiling = median(wrk_runs, "rate")
    unbatched = median(ours, "rate")
    with_batch = median(batched, "rate")
    floor = median(curl_runs, "rate")
    print(f"\n{UNBATCHED} / wrk: {unbatched / ceiling:.3f} of the ceiling's "
          f"requests/s (target of issue 22: at least {RATIO_TARGET:.2f})")
    print(f"{CURL} / wrk: {floor / ceiling:.3f} (the most any client built "
          f"on libcurl's multi interface can reach here)")
    print(f"{UNBATCHED} / {CURL}: {unbatched / floor:.3f} (what the "
          f"daemon's own work leaves of the library's rate)")
    print(f"{BATCHED} {options.batch} / unbatched: "
          f"{with_batch / unbatched:.2f}x the events/s (target: at least "
          f"{BATCH_TARGET:.0f}x)")


def report_latency(result, options):
    print(f"\nlatency: events XADDed one at a time at "
          f"{options.latency_rate} per second for "
          f"{options.latency_seconds:g} s, waypost-hookd unbatched: from "
          f"Redis adding the event (its entry id) to the receiver reading "
          f"its request")
    idle = result["idle"]
    print(f"  idle first ({options.idle_seconds:g} s, nothing to deliver): "
          f"waypost-hookd {idle[0]:.0%} of a CPU, Redis {idle[1]:.0%}")
    latencies = result["latencies"]
    if not latencies:
        print("  no event arrived")
        return
    ms = [percentile(latencies, q) for q in (0.5, 0.99, 1.0)]
    count = result["offered"]
    print(f"  {count} events at {result['rate']:.0f} events/s: p50 "
          f"{ms[0]:.1f} ms, p99 {ms[1]:.1f} ms, largest {ms[2]:.1f} ms "
          f"(target p99 under {LATENCY_TARGET_MS} ms at {LATENCY_RATE} "
          f"events/s); not arrived {result['missing']}")
    print(f"  CPU per event: waypost-hookd "
          f"{result['cpu'][0] / count * 1000:.3f} ms, Redis "
          f"{result['cpu'][1] / count * 1000:.3f} ms (with its XADD); "
          f"steal {result['steal']:.0%}")


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="top build directory")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--wrk-seconds", type=float, default=10)
    parser.add_argument("--latency-rate", type=int, default=LATENCY_RATE)
    parser.add_argument("--latency-seconds", type=float, default=20,
                        help="seconds of paced load; 0: no latency")
    parser.add_argument("--idle-seconds", type=float, default=3)
    parser.add_argument("--poll-interval",
                        help="[hooks] poll_interval (default: the "
                             "daemon's)")
    options = parser.parse_args()
    options.build = os.path.abspath(options.build)
    return options


def main():
    options = parse_options()
    install_anchors(PACKAGES, "bench_hook")
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(1))
    work = tempfile.mkdtemp(prefix="waypost-bench-hook-")
    os.chmod(work, 0o755)  # the daemon, as nobody, reads its config
    bench = None
    left = []
    try:
        bench = Bench(options, work)
        for program in (bench.hookd, bench.sink, bench.curl_post):
            if not os.access(program, os.X_OK):
                sys.exit(f"bench_hook: {program} is not built (make -C "
                         f"BUILD all tests/bench/waypost-webhook-sink "
                         f"tests/bench/waypost-curl-post)")
        print(f"waypost-hookd's webhooks: {options.events} events of "
              f"{len(bench.body)} bytes, concurrency {options.concurrency}, "
              f"{options.rounds} rounds alternating, medians; the receiver "
              f"waypost-webhook-sink; group "
              f"{grp.getgrgid(pwd.getpwnam(USER).pw_gid).gr_name} reads the "
              f"configuration\n", flush=True)
        sides = dict(zip((WRK, CURL, UNBATCHED, BATCHED), alternate_rounds(
            options.rounds, bench.wrk, bench.curl_alone, bench.unbatched,
            bench.batched)))
        xadd = bench.xadd_cost()
        report(sides, options, xadd)
        if options.latency_seconds > 0:
            report_latency(bench.latency(), options)
        print(f"\nwaypost-hookd logged {len(bench.logged)} lines at level "
              f"warning (all runs)")
        for line in bench.logged[:5]:
            print(f"    {line}")
    finally:
        if bench is not None:
            for started in bench.started:
                started.stop()
            left = bench.left()
        shutil.rmtree(work, ignore_errors=True)
    if report_left("processes started", left):
        sys.exit(1)


def alternate_rounds(rounds, *sides):
    """Each side's results over rounds, in turns, printing as it goes."""
    results = [[] for _ in sides]
    for number in range(rounds):
        for side, side_results in zip(sides, results):
            side_results.append(side())
            run = side_results[-1]
            print(f"round {number + 1}, {side.__name__}: "
                  f"{run['rate']:.0f}/s", flush=True)
    return results


if __name__ == "__main__":
    main()
