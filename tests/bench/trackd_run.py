"""waypost-trackd over one log file, for bench_track.py.

TrackdFiles writes what every run needs into the benchmark's directory:
a copy of contrib/bounce-classes.conf and a waypost.conf per run
(write_config()): [log] level, [track] log_file, rules_file, user =
nobody (the daemon refuses to run as root without a user), relay_name =
RELAY, and [redis] address or records = no.

with_records() runs the daemon with its Redis writes over a file from
its beginning: a fresh private redis-server (no persistence, loopback),
the daemon started with -f, and the time until the log position it saves
with every batch, PREFIX track-position:RELAY = "DEVICE INODE OFFSET
HASH", has OFFSET equal to the file's size (read every POLL_SECONDS).
CPU seconds of the daemon and of redis-server from /proc/PID/stat, the
daemon's peak RSS (VmHWM) before it is stopped, and Redis's used_memory
then less its used_memory before the daemon started.

lines_only() runs it with records = no on the file as standard input,
which ends the daemon at its end: from its start to its exit, CPU time
and peak RSS from GNU time (run_measured()), its log lines (level info,
one per outcome, to a file) and its counters (the "summary:" line it
logs at exit).

memory_by_kind() splits Redis's memory by key kind (the word after
PREFIX); event_types() counts the events of the all-tenant stream by
type.

redis_floor() measures what no design storing the same data can beat:
every key the daemon left in Redis (each stream entry, each hash whole,
each set, string and sorted set, with its expiry) written again into a
fresh Redis with the fewest commands (one XADD per stream entry with its
id, one HSET per hash with all its fields, ...), all in one `redis-cli
--pipe`, the fastest client there is (no round trip waits). Its time is
Redis's own floor for this log: the daemon must also parse the log,
and it builds its records step by step, as the lines come.
"""
import os
import random
import re
import shutil
import signal
import subprocess
import time

import redis as redis_client

from bench_common import (RedisServer, peak_rss_kb, process_cpu_seconds,
                          read_text, resp, run_measured, write)

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "..", "..", "contrib", "bounce-classes.conf")
RELAY = "bench"
PREFIX = "waypost:"
POSITION_KEY = f"{PREFIX}track-position:{RELAY}"
EVENTS_KEY = f"{PREFIX}events"
POLL_SECONDS = 0.05
TIMEOUT_SECONDS = 900
SAMPLE_KEYS = 2000  # keys of each kind whose MEMORY USAGE is read
EVENT_TYPE = re.compile(rb'"type":"([a-z]+)"')
SUMMARY = re.compile(r"summary: (.*)$", re.MULTILINE)


class TrackdFiles:
    """The daemon, its rules file and its configurations in directory."""

    def __init__(self, build, directory):
        self.program = os.path.join(build, "track", "waypost-trackd")
        self.directory = directory
        self.rules = os.path.join(directory, "bounce-classes.conf")
        shutil.copyfile(RULES, self.rules)
        os.chmod(self.rules, 0o644)

    def built(self):
        return os.access(self.program, os.X_OK)

    def write_config(self, name, log_file, level, redis_address=None):
        """NAME.conf: records in the Redis at redis_address, or records =
        no when it is None; the path."""
        path = os.path.join(self.directory, f"{name}.conf")
        records = ("records = no\n" if redis_address is None else "")
        redis = ("" if redis_address is None else
                 f"[redis]\naddress = {redis_address}\nprefix = {PREFIX}\n")
        write(path, f"[log]\nlevel = {level}\n{redis}[track]\n"
                    f"log_file = {log_file}\nrules_file = {self.rules}\n"
                    f"user = nobody\nrelay_name = {RELAY}\n{records}")
        return path

    def start(self, config, log_path, stdin=None):
        """The daemon in the foreground, its log (stderr) in log_path."""
        with open(log_path, "w") as log:
            return subprocess.Popen([self.program, "-f", "-c", config],
                                    stdin=stdin, stdout=log,
                                    stderr=subprocess.STDOUT)


def stop(process, timeout=20):
    """SIGTERM, then SIGKILL; the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode





def saved_offset(client):
    """OFFSET of the saved position, or -1 when none is saved yet."""
    position = client.get(POSITION_KEY)
    return int(position.split()[2]) if position else -1


def wait_for_offset(client, process, size, log_path):
    """Until the saved position is at size; an error when the daemon
    ends first or takes longer than TIMEOUT_SECONDS."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while saved_offset(client) != size:
        if process.poll() is not None:
            raise RuntimeError(f"waypost-trackd exited "
                               f"{process.returncode}:\n"
                               f"{read_text(log_path)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"waypost-trackd did not save the position "
                               f"{size} in {TIMEOUT_SECONDS} s (saved "
                               f"{saved_offset(client)}):\n"
                               f"{read_text(log_path)}")
        time.sleep(POLL_SECONDS)


