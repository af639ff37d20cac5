"""waypost-trackd under load: 2,000 messages, three rotations, two SIGKILLs.

A private Postfix (long queue IDs) relays 2,000 messages sent by
smtp-source in four batches of 500 to a test server that accepts most
recipients, refuses one address of each two-recipient message of the
second batch for good (550 5.1.1: bounced, and Postfix's own bounce to
the sender) and defers the first attempt of another in the third.
Meanwhile `postfix logrotate` runs three times (each renames the log and
gzips it a second later; postlogd makes the new file root's, 0600) and
waypost-trackd, run as contrib's unit runs it (its user from the start,
with CAP_DAC_READ_SEARCH alone), is killed with SIGKILL twice, each time
started again while Postfix keeps logging.

At the end every outcome line of the whole log (the .gz files in order,
then the current file) must be in the event stream exactly once: one
delivered or bounced event per sent or bounced line, one deferred event
per recipient's first deferral, one accepted event per message, every
event id once. The test waits for the log and for the events, never a
fixed time.
"""
import collections
import glob
import gzip
import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import SOURCE_DIR, program
from harness.answering_server import AnsweringServer
from harness.smtp_clients import smtp_source_started
from harness.waiting import wait_until
from harness.waypost import Daemon

BATCH = 500
DELIVERY = re.compile(rb"postfix/\w+\[\d+\]: (\w+): to=<([^>]*)>, .*"
                      rb" status=(sent|bounced|deferred) ")
QUEUED = re.compile(rb"postfix/qmgr\[\d+\]: (\w+): from=<[^>]*>, size=")
ANSWERS = {
    "2unknown": ["550 5.1.1 <2unknown@example.net>: no such user"],
    "2later": ["450 4.2.1 try again later", "250 2.1.5 Ok"],
}
BATCHES = [("ok@example.net", 1), ("unknown@example.net", 2),
           ("later@example.net", 2), ("ok@example.net", 1)]


def log_lines(maillog, end=None):
    """The whole log, the current file up to end when given."""
    rotated = sorted(glob.glob(maillog + ".*"), key=os.path.getmtime)
    lines = []
    for path in rotated:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            lines += f.read().splitlines()
    with open(maillog, "rb") as f:
        lines += f.read()[:end].splitlines()
    return lines


def rotate(postfix):
    """As test_track_follow.py: logrotate, then a flush so the new queue
    manager starts at once, tried again while the reload is under way."""
    subprocess.run(["postfix", "-c", postfix.config_directory, "logrotate"],
                   check=True, timeout=60)
    # During the reload postqueue may find no queue manager (exit 69).
    wait_until(lambda: subprocess.run(
        ["postqueue", "-c", postfix.config_directory, "-f"],
        stderr=subprocess.DEVNULL, timeout=60).returncode == 0,
        60, "postqueue -f after the rotation")


def expected_events(lines):
    """What the log says must be in the stream: a counter of (type, queue
    ID, recipient)."""
    expected = collections.Counter()
    deferred = set()
    for line in lines:
        match = DELIVERY.search(line)
        if match:
            queue_id, recipient, status = (g.decode() for g in match.groups())
            if status == "deferred":
                if (queue_id, recipient) in deferred:
                    continue
                deferred.add((queue_id, recipient))
            kind = {"sent": "delivered"}.get(status, status)
            expected[(kind, queue_id, recipient)] += 1
            continue
        match = QUEUED.search(line)
        if match:
            expected[("accepted", match.group(1).decode(), None)] = 1
    return expected


def outcomes_in_log(lines):
    """Final outcomes of the test's recipients (not of Postfix's bounces
    to the sender)."""
    return sum(1 for line in lines if DELIVERY.search(line)
               and b"@example.net>" in line
               and b"status=deferred" not in line)


def test_two_thousand_messages_three_rotations_two_kills_exactly_once(
        postfix_factory, redis_server, workdir):
    server = AnsweringServer(ANSWERS).start()
    postfix = postfix_factory({"enable_long_queue_ids": "yes",
                               "minimal_backoff_time": "1s",
                               "maximal_backoff_time": "2s",
                               "queue_run_delay": "1s"},
                              relay_port=server.port)
    # As contrib's unit runs it: as its user from the start, with the
    # one capability that reads postlogd's files (0600 after each
    # rotation), through a directory that is not its own.
    os.chmod(os.path.dirname(postfix.maillog), 0o711)
    rules = os.path.join(workdir, "bounce-classes.conf")
    shutil.copy(os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf"),
                rules)
    os.chmod(rules, 0o644)
    daemon = Daemon(program("track/waypost-trackd"), workdir, (
        f"[log]\nlevel = info\n"
        f"[redis]\naddress = 127.0.0.1:{redis_server.port}\n"
        f"[track]\nlog_file = {postfix.maillog}\nrules_file = {rules}\n"
        f"user = nobody\nrelay_name = load\n"), "trackd")
    daemon.prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                     "--init-groups", "--inh-caps=+dac_read_search",
                     "--ambient-caps=+dac_read_search"]
    client = redis_server.client
    try:
        daemon.start(wait=False)
        for batch, (to, recipients) in enumerate(BATCHES):
            sender = smtp_source_started(postfix.port, sessions=5,
                                         messages=BATCH, to=to,
                                         recipients=recipients)
            if batch in (1, 2):
                wait_until(lambda: client.xlen("waypost:events") > 0, 60,
                           "events before the kill: "
                           + daemon.read_log()[-2000:])
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait(timeout=30)
                daemon.stop()
            if batch < 3:
                rotate(postfix)
            if batch in (1, 2):
                daemon.start(wait=False)
            assert sender.wait(timeout=300) == 0, sender.stdout.read()
        total = sum(BATCH * recipients for _, recipients in BATCHES)

        def all_done():
            return outcomes_in_log(log_lines(postfix.maillog)) >= total
        wait_until(all_done, 300, f"{total} recipients' final outcomes")

        def caught_up():
            saved = client.get("waypost:track-position:load")
            status = os.stat(postfix.maillog)
            return saved is not None and saved.split()[1:3] == [
                str(status.st_ino).encode(), str(status.st_size).encode()]
        try:
            wait_until(caught_up, 120, "the daemon at the log's end")
        except TimeoutError as error:
            raise AssertionError(
                f"{error}: {client.xlen('waypost:events')} events; the "
                f"daemon's log ends:\n{daemon.read_log()[-3000:]}") \
                from None
        assert daemon.stop() == 0
        # The log as far as the daemon read it: Postfix may still write.
        offset = int(client.get("waypost:track-position:load").split()[2])
        lines = log_lines(postfix.maillog, offset)
        expected = expected_events(lines)
    finally:
        daemon.stop()
        server.stop()

    assert len(glob.glob(postfix.maillog + ".*.gz")) == 3
    events = [json.loads(fields[b"event"])
              for _, fields in client.xrange("waypost:events")]
    ids = [event["id"] for event in events]
    assert len(ids) == len(set(ids)), "an event written twice"
    seen = collections.Counter(
        (e["type"], e["queue_id"], e["recipient"]) for e in events
        if e["type"] in ("accepted", "delivered", "bounced", "deferred"))
    missing = expected - seen
    extra = seen - expected
    assert not missing and not extra, (list(missing.items())[:5],
                                       list(extra.items())[:5])
    types = collections.Counter(e["type"] for e in events)
    assert types["bounced"] == BATCH, (types, [l[60:160] for l in lines if b"unknown" in l][:3])
    assert types["deferred"] >= 1, types
    assert types["accepted"] >= 2000, types
    log = daemon.read_log()
    assert log.count("resuming ") >= 2, log
