"""waypostctl message show, events follow and webhook attempts over the
records and events a real waypost-trackd wrote from a Postfix log, and the
attempts a real waypost-hookd made.

The log holds a message of three recipients (delivered, bounced,
deferred) and the same Message-ID sent again: message show finds both
records by the Message-ID, one by its queue ID, and says which relay;
--json is parsed. A message there is no record of gives EX_NOINPUT, bad
arguments EX_DATAERR or EX_USAGE, a Redis that is not there
EX_UNAVAILABLE, each with one line on stderr. events follow is started,
seen blocked in XREAD (CLIENT LIST), then fed events by more log lines:
it prints them as the stream holds them and stops after --count, or at
SIGINT with status 0. webhook attempts takes a Message-ID and shows
hookd's attempts for its records. No fixed sleeps: each wait is for a
state (the tracker's saved position, a blocked client, a line).
"""
import json
import os
import select
import signal
import subprocess
import time

import pytest

from conftest import program
from harness.ports import free_port
from harness.waiting import wait_until
from test_ctl import EX_DATAERR, EX_UNAVAILABLE, EX_USAGE, ctl  # noqa: F401
from test_ctl_track import EX_NOINPUT
from test_hook import (PREFIX, SECRET, hookd, receiver,  # noqa: F401
                       started, stop_daemons)
from test_track_records import RELAY, tracker, wait_for_offset

MESSAGE_ID = "m1@app.example"


def lines_of(queue_id, second, message_id, recipients):
    """A message logged by Postfix: login, Message-ID, qmgr, then
    (recipient, dsn, status, reply) each."""
    head = f"Dec 01 10:00:{second:02d} relay postfix"
    text = (f"{head}/smtpd[10]: {queue_id}: client=app.example[192.0.2.1],"
            f" sasl_method=PLAIN, sasl_username=Alice\n"
            f"{head}/cleanup[11]: {queue_id}: message-id=<{message_id}>\n"
            f"{head}/qmgr[12]: {queue_id}: from=<news@app.example>, "
            f"size=900, nrcpt={len(recipients)} (queue active)\n")
    for recipient, dsn, status, reply in recipients:
        text += (f"{head}/smtp[13]: {queue_id}: to=<{recipient}>, "
                 f"relay=mx.example.net[198.51.100.1]:25, delay=1, "
                 f"delays=0/0/0.5/0.5, dsn={dsn}, status={status} "
                 f"({reply})\n")
    return text


SENT = ("bob@example.net", "2.0.0", "sent", "250 2.0.0 Ok")
BOUNCED = ("carol@example.net", "5.1.1", "bounced",
           "host mx.example.net[198.51.100.1] said: 550 5.1.1 user unknown "
           "(in reply to RCPT TO command)")
DEFERRED = ("dave@example.net", "4.2.0", "deferred",
            "host mx.example.net[198.51.100.1] said: 450 4.2.0 mailbox busy "
            "(in reply to RCPT TO command)")


class Tracked:
    """waypost-trackd reading a log that the test grows."""

    def __init__(self, workdir, redis_server):
        self.redis_server = redis_server
        self.path = os.path.join(workdir, "maillog")
        open(self.path, "w").close()
        self.daemon = tracker(workdir, redis_server, self.path, PREFIX,
                              "track")
        self.daemon.start(wait=False)
        self.size = 0

    def log(self, text):
        """Appended, and read into Redis."""
        with open(self.path, "a") as f:
            f.write(text)
        self.size += len(text.encode())
        wait_for_offset(self.daemon, self.redis_server, PREFIX, self.size)

    def stop(self):
        assert self.daemon.stop() == 0, self.daemon.read_log()


@pytest.fixture
def tracked(workdir, redis_server):
    t = Tracked(workdir, redis_server)
    yield t
    t.stop()


@pytest.fixture
def two_messages(tracked):
    tracked.log(lines_of("1A2B3C4D5E", 0, MESSAGE_ID,
                         [SENT, BOUNCED, DEFERRED])
                + lines_of("2A2B3C4D5E", 5, MESSAGE_ID, [SENT]))
    return tracked


