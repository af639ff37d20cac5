"""waypost-trackd's event latency behind a live Postfix, for bench_track.py.

A private Postfix on 127.0.0.1 (tests/integration/harness/postfix.py,
its own maillog_file, enable_long_queue_ids = yes so that no queue ID
comes twice) relays to Postfix's smtp-sink; a fresh private redis-server;
waypost-trackd follows that maillog with its records in Redis, [log]
level = warning. Once Postfix has written its first line the daemon
starts (it opens the log as root, then runs as nobody), then
WARMUP_MESSAGES messages go through; then the measurement:

- the load: smtp-source, -l 1024 from SENDER to RECIPIENT, one run of
  TICK_SECONDS * rate messages each TICK_SECONDS over sessions of its
  own (-d: several messages per connection), for the given seconds.
  smtp-source has no rate of its own (its -w waits whole seconds), so
  the runs are its pacing; at most MAX_SOURCES run at once, and a tick
  that finds them all busy waits, so the offered rate falls when Postfix
  cannot take it, and is printed.
- a tailer thread reads the maillog from its end, woken by inotify(7)
  as the daemon is, and notes time.monotonic() when it sees each
  "status=sent" line of postfix/smtp: (queue ID, recipient).
- a reader thread does XREAD BLOCK on PREFIX events (the stream of
  every tenant) from its last entry and notes time.monotonic() when each
  "delivered" event arrives: (queue_id, recipient) of its JSON.

Latency of a delivery: its event's arrival less its line's sighting. The
tailer sees a line a thread wake-up after Postfix wrote it (and may be
later than the daemon), which makes latencies that much smaller; the
reader's own delay counts in them. The part until Redis added the event
is its stream entry ID's milliseconds (whole: up to 1 ms early) less the
sighting's time.time(). After the load, up to DRAIN_SECONDS for the
last lines and events. Printed: offered and delivered rates, the count,
p50, p99 and the largest latency, lines that never got their event,
CPU milliseconds per message of the daemon and of Redis over the load
(Redis's includes serving the reader), the share of the machine's CPU
time that was busy (every process's, other users' too: at 100% every
process waits its turn) and the share the hypervisor took (steal), and
whatever the daemon logged (at warning, nothing, one hopes).
"""
import ctypes
import json
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time

import redis as redis_client

from bench_common import (RedisServer, Sink, cpu_times, process_cpu_seconds,
                          process_groups, read_text, steal_share)
from trackd_run import EVENTS_KEY, stop

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness.postfix import PrivatePostfix  # noqa: E402

SENDER = "app@example.com"
RECIPIENT = "user@example.net"
MESSAGE_BYTES = 1024
WARMUP_MESSAGES = 200
TICK_SECONDS = 0.05
SESSIONS_PER_RUN = 5
MAX_SOURCES = 40
DRAIN_SECONDS = 60
IN_MODIFY = 0x2  # sys/inotify.h
SENT = re.compile(rb"postfix/smtp\[\d+\]: (\w+): to=<([^>]*)>,"
                  rb"[^\n]* status=sent ")


