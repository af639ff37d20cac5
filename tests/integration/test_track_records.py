"""waypost-trackd's records in a real Redis: exactly once across kill -9.

A synthetic Postfix 3.7 log (tests/bench/make-postfix-log.py: sent,
deferred then sent, bounced of every class, expired, postsuper -d,
Postfix's own bounces) is read twice into one redis-server under two
prefixes: once straight through, and once grown chunk by chunk while
waypost-trackd is killed with SIGKILL in the middle of chunks and
started again, then stopped with SIGTERM and started once more. Both
must leave the same Redis: the same events in the same order on every
stream (their JSON, ids included), the same records, suppressions and
expiration counts, and no event id twice. A restarted daemon resumes
at the position saved with its last batch and restores the messages it
read before from their records, so their tenant and record stay one.
Bad input (garbage, NULs, a line over 64 KiB, a cut line, a file that
shrinks) is counted and skipped around good messages, in little memory.
A reader whose saved position is lost reads the log again from its
beginning and changes nothing: a line older than a recipient's state,
or the same outcome in the same second, is known. The test waits for the
position the daemon saves, never a fixed time.
"""
import collections
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import SOURCE_DIR, program
from harness.waiting import wait_until
from harness.waypost import Daemon

GENERATOR = os.path.join(SOURCE_DIR, "tests", "bench", "make-postfix-log.py")
RULES = os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf")
RELAY = "relay-a"


def generate(path, lines, queue_ids="short"):
    subprocess.run(["/usr/bin/python3", GENERATOR, "--lines", str(lines),
                    "--queue-ids", queue_ids, "--backoff", "20",
                    "--queue-lifetime", "90", "--output", path],
                   check=True, stderr=subprocess.DEVNULL, timeout=300)
    with open(path, "rb") as f:
        return f.read()


def tracker(workdir, redis_server, log_file, prefix, name, redis_lines=None):
    """The daemon on redis_server, or with these [redis] lines instead
    (sentinels, say)."""
    if redis_lines is None:
        redis_lines = f"address = 127.0.0.1:{redis_server.port}\n"
    text = (f"[log]\nlevel = info\n"
            f"[redis]\n{redis_lines}"
            f"prefix = {prefix}\n"
            f"[track]\nlog_file = {log_file}\nrules_file = {RULES}\n"
            f"user = nobody\nrelay_name = {RELAY}\n")
    return Daemon(program("track/waypost-trackd"), workdir, text, name)


def offset(redis_server, prefix):
    saved = redis_server.client.get(f"{prefix}track-position:{RELAY}")
    return int(saved.split()[2]) if saved else 0


def wait_for_offset(daemon, redis_server, prefix, at_least):
    def reached():
        if daemon.process.poll() is not None:
            raise RuntimeError(f"waypost-trackd exited:\n{daemon.read_log()}")
        return offset(redis_server, prefix) >= at_least
    wait_until(reached, 120, f"the saved position at {at_least}")


def read_straight(workdir, redis_server, data, prefix):
    """data as one whole file, read into prefix to its end: the reference
    a run with kills or outages must equal; the file's path."""
    path = os.path.join(workdir, "straight.maillog")
    with open(path, "wb") as f:
        f.write(data)
    daemon = tracker(workdir, redis_server, path, prefix, "straight")
    daemon.start(wait=False)
    wait_for_offset(daemon, redis_server, prefix, len(data))
    assert daemon.stop() == 0
    return path


def dump(client, prefix):
    """Everything the tracker wrote under prefix, without the parts that
    name when Redis took it (stream entry ids) or where the log was."""
    streams, records, other = {}, {}, {}
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        name = key.decode()[len(prefix):]
        kind = client.type(key).decode()
        if kind == "stream":
            streams[name] = [json.loads(fields[b"event"])
                             for _, fields in client.xrange(key)]
        elif name.startswith("message:"):
            records[name] = client.hgetall(key)
        elif name.startswith("track-position:"):
            continue
        elif kind == "string":
            other[name] = client.get(key)
        elif kind == "set":
            other[name] = sorted(client.smembers(key))
        elif kind == "zset":
            other[name] = client.zrange(key, 0, -1, withscores=True)
        elif kind == "hash":
            other[name] = client.hgetall(key)
    return streams, records, other


def unprefixed(other, prefix):
    """Values that name keys (the indexes), without the prefix."""
    def strip(value):
        if isinstance(value, bytes) and value.startswith(prefix.encode()):
            return value[len(prefix):]
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value
    return {name: strip(value) for name, value in other.items()}