def records(done):
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_message_show_by_message_id_and_queue_id(two_messages, ctl):
    both = records(ctl("--json", "message", "show", f"<{MESSAGE_ID}>"))
    assert [(r["queue_id"], r["relay"]) for r in both] == [
        ("1A2B3C4D5E", RELAY), ("2A2B3C4D5E", RELAY)]
    first = both[0]
    assert first["record"].startswith("1A2B3C4D5E.")
    assert first["message_id"] == MESSAGE_ID
    assert first["sender"] == "news@app.example"
    assert first["tenant"] == "alice"
    assert first["user"] == "Alice"
    assert first["client"] == "app.example[192.0.2.1]"
    assert first["size"] == 900 and first["recipient_count"] == 3
    assert first["received"].endswith("Z") and first["accepted"]
    assert first["recipients_left_out"] == 0
    got = {r["address"]: r for r in first["recipients"]}
    assert [r["address"] for r in first["recipients"]] == [
        "bob@example.net", "carol@example.net", "dave@example.net"]
    assert (got["bob@example.net"]["status"],
            got["bob@example.net"]["dsn"]) == ("delivered", "2.0.0")
    assert got["bob@example.net"]["class"] is None
    carol = got["carol@example.net"]
    assert (carol["status"], carol["dsn"], carol["class"]) == \
        ("bounced", "5.1.1", "invalid-recipient")
    assert carol["reply"] == BOUNCED[3]
    assert carol["relay"] == "mx.example.net[198.51.100.1]:25"
    assert carol["attempts"] == 1
    assert carol["first"] == carol["last"] and carol["first"].endswith("Z")
    assert got["dave@example.net"]["status"] == "deferred"
    # Without brackets, the same.
    assert records(ctl("--json", "message", "show", MESSAGE_ID)) == both

    (one,) = records(ctl("--json", "message", "show", "2A2B3C4D5E"))
    assert one == both[1]
    (one,) = records(ctl("--json", "message", "show", "1A2B3C4D5E",
                         "--relay", RELAY))
    assert one == first
    assert records(ctl("--json", "message", "show", MESSAGE_ID,
                       "--relay", RELAY)) == both

    human = ctl("message", "show", "1A2B3C4D5E").stdout.splitlines()
    assert human[0] == f"message {first['record']} on relay {RELAY}"
    assert f"  Message-ID  <{MESSAGE_ID}>" in human
    assert "  tenant      alice" in human
    assert "  size        900 bytes, 3 recipients" in human
    table = human.index(next(line for line in human
                             if line.startswith("RECIPIENT")))
    assert human[table].split() == ["RECIPIENT", "STATUS", "ATTEMPTS",
                                    "FIRST", "LAST", "DSN", "CLASS",
                                    "RELAY", "REPLY"]
    carol_line = human[table + 2].split()
    assert carol_line[:3] == ["carol@example.net", "bounced", "1"]
    assert carol_line[5:7] == ["5.1.1", "invalid-recipient"]
    assert human[table + 2].endswith(BOUNCED[3])
    # Two records: two blocks, a blank line between.
    human = ctl("message", "show", MESSAGE_ID).stdout.splitlines()
    assert [line for line in human if line.startswith("message ")] == [
        f"message {both[0]['record']} on relay {RELAY}",
        f"message {both[1]['record']} on relay {RELAY}"]
    assert "" in human


@pytest.mark.parametrize("arguments", [
    ("<gone@app.example>",), ("9F9F9F9F9F",),
    ("1A2B3C4D5E", "--relay", "other-relay"),
    (MESSAGE_ID, "--relay", "other-relay")])