class Tailer(threading.Thread):
    """When each status=sent line of the maillog was first seen:
    {(queue ID, recipient): (time.monotonic(), time.time())}. It reads on
    each inotify(7) IN_MODIFY of the file, as the daemon does."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.fd = os.open(path, os.O_RDONLY)
        os.lseek(self.fd, 0, os.SEEK_END)
        libc = ctypes.CDLL(None, use_errno=True)
        self.watch = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if (self.watch < 0 or libc.inotify_add_watch(
                self.watch, os.fsencode(path), IN_MODIFY) < 0):
            raise OSError(ctypes.get_errno(), f"inotify on {path}")
        self.seen = {}
        self.finish = threading.Event()

    def run(self):
        partial = b""
        while not self.finish.is_set():
            data = os.read(self.fd, 1 << 20)
            if not data:
                select.select([self.watch], [], [], 0.1)
                try:
                    os.read(self.watch, 1 << 16)
                except BlockingIOError:
                    pass
                continue
            now = (time.monotonic(), time.time())
            data = partial + data
            end = data.rfind(b"\n") + 1
            for match in SENT.finditer(data, 0, end):
                key = (match.group(1).decode(), match.group(2).decode())
                self.seen.setdefault(key, now)
            partial = data[end:]

    def close(self):
        self.finish.set()
        self.join()
        os.close(self.watch)
        os.close(self.fd)


class EventReader(threading.Thread):
    """When each delivered event arrived here, and when Redis added it
    (its entry ID's milliseconds): {(queue_id, recipient):
    (time.monotonic(), Unix seconds)}."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.client = redis_client.Redis(host="127.0.0.1", port=port)
        last = self.client.xrevrange(EVENTS_KEY, count=1)
        self.last = last[0][0] if last else b"0-0"
        self.seen = {}
        self.events = 0
        self.finish = threading.Event()

    def run(self):
        while not self.finish.is_set():
            reply = self.client.xread({EVENTS_KEY: self.last}, count=1000,
                                      block=200)
            now = time.monotonic()
            for _, entries in reply:
                for entry_id, fields in entries:
                    self.last = entry_id
                    self.events += 1
                    event = json.loads(fields[b"event"])
                    if event.get("type") == "delivered":
                        key = (event["queue_id"], event["recipient"])
                        added = int(entry_id.split(b"-")[0]) / 1000
                        self.seen.setdefault(key, (now, added))

    def close(self):
        self.finish.set()
        self.join()
        self.client.close()


def percentile(values, share):
    """The nearest-rank percentile of sorted values."""
    rank = max(1, round(share * len(values)))
    return values[min(rank, len(values)) - 1]


def smtp_source(port, messages, sessions):
    return subprocess.Popen(
        ["smtp-source", "-d", "-s", str(sessions), "-m", str(messages),
         "-l", str(MESSAGE_BYTES), "-f", SENDER, "-t", RECIPIENT,
         f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)


def reap(sources):
    """The runs still going; an error when one failed."""
    going = []
    for source in sources:
        if source.poll() is None:
            going.append(source)
        elif source.returncode != 0:
            raise RuntimeError(f"smtp-source exited {source.returncode}: "
                               f"{source.stderr.read().decode()}")
    return going


def offer(port, rate, seconds):
    """smtp-source runs paced at rate for seconds: (messages, seconds
    from the first run's start to the last one's end)."""
    sources, sent, ticks = [], 0, 0
    started = time.monotonic()
    tick = started
    while tick < started + seconds:
        time.sleep(max(0.0, tick - time.monotonic()))
        sources = reap(sources)
        while len(sources) >= MAX_SOURCES:
            time.sleep(TICK_SECONDS / 10)
            sources = reap(sources)
        ticks += 1
        count = round(rate * TICK_SECONDS * ticks) - sent
        if count > 0:
            sources.append(smtp_source(
                port, count, min(SESSIONS_PER_RUN, count)))
            sent += count
        tick = max(tick + TICK_SECONDS, time.monotonic() - TICK_SECONDS)
    for source in sources:
        source.wait()
    reap(sources)
    return sent, time.monotonic() - started


def busy_share(before, after):
    """Of the CPU time between two cpu_times(), the share that was not
    idle, iowait or steal: every process's, ours and the machine's other
    users'."""
    spent = [b - a for a, b in zip(before, after)][:8]
    idle = sum(spent[i] for i in (3, 4, 7) if i < len(spent))
    return 1 - idle / max(sum(spent), 1)


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} after {seconds} s")
        time.sleep(0.01)