def test_kill_9_and_restarts_record_every_outcome_exactly_once(
        workdir, redis_server):
    source = os.path.join(workdir, "source.log")
    data = generate(source, 60000)
    client = redis_server.client

    straight = read_straight(workdir, redis_server, data, "a:")

    # The same bytes, appended in chunks at line ends; SIGKILL once the
    # daemon has saved a position inside the chunk (while it is still
    # reading it, unless it is quicker than the test).
    grown = os.path.join(workdir, "grown.maillog")
    open(grown, "wb").close()
    daemon = tracker(workdir, redis_server, grown, "b:", "grown")
    daemon.start(wait=False)
    chunks, written, kills = 6, 0, 0
    for i in range(1, chunks + 1):
        end = len(data) if i == chunks else data.index(
            b"\n", len(data) * i // chunks) + 1
        with open(grown, "ab") as f:
            f.write(data[written:end])
        if i in (2, 4):
            wait_for_offset(daemon, redis_server, "b:", written + 1)
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait()
            kills += 1
            daemon.stop()
            daemon.start(wait=False)
        if i == 5:
            wait_for_offset(daemon, redis_server, "b:", end)
            assert daemon.stop() == 0
            daemon.start(wait=False)
        written = end
    wait_for_offset(daemon, redis_server, "b:", len(data))
    assert daemon.stop() == 0
    log = daemon.read_log()
    assert kills == 2
    assert log.count("resuming ") >= 3, log

    streams_a, records_a, other_a = dump(client, "a:")
    streams_b, records_b, other_b = dump(client, "b:")

    # Its position lost (deleted by hand), a reader reads the whole log
    # again: the lines it had recorded change nothing, add no event.
    client.delete(f"a:track-position:{RELAY}")
    daemon = tracker(workdir, redis_server, straight, "a:", "again")
    daemon.start(wait=False)
    wait_for_offset(daemon, redis_server, "a:", len(data))
    assert daemon.stop() == 0
    streams, records, other = dump(client, "a:")
    for name in streams_a:
        extra = [e for e in streams[name] if e not in streams_a[name]]
        assert len(streams[name]) == len(streams_a[name]), (name, extra)
        assert streams[name] == streams_a[name], name
    assert records == records_a
    assert other == other_a

    # Something of every kind was recorded.
    events = streams_a["events"]
    types = collections.Counter(event["type"] for event in events)
    for kind in ("accepted", "delivered", "deferred", "bounced", "expired",
                 "dropped"):
        assert types[kind] > 0, types
    assert len({event["id"] for event in events}) == len(events)
    assert any(name.startswith("suppressed:") for name in other_a), other_a
    assert any(name.startswith("expirations:") for name in other_a)
    tenants = [name for name in streams_a if name.startswith("events:")]
    assert tenants
    assert sum(len(streams_a[name]) for name in tenants) < len(events)

    # The killed and restarted reader left exactly the same.
    ids_b = [event["id"] for event in streams_b["events"]]
    assert len(set(ids_b)) == len(ids_b), "an event recorded twice"
    assert sorted(streams_a) == sorted(streams_b)
    for name in streams_a:
        assert streams_b[name] == streams_a[name], name
    assert records_b.keys() == records_a.keys()
    for name, record in records_a.items():
        assert records_b[name] == record, name
    assert unprefixed(other_b, "b:") == unprefixed(other_a, "a:")


def test_a_restart_reads_nothing_twice_and_keeps_the_tenant(
        workdir, redis_server):
    """Stopped between a message's login and its delivery: the outcome
    read after the restart still names the tenant who logged in."""
    log_file = os.path.join(workdir, "maillog")
    head = (
        "Dec 01 10:00:00 relay postfix/smtpd[10]: 4A1B2C3D4E: "
        "client=app.example[192.0.2.1], sasl_method=PLAIN, "
        "sasl_username=Alice\n"
        "Dec 01 10:00:00 relay postfix/cleanup[11]: 4A1B2C3D4E: "
        "message-id=<m1@app.example>\n"
        "Dec 01 10:00:00 relay postfix/qmgr[12]: 4A1B2C3D4E: "
        "from=<news@app.example>, size=900, nrcpt=1 (queue active)\n")
    tail = (
        "Dec 01 10:00:01 relay postfix/smtp[13]: 4A1B2C3D4E: "
        "to=<bob@example.net>, relay=mx.example.net[198.51.100.1]:25, "
        "delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent "
        "(250 2.0.0 Ok)\n"
        "Dec 01 10:00:01 relay postfix/qmgr[12]: 4A1B2C3D4E: removed\n")
    with open(log_file, "w") as f:
        f.write(head)
    daemon = tracker(workdir, redis_server, log_file, "c:", "restart")
    daemon.start(wait=False)
    wait_for_offset(daemon, redis_server, "c:", len(head))
    assert daemon.stop() == 0
    with open(log_file, "a") as f:
        f.write(tail)
    daemon.start(wait=False)
    wait_for_offset(daemon, redis_server, "c:", len(head) + len(tail))
    assert daemon.stop() == 0

    client = redis_server.client
    events = [json.loads(fields[b"event"])
              for _, fields in client.xrange("c:events")]
    assert [event["type"] for event in events] == ["accepted", "delivered"]
    delivered = events[1]
    assert delivered["tenant"] == "alice"
    assert delivered["message_id"] == "m1@app.example"
    assert delivered["sender"] == "news@app.example"
    assert delivered["id"].startswith("4A1B2C3D4E.")
    assert [json.loads(fields[b"event"])["type"] for _, fields in
            client.xrange("c:events:alice")] == ["accepted", "delivered"]
    (key,) = client.get("c:message-id:m1@app.example").split()
    assert client.get(f"c:queue-id:{RELAY}:4A1B2C3D4E") == key
    record = client.hgetall(key)
    assert record[b"tenant"] == b"alice"
    assert record[b"user"] == b"Alice"
    assert b"removed" in record
    recipient = json.loads(record[b"r:bob@example.net"])
    assert recipient["status"] == "delivered"
    assert recipient["attempts"] == 1
    assert 0 < client.ttl(key) <= 7 * 86400
    assert "resuming " in daemon.read_log()


def test_redis_away_stalls_the_reader_and_loses_nothing(workdir, redis_server):
    """Redis stopped (SIGSTOP) while lines come: the daemon stops reading
    and says so, reads on once Redis answers; stopped again, SIGTERM
    ends the daemon with its batch unsaved, and the next start reads it
    again. A call that timed out but ran later never applies lines twice
    or out of order (the script checks the batch follows the saved
    position). The events are those of a straight read, each once."""
    source = os.path.join(workdir, "source.log")
    data = generate(source, 12000)
    quarter = [data.index(b"\n", len(data) * i // 4) + 1 for i in (1, 2, 3)]
    quarter.append(len(data))
    client = redis_server.client

    read_straight(workdir, redis_server, data, "s:")

    maillog = os.path.join(workdir, "away.maillog")
    with open(maillog, "wb") as f:
        f.write(data[:quarter[0]])
    daemon = tracker(workdir, redis_server, maillog, "w:", "away")
    daemon.start(wait=False)
    wait_for_offset(daemon, redis_server, "w:", quarter[0])
    try:
        redis_server.process.send_signal(signal.SIGSTOP)
        with open(maillog, "ab") as f:
            f.write(data[quarter[0]:quarter[1]])
        daemon.wait_for_log("no more reading until it takes", timeout=60,
                            or_exit=True)
        redis_server.process.send_signal(signal.SIGCONT)
        daemon.wait_for_log("Redis took the records again", timeout=60,
                            or_exit=True)
        wait_for_offset(daemon, redis_server, "w:", quarter[1])

        redis_server.process.send_signal(signal.SIGSTOP)
        with open(maillog, "ab") as f:
            f.write(data[quarter[1]:quarter[2]])
        daemon.wait_for_log("no more reading until it takes", count=2,
                            timeout=60, or_exit=True)
        assert daemon.stop(timeout=60) == 0
        assert "Redis did not take: they are read again" in \
            daemon.read_log()
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    with open(maillog, "ab") as f:
        f.write(data[quarter[2]:])
    # The calls that timed out while Redis was stopped are still in its
    # sockets, and may run now, after the new start read the position:
    # its first batch then does not follow the saved position, and it
    # stops to start again from there, as systemd starts it again.
    restarts = 0
    while True:
        daemon.start(wait=False)

        def done_or_exited():
            return daemon.process.poll() is not None or \
                offset(redis_server, "w:") >= len(data)
        wait_until(done_or_exited, 120, "the end of the log")
        if daemon.process.poll() is None:
            break
        assert "MOVED saved position" in daemon.read_log(), \
            daemon.read_log()
        daemon.stop()
        restarts += 1
        assert restarts < 5
    assert daemon.stop() == 0

    streams_s, records_s, _ = dump(client, "s:")
    streams_w, records_w, _ = dump(client, "w:")
    for name, events in streams_s.items():
        got = streams_w.get(name, [])
        assert got == events, (name, [e for e in got if e not in events],
                               [e for e in events if e not in got])
    assert streams_w == streams_s
    assert records_w == records_s


def test_a_message_id_index_names_the_newest_records(workdir, redis_server):
    """Nineteen messages with one Message-ID: its index is a string naming
    the newest 16 records, oldest first; an index a version 2 daemon left
    as a set is replaced by a string."""
    client = redis_server.client
    client.sadd("c:message-id:old@app.example", "c:message:gone")
    lines = []
    for number in range(20):
        queue_id = f"4A1B2C3D{number:02X}"
        message_id = "old@app.example" if number == 0 else "same@app.example"
        lines.append(
            f"Dec 01 10:00:{number:02d} relay postfix/cleanup[11]: "
            f"{queue_id}: message-id=<{message_id}>\n"
            f"Dec 01 10:00:{number:02d} relay postfix/qmgr[12]: {queue_id}: "
            f"from=<news@app.example>, size=900, nrcpt=1 (queue active)\n")
    read_straight(workdir, redis_server, "".join(lines).encode(), "c:")

    keys = client.get("c:message-id:same@app.example").split()
    assert [key.split(b":")[-1].split(b".")[0] for key in keys] == \
        [f"4A1B2C3D{number:02X}".encode() for number in range(4, 20)]
    for key in keys:
        assert client.hget(key, "message_id") == b"same@app.example"
    assert 0 < client.ttl("c:message-id:same@app.example") <= 7 * 86400
    (key,) = client.get("c:message-id:old@app.example").split()
    assert key.startswith(f"c:message:{RELAY}:4A1B2C3D00.".encode())


def message_lines(queue_id, second, recipient="bob@example.net"):
    return (
        f"Dec 01 10:00:{second:02d} relay postfix/smtpd[10]: {queue_id}: "
        f"client=app.example[192.0.2.1]\n"
        f"Dec 01 10:00:{second:02d} relay postfix/qmgr[12]: {queue_id}: "
        f"from=<news@app.example>, size=900, nrcpt=1 (queue active)\n"
        f"Dec 01 10:00:{second:02d} relay postfix/smtp[13]: {queue_id}: "
        f"to=<{recipient}>, relay=mx.example.net[198.51.100.1]:25, "
        f"delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent "
        f"(250 2.0.0 Ok)\n"
        f"Dec 01 10:00:{second:02d} relay postfix/qmgr[12]: {queue_id}: "
        f"removed\n").encode()


def test_bad_input_is_counted_and_skipped(workdir, redis_server):
    """Garbage, NULs, a line over 64 KiB, a delivery line cut before its
    reply ends, then the file shrinks: the daemon goes on, counts each,
    keeps a small memory, and records the good messages around them."""
    log_file = os.path.join(workdir, "bad.maillog")
    data = (message_lines("1A2B3C4D5E", 1)
            + b"\x00\xff garbage \x01 not a log line\n"
            + b"Dec 01 10:00:02 relay postfix/smtp[13]: " + b"x" * 70000
            + b"\n"
            + b"Dec 01 10:00:02 relay postfix/smtp[13]: 1A2B3C4D5F: "
              b"to=<cut@example.net>, relay=none, delay=1, delays=0/0/0/1,"
              b" dsn=4.4.1, status=deferred (connect to mx.example.net[19\n"
            + os.urandom(4096).replace(b"\n", b" ") + b"\n"
            + message_lines("2A2B3C4D5E", 3))
    with open(log_file, "wb") as f:
        f.write(data)
    daemon = tracker(workdir, redis_server, log_file, "g:", "bad")
    daemon.start(wait=False)
    wait_for_offset(daemon, redis_server, "g:", len(data))
    # The file shrinks (written over from its start): read from its start.
    shrunk = message_lines("3A2B3C4D5E", 5)
    with open(log_file, "wb") as f:
        f.write(shrunk)
    daemon.wait_for_log("reading it again from its start", or_exit=True)
    wait_until(lambda: any(
        json.loads(fields[b"event"])["queue_id"] == "3A2B3C4D5E"
        for _, fields in redis_server.client.xrange("g:events")), 60,
        "the message after the shrink")
    with open(f"/proc/{daemon.process.pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
    assert rss < 64 * 1024, f"{rss} kB resident"
    assert daemon.stop() == 0
    (summary,) = re.findall(r"summary: (.*)", daemon.read_log())
    counters = dict(pair.split("=") for pair in summary.split())
    assert int(counters["garbage"]) >= 2, summary
    assert int(counters["long"]) == 1, summary
    assert int(counters["cut"]) >= 1, summary
    events = [json.loads(fields[b"event"])
              for _, fields in redis_server.client.xrange("g:events")]
    delivered = sorted(e["queue_id"] for e in events
                       if e["type"] == "delivered")
    assert delivered == ["1A2B3C4D5E", "2A2B3C4D5E", "3A2B3C4D5E"]
    cut = [e for e in events if e["queue_id"] == "1A2B3C4D5F"]
    assert [e["type"] for e in cut] == ["deferred"], cut