def test_message_show_of_no_record(two_messages, ctl, arguments):
    done = ctl("message", "show", *arguments, code=EX_NOINPUT)
    assert done.stdout == ""
    assert done.stderr.startswith("waypostctl: message show: no record of ")
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("arguments, code", [
    (("message",), EX_USAGE),
    (("message", "show"), EX_USAGE),
    (("message", "list", "x"), EX_USAGE),
    (("message", "show", "a@b", "--relay"), EX_USAGE),
    (("message", "show", "a@b", "--tenant", "x"), EX_USAGE),
    (("message", "show", "<>"), EX_DATAERR),
    (("message", "show", ""), EX_DATAERR),
    (("message", "show", "a" * 999 + "@b"), EX_DATAERR),
    (("message", "show", "a\x01b@example"), EX_DATAERR),
    (("message", "show", "<a\nb@example>"), EX_DATAERR),
    (("message", "show", "a@b", "--relay", "a b"), EX_DATAERR),
    (("events",), EX_USAGE),
    (("events", "tail"), EX_USAGE),
    (("events", "follow", "--tenant"), EX_USAGE),
    (("events", "follow", "--colour", "x"), EX_USAGE),
    (("events", "follow", "--from", "0", "--since", "1h"), EX_USAGE),
    (("events", "follow", "--tenant", "a b"), EX_DATAERR),
    (("events", "follow", "--tenant", "@example.com"), EX_DATAERR),
    (("events", "follow", "--from", "x"), EX_DATAERR),
    (("events", "follow", "--from", "1-"), EX_DATAERR),
    (("events", "follow", "--since", "soon"), EX_DATAERR),
    (("events", "follow", "--count", "0"), EX_DATAERR),
    (("webhook", "attempts", "a\tb@example"), EX_DATAERR),
])
def test_bad_arguments(ctl, redis_server, arguments, code):
    done = ctl(*arguments, code=code)
    assert done.stdout == ""
    assert done.stderr.startswith("waypostctl: ")
    assert len(done.stderr.splitlines()) == 1
    assert redis_server.client.dbsize() == 0


@pytest.mark.parametrize("arguments", [
    ("message", "show", MESSAGE_ID), ("events", "follow"),
    ("webhook", "attempts", MESSAGE_ID)])