# Commands this bench sends itself, not the daemon's script.
OWN_COMMANDS = ("cmdstat_info", "cmdstat_get", "cmdstat_script|load",
                "cmdstat_config|resetstat", "cmdstat_memory|usage",
                "cmdstat_scan", "cmdstat_type", "cmdstat_xrange",
                "cmdstat_dbsize")


def script_split(client):
    """Redis's time in the record script (EVALSHA, its commands
    included) and in the commands the script called, from INFO
    commandstats: {"script_seconds", "script_command_seconds"}. What is
    left is the script's own work (Lua, its JSON, argument handling,
    each redis.call's dispatch)."""
    stats = client.info("commandstats")
    script = sum(stats.get(name, {}).get("usec", 0)
                 for name in ("cmdstat_evalsha", "cmdstat_eval"))
    inner = sum(value.get("usec", 0) for name, value in stats.items()
                if name not in ("cmdstat_evalsha", "cmdstat_eval") and
                name not in OWN_COMMANDS)
    return {"script_seconds": script / 1e6,
            "script_command_seconds": inner / 1e6}


def with_records(files, path, lines, messages, name, analyse=False):
    """One run with records in a fresh Redis: {"rate", "seconds", "cpu"
    (the daemon's), "redis_cpu", "rss_kb", "redis_bytes" (used_memory
    after less before), "bytes_per_message", "warnings" (the lines it
    logged, at level warning), script_split()'s two}; with analyse also
    "by_kind" (memory_by_kind()) and "events" (event_types())."""
    directory = os.path.join(files.directory, name)
    os.mkdir(directory)
    redis = RedisServer(directory)
    daemon = None
    try:
        client = redis_client.Redis(host="127.0.0.1", port=redis.port)
        empty = client.info("memory")["used_memory"]
        config = files.write_config(name, path, "warning", redis.address)
        log_path = os.path.join(directory, "trackd.log")
        size = os.path.getsize(path)
        redis_cpu = process_cpu_seconds([redis.process.pid])
        started = time.monotonic()
        daemon = files.start(config, log_path)
        wait_for_offset(client, daemon, size, log_path)
        elapsed = time.monotonic() - started
        result = {
            "rate": lines / elapsed, "seconds": elapsed,
            "cpu": process_cpu_seconds([daemon.pid]),
            "redis_cpu": process_cpu_seconds([redis.process.pid]) -
            redis_cpu,
            "rss_kb": peak_rss_kb(daemon.pid)}
        used = client.info("memory")["used_memory"] - empty
        result["redis_bytes"] = used
        result.update(script_split(client))
        result["bytes_per_message"] = used / messages
        if stop(daemon) != 0:
            raise RuntimeError(f"waypost-trackd exited {daemon.returncode}"
                               f":\n{read_text(log_path)}")
        result["warnings"] = read_text(log_path).splitlines()
        if analyse:
            result["by_kind"] = memory_by_kind(client)
            result["events"] = event_types(client)
            result["floor"] = redis_floor(client, files.directory)
        client.close()
    finally:
        if daemon is not None:
            stop(daemon)
        redis.stop()
        shutil.rmtree(directory, ignore_errors=True)
    return result


def lines_only(files, path, lines, name):
    """One run with records = no on path as standard input, its log at
    level info in a file: {"rate", "seconds", "cpu", "redis_cpu" (0),
    "rss_kb", "summary" (its counters), "log_lines"}."""
    config = files.write_config(name, "-", "info")
    log_path = os.path.join(files.directory, f"{name}.log")
    with open(path, "rb") as source, open(log_path, "w") as log:
        elapsed, cpu, peak, status = run_measured(
            [files.program, "-f", "-c", config], stdin=source, stdout=log)
    text = read_text(log_path, limit=1 << 30)
    os.unlink(log_path)
    if status != 0:
        raise RuntimeError(f"waypost-trackd (records = no) exited "
                           f"{status}:\n{text[-4000:]}")
    summary = SUMMARY.search(text)
    return {"rate": lines / elapsed, "seconds": elapsed, "cpu": cpu,
            "redis_cpu": 0.0, "rss_kb": peak, "log_lines": text.count("\n"),
            "summary": dict(item.split("=", 1) for item in
                            summary.group(1).split()) if summary else {}}


def key_kind(key):
    """The word after PREFIX; the all-tenant stream and a tenant's
    stream apart."""
    rest = key[len(PREFIX):].decode(errors="replace")
    if rest == "events":
        return "events (all tenants)"
    kind = rest.split(":", 1)[0]
    return "events:TENANT" if kind == "events" else kind