class LiveRelay:
    """Postfix, smtp-sink, Redis and waypost-trackd following the
    maillog, started in directory; stop() stops what started."""

    def __init__(self, files, directory):
        self.files = files
        self.directory = directory
        self.sink = self.redis = self.postfix = self.daemon = None
        self.master = None

    def start(self):
        self.sink = Sink(self.directory)
        self.redis = RedisServer(self.directory)
        self.postfix = PrivatePostfix(self.sink.port,
                                      {"enable_long_queue_ids": "yes"})
        self.postfix.start()
        self.master = self.postfix.master_pid()
        wait_for(lambda: os.path.exists(self.postfix.maillog), 20,
                 "no maillog")
        config = self.files.write_config("live", self.postfix.maillog,
                                         "warning", self.redis.address)
        self.log_path = os.path.join(self.directory, "trackd-live.log")
        self.daemon = self.files.start(config, self.log_path)

    def check_daemon(self):
        if self.daemon.poll() is not None:
            raise RuntimeError(f"waypost-trackd exited "
                               f"{self.daemon.returncode}:\n"
                               f"{read_text(self.log_path)}")

    def stop(self):
        if self.daemon is not None:
            stop(self.daemon)
        if self.postfix is not None:
            self.postfix.started = True  # an interrupted start too
            self.postfix.stop()
        for part in (self.redis, self.sink):
            if part is not None:
                part.stop()

    def left(self):
        """The processes of this relay still running, after up to 10 s
        for Postfix's to notice their master is gone: ["PID COMMAND"]."""
        pids = {p.pid for p in (self.daemon,) if p} | {
            f.process.pid for f in (self.redis, self.sink) if f}
        deadline = time.monotonic() + 10
        while True:
            left = [f"{pid} {command}" for pid, (group, command)
                    in process_groups().items()
                    if group == self.master or pid in pids]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.2)


def measure(files, work, rate, seconds):
    """The whole measurement: a dict of what is printed, "left" the
    processes left running (none, one hopes)."""
    directory = os.path.join(work, "live")
    os.mkdir(directory)
    os.chmod(directory, 0o755)
    relay = LiveRelay(files, directory)
    tailer = reader = None
    try:
        relay.start()
        tailer = Tailer(relay.postfix.maillog)
        tailer.start()
        reader = EventReader(relay.redis.port)
        reader.start()
        reap([smtp_source(relay.postfix.port, WARMUP_MESSAGES,
                          SESSIONS_PER_RUN)])
        wait_for(lambda: len(reader.seen) >= WARMUP_MESSAGES, DRAIN_SECONDS,
                 "the warm-up's delivered events missing")
        relay.check_daemon()
        result = load(relay, tailer, reader, rate, seconds)
    finally:
        for thread in (reader, tailer):
            if thread is not None:
                thread.close()
        relay.stop()
        shutil.rmtree(directory, ignore_errors=True)
    result["left"] = relay.left()
    return result


def load(relay, tailer, reader, rate, seconds):
    """The load, its lines and their events."""
    begin = time.monotonic()
    pids = [relay.daemon.pid, relay.redis.process.pid]
    cpu = [process_cpu_seconds([pid]) for pid in pids]
    machine = cpu_times()
    offered, span = offer(relay.postfix.port, rate, seconds)

    def lines():
        return {k: t for k, t in list(tailer.seen.items()) if t[0] >= begin}
    wait_for(lambda: len(lines()) >= offered, DRAIN_SECONDS,
             "status=sent lines missing")
    sent = lines()
    try:
        wait_for(lambda: all(k in reader.seen for k in sent), 10,
                 "events missing")
    except RuntimeError:
        pass  # counted below
    cpu = [process_cpu_seconds([pid]) - c for pid, c in zip(pids, cpu)]
    now = cpu_times()
    steal = steal_share(machine, now)
    relay.check_daemon()
    latencies = sorted(reader.seen[k][0] - t[0] for k, t in sent.items()
                       if k in reader.seen)
    added = sorted(reader.seen[k][1] - t[1] for k, t in sent.items()
                   if k in reader.seen)
    return {
        "offered": offered, "offered_rate": offered / span,
        "delivered": len(sent),
        "delivered_rate": len(sent) / (max(t for t, _ in sent.values()) -
                                       begin),
        "latencies": latencies, "added": added,
        "missing": len(sent) - len(latencies),
        "trackd_ms": cpu[0] * 1000 / max(len(sent), 1),
        "redis_ms": cpu[1] * 1000 / max(len(sent), 1),
        "steal": steal, "busy": busy_share(machine, now),
        "warnings": read_text(relay.log_path).splitlines(),
    }