def test_redis_not_there(workdir, arguments):
    config = os.path.join(workdir, "nowhere.conf")
    with open(config, "w") as f:
        f.write(f"[redis]\naddress = 127.0.0.1:{free_port()}\n"
                "connect_timeout = 1s\n")
    done = subprocess.run([program("ctl/waypostctl"), "-c", config,
                           *arguments], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == EX_UNAVAILABLE, done
    assert done.stderr.startswith("waypostctl: Redis: ")
    assert len(done.stderr.splitlines()) == 1


class Follower:
    """waypostctl events follow, started and seen blocked in XREAD."""

    def __init__(self, workdir, redis_server, *arguments):
        config = os.path.join(workdir, "follow.conf")
        with open(config, "w") as f:
            f.write(f"[redis]\naddress = {redis_server.address}\n"
                    "timeout = 2s\n")
        self.process = subprocess.Popen(
            [program("ctl/waypostctl"), "-c", config, *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pending = b""

        def blocked():
            if self.process.poll() is not None:
                raise RuntimeError(self.process.communicate()[1])
            return any(c.get("cmd") == "xread"
                       for c in redis_server.client.client_list())
        wait_until(blocked, 20, "waypostctl blocked in XREAD")

    def read_lines(self, count, timeout=30):
        """count lines of its output, as they come (select on the pipe
        itself: a buffered reader would hide what it read ahead)."""
        got, deadline = [], time.monotonic() + timeout
        descriptor = self.process.stdout.fileno()
        while len(got) < count:
            if b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                got.append(line.decode())
                continue
            left = deadline - time.monotonic()
            ready, _, _ = select.select([descriptor], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"{count} lines, got {got}")
            data = os.read(descriptor, 65536)
            if data == b"":
                raise RuntimeError(f"ended after {got}: "
                                   f"{self.process.stderr.read()}")
            self.pending += data
        return got

    def wait(self):
        code = self.process.wait(timeout=20)
        out = self.pending + self.process.stdout.read()
        return code, out.decode(), self.process.stderr.read().decode()


def stream(redis_server, name):
    return [fields[b"event"].decode() for _, fields in
            redis_server.client.xrange(f"{PREFIX}{name}")]


def test_events_follow_prints_new_events_then_stops_after_count(
        tracked, workdir, redis_server):
    # Events from before it starts are not followed.
    tracked.log(lines_of("1A2B3C4D5E", 0, MESSAGE_ID, [SENT]))
    before = len(stream(redis_server, "events:alice"))
    follower = Follower(workdir, redis_server, "--json", "events",
                        "follow", "--tenant", "Alice", "--count", "4")
    tracked.log(lines_of("3A2B3C4D5E", 10, "m3@app.example",
                         [SENT, BOUNCED, DEFERRED]))
    code, out, err = follower.wait()
    assert (code, err) == (0, "")
    stored = stream(redis_server, "events:alice")
    assert out.splitlines() == stored[before:before + 4]
    assert [json.loads(line)["type"] for line in out.splitlines()] == [
        "accepted", "delivered", "bounced", "deferred"]
    # From the start of the stream, then of every tenant's.
    done = subprocess.run(
        [program("ctl/waypostctl"), "-c", os.path.join(workdir,
                                                       "follow.conf"),
         "--json", "events", "follow", "--from", "0", "--count", "2"],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert done.stdout.splitlines() == stream(redis_server, "events")[:2]


def test_events_follow_until_interrupted(tracked, workdir, redis_server):
    follower = Follower(workdir, redis_server, "events", "follow")
    tracked.log(lines_of("4A2B3C4D5E", 20, "m4@app.example",
                         [SENT, BOUNCED]))
    lines = follower.read_lines(3)
    assert [line.split()[1] for line in lines] == [
        "accepted", "delivered", "bounced"]
    fields = lines[2].split()
    assert fields[0].endswith("Z")
    assert fields[2:] == ["carol@example.net", "5.1.1", "invalid-recipient",
                          "4A2B3C4D5E"]
    assert lines[0].split()[2:] == ["-", "-", "-", "4A2B3C4D5E"]
    follower.process.send_signal(signal.SIGINT)
    code, out, err = follower.wait()
    assert (code, out, err) == (0, "", "")
    # --since: the events of the last hour, and SIGTERM.
    follower = Follower(workdir, redis_server, "events", "follow",
                        "--since", "1h")
    assert len(follower.read_lines(3)) == 3
    follower.process.send_signal(signal.SIGTERM)
    assert follower.wait()[0] == 0


def test_webhook_attempts_by_message_id(
        workdir, redis_server, receiver, ctl):
    started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET, "events": "bounced"}}),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app")])
    tracked = Tracked(workdir, redis_server)
    try:
        tracked.log(lines_of("1A2B3C4D5E", 0, MESSAGE_ID, [SENT, BOUNCED])
                    + lines_of("2A2B3C4D5E", 5, MESSAGE_ID, [BOUNCED]))
    finally:
        tracked.stop()
    got = receiver.wait_for_events(2, timeout=30)
    ids = sorted(event["id"] for event in got)
    assert [i.split(".")[0] for i in ids] == ["1A2B3C4D5E", "2A2B3C4D5E"]
    for event_id in ids:
        wait_until(lambda: redis_server.client.exists(
            f"{PREFIX}hook-attempts:{event_id.rsplit('.', 2)[0]}"), 10,
            "the attempt recorded")

    rows = records(ctl("--json", "webhook", "attempts", f"<{MESSAGE_ID}>"))
    # The newest record first.
    assert [(row["event"], row["status"]) for row in rows] == \
        [(ids[1], 200), (ids[0], 200)]
    assert records(ctl("--json", "webhook", "attempts", MESSAGE_ID)) == rows
    (row,) = records(ctl("--json", "webhook", "attempts", "2A2B3C4D5E"))
    assert row["event"] == ids[1]
    # The old form still works.
    (row,) = records(ctl("--json", "webhook", "attempts",
                         ids[0].rsplit(".", 2)[0]))
    assert row["event"] == ids[0]
    table = ctl("webhook", "attempts", MESSAGE_ID).stdout.splitlines()
    assert table[0].split()[:3] == ["TIME", "WEBHOOK", "EVENT"]
    assert len(table) == 3
    done = ctl("webhook", "attempts", "<gone@app.example>", code=EX_NOINPUT)
    assert done.stderr.startswith(
        "waypostctl: webhook attempts: no record of ")