def memory_by_kind(client, seed=21):
    """{kind: (keys, bytes)}: every key of each kind counted (SCAN), the
    MEMORY USAGE (SAMPLES 0: every element) of every stream and of up to
    SAMPLE_KEYS keys of each other kind, drawn at random, times the
    count. MEMORY USAGE leaves out part of Redis's own per-key overhead
    (the expires table, the key table's free slots)."""
    rng = random.Random(seed)
    counts, samples = {}, {}
    for key in client.scan_iter(match=PREFIX + "*", count=1000):
        kind = key_kind(key)
        counts[kind] = counts.get(kind, 0) + 1
        drawn = samples.setdefault(kind, [])
        limit = 10 ** 9 if kind.startswith("events") else SAMPLE_KEYS
        if len(drawn) < limit:
            drawn.append(key)
        else:  # reservoir sampling: each key kept with equal chance
            slot = rng.randrange(counts[kind])
            if slot < limit:
                drawn[slot] = key
    result = {}
    for kind, keys in samples.items():
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.memory_usage(key, samples=0)
        sizes = [size or 0 for size in pipe.execute()]
        result[kind] = (counts[kind], sum(sizes) / len(sizes) * counts[kind])
    return result


def write_again(client, out, chunk=10000):
    """Every key under PREFIX as the fewest commands that make it again,
    in Redis's protocol, to out; the number of commands."""
    commands = 0
    for key in client.scan_iter(match=PREFIX + "*", count=1000):
        kind = client.type(key)
        if kind == b"stream":
            start = b"-"
            while True:
                entries = client.xrange(key, start, "+", count=chunk)
                if not entries:
                    break
                for entry_id, fields in entries:
                    words = [w for pair in fields.items() for w in pair]
                    out.write(resp("XADD", key, entry_id, *words))
                    commands += 1
                start = b"(" + entries[-1][0]
        elif kind == b"hash":
            words = [w for pair in client.hgetall(key).items() for w in pair]
            out.write(resp("HSET", key, *words))
        elif kind == b"string":
            out.write(resp("SET", key, client.get(key)))
        elif kind == b"set":
            out.write(resp("SADD", key, *client.smembers(key)))
        elif kind == b"zset":
            words = [w for member, score in client.zrange(
                key, 0, -1, withscores=True) for w in (repr(score), member)]
            out.write(resp("ZADD", key, *words))
        elif kind == b"list":
            out.write(resp("RPUSH", key, *client.lrange(key, 0, -1)))
        else:
            continue
        commands += kind != b"stream"
        ttl = client.pttl(key)
        if ttl > 0:
            out.write(resp("PEXPIRE", key, str(ttl)))
            commands += 1
    return commands


def redis_floor(client, directory):
    """{"seconds", "redis_cpu", "commands"}: the daemon's data written
    again into a fresh Redis by one redis-cli --pipe (see above)."""
    path = os.path.join(directory, "floor.resp")
    with open(path, "wb") as out:
        commands = write_again(client, out)
    floor_directory = os.path.join(directory, "floor")
    os.mkdir(floor_directory)
    redis = RedisServer(floor_directory)
    try:
        redis_cpu = process_cpu_seconds([redis.process.pid])
        started = time.monotonic()
        with open(path, "rb") as source:
            result = subprocess.run(
                ["redis-cli", "-h", "127.0.0.1", "-p", str(redis.port),
                 "--pipe"], stdin=source, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_SECONDS)
        seconds = time.monotonic() - started
        if result.returncode != 0 or "errors: 0," not in result.stdout:
            raise RuntimeError(f"redis-cli --pipe:\n{result.stdout}")
        return {"seconds": seconds, "commands": commands,
                "redis_cpu": process_cpu_seconds([redis.process.pid]) -
                redis_cpu}
    finally:
        redis.stop()
        shutil.rmtree(floor_directory, ignore_errors=True)
        os.unlink(path)


def event_types(client, chunk=10000):
    """{type: count} of the events of the all-tenant stream, and the
    number of event ids seen more than once (the same event twice)."""
    types, ids, repeated = {}, set(), 0
    start = b"-"
    while True:
        entries = client.xrange(EVENTS_KEY, start, "+", count=chunk)
        if not entries:
            break
        for entry_id, fields in entries:
            event = fields[b"event"]
            match = EVENT_TYPE.search(event)
            kind = match.group(1).decode() if match else "?"
            types[kind] = types.get(kind, 0) + 1
            event_id = re.search(rb'"id":"([^"]*)"', event)
            if event_id:
                if event_id.group(1) in ids:
                    repeated += 1
                ids.add(event_id.group(1))
        start = b"(" + entries[-1][0]  # after it
    return types, repeated
