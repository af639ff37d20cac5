"""waypost-trackd on a private Postfix: one line per recipient outcome.

A private Postfix writes its log with postlogd (maillog_file) and relays
to a test server that answers each recipient its own way: accept; 550
5.1.1 user unknown at RCPT; a 550 5.7.1 reputation block; 450 4.2.1
once, then accept; 552 5.2.2 mailbox full. waypost-trackd -f follows
that maillog from its beginning, and the test waits for its log lines
(never a fixed sleep): each recipient's outcome once, with its status,
class, tenant and Message-ID; Postfix's bounce message for the refused
recipients marked as Postfix's own, not the tenant's. Then -n with good
and bad configurations, and SIGHUP with a broken rules file: the daemon
keeps running on its rules and logs why.
"""
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import SOURCE_DIR, program
from harness.answering_server import MIXED_ANSWERS, AnsweringServer
from harness.smtp_clients import accepted, swaks
from harness.waiting import wait_until
from harness.waypost import Daemon

ANSWERS = MIXED_ANSWERS

OUTCOME = re.compile(r"waypost-trackd\[\d+\]: (\w+): to=<([^>]*)>, "
                     r"status=(\w+)(.*)")


@pytest.fixture
def answering_server():
    server = AnsweringServer(ANSWERS).start()
    yield server
    server.stop()


@pytest.fixture
def tracked(postfix_factory, answering_server, workdir):
    """A Postfix relaying to the answering server, and a waypost-trackd
    following its maillog with a rules file of its own."""
    postfix = postfix_factory(relay_port=answering_server.port)
    rules = os.path.join(workdir, "bounce-classes.conf")
    shutil.copy(os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf"),
                rules)
    os.chmod(rules, 0o644)
    daemon = Daemon(program("track/waypost-trackd"), workdir,
                    config_text(postfix.maillog, rules), "trackd")
    daemon.rules = rules
    daemon.postfix = postfix
    daemon.start(wait=False)
    daemon.wait_for_log("starting: no socket", or_exit=True)
    yield daemon
    daemon.stop()


def config_text(log_file, rules, extra="", redis_port=None):
    """Records in the Redis on redis_port, or none (log lines only)."""
    records = ("records = no\n" if redis_port is None else
               f"[redis]\naddress = 127.0.0.1:{redis_port}\n")
    return (f"[log]\nlevel = info\n[track]\nlog_file = {log_file}\n"
            f"rules_file = {rules}\nuser = nobody\n{extra}{records}")


def outcomes(daemon):
    """(queue ID, recipient, status, the rest) of each outcome line."""
    return [match.groups() for match in
            map(OUTCOME.search, daemon.read_log().splitlines()) if match]


def field(rest, name):
    match = re.search(rf", {name}=(<[^>]*>|[^,]+)", rest)
    return match.group(1) if match else None


def queue_id_of(result):
    match = re.search(rb"250 2.0.0 Ok: queued as (\w+)", result.stdout)
    assert match, result.stdout.decode("utf-8", "replace")
    return match.group(1).decode()


def send(postfix, sender, recipients, message_id):
    result = swaks(postfix.port, sender=sender, to=",".join(recipients),
                   extra=("--header", f"Message-Id: <{message_id}>"))
    assert accepted(result), result.stdout.decode("utf-8", "replace")
    return queue_id_of(result)


def wait_for_outcomes(daemon, condition, what, timeout=60):
    wait_until(lambda: condition(outcomes(daemon)), timeout,
               f"{what} in the log of waypost-trackd:\n{daemon.read_log()}")


def test_one_line_per_recipient_outcome(tracked):
    postfix = tracked.postfix
    recipients = [f"{name}@example.net"
                  for name in ("ok", "unknown", "blocked", "later", "full")]
    queue_id = send(postfix, "App@Example.com", recipients,
                    "mixed@app.example.com")
    other = send(postfix, "Other@Example.COM", ["ok2@example.net"],
                 "other@app.example.com")

    def complete(lines):
        mine = {(r, s) for q, r, s, _ in lines if q == queue_id}
        if ("later@example.net", "deferred") in mine and \
                ("later@example.net", "sent") not in mine:
            # The retry, at once: a busy machine's queue manager may
            # wait longer than the test does.
            subprocess.run(["postqueue", "-c", postfix.config_directory,
                            "-f"], timeout=30, check=False)
        return ("later@example.net", "sent") in mine and len(mine) == 6 \
            and any(q == other for q, *_ in lines) \
            and any(r == "App@Example.com" for _, r, *_ in lines)
    wait_for_outcomes(tracked, complete, "every outcome and the bounce")

    lines = outcomes(tracked)
    mine = [line for line in lines if line[0] == queue_id]
    expected = {
        ("ok@example.net", "sent"): ("2.0.0", None),
        ("unknown@example.net", "bounced"): ("5.1.1", "invalid-recipient"),
        ("blocked@example.net", "bounced"): ("5.7.1", "reputation"),
        ("later@example.net", "deferred"): ("4.2.1", None),
        ("later@example.net", "sent"): ("2.0.0", None),
        ("full@example.net", "bounced"): ("5.2.2", "mailbox-full"),
    }
    seen = [(recipient, status) for _, recipient, status, _ in mine]
    assert sorted(seen) == sorted(expected), mine
    for _, recipient, status, rest in mine:
        dsn, class_name = expected[(recipient, status)]
        assert field(rest, "dsn") == dsn, rest
        if class_name:
            assert field(rest, "class") == class_name, rest
        if status == "sent":
            assert field(rest, "class") is None, rest
        assert field(rest, "tenant") == "app@example.com", rest
        assert field(rest, "message-id") == "<mixed@app.example.com>", rest
        assert field(rest, "from") == "<App@Example.com>", rest
        assert field(rest, "origin") is None, rest

    # The other tenant, in lower case as waypost-policyd's subjects.
    (line,) = [line for line in lines if line[0] == other]
    assert line[1:3] == ("ok2@example.net", "sent")
    assert field(line[3], "tenant") == "other@example.com"

    # Postfix's bounce of the refused recipients: sent to the sender,
    # Postfix's own, linked to the message, and no tenant's.
    bounces = [line for line in lines if line[1] == "App@Example.com"]
    assert bounces, lines
    for _, _, status, rest in bounces:
        assert status == "sent", rest
        assert field(rest, "origin") == "postfix", rest
        # Linked when bounce's line came first; under load Postfix may
        # log the delivery of the notification before it.
        assert field(rest, "notification-of") in (queue_id, None), rest
        assert field(rest, "from") == "<>", rest
        assert field(rest, "tenant") is None, rest

    # SIGTERM: one line of every counter, the outcomes counted.
    assert tracked.stop() == 0
    log = tracked.read_log()
    (summary,) = re.findall(r"summary: (.*)", log)
    counters = dict(pair.split("=") for pair in summary.split())
    sent = sum(1 for _, _, status, _ in lines if status == "sent")
    assert int(counters["sent"]) == sent
    assert int(counters["bounced"]) == 3
    assert int(counters["deferred"]) == 1
    assert int(counters["unknown_messages"]) == 0
    assert int(counters["notifications"]) >= 1


def test_check_good_and_bad_configurations(postfix, workdir):
    rules = os.path.join(workdir, "bounce-classes.conf")
    shutil.copy(os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf"),
                rules)
    os.chmod(rules, 0o644)
    daemon = Daemon(program("track/waypost-trackd"), workdir,
                    config_text(postfix.maillog, rules), "trackd")
    status, out, err = daemon.check()
    assert status == 0, err
    assert f"log_file = {postfix.maillog}" in out
    assert "max_open_messages = 1000000" in out

    daemon.write_config(config_text(
        postfix.maillog, rules,
        "max_open_messages = 10\nsocket = unix:/run/trackd.sock\n"))
    status, out, err = daemon.check()
    assert status == 1
    assert (f"{daemon.config}:7: [track] max_open_messages: must be "
            f"between 100") in err, err
    assert f'{daemon.config}:8: unknown key "socket" in [track]' in err, err

    daemon.write_config(config_text("maillog", rules))
    status, out, err = daemon.check()
    assert status == 1
    assert "log_file: \"maillog\" is neither an absolute path" in err, err

    with open(rules, "a") as f:
        f.write("no-such-class dsn=5.1.1\n")
    daemon.write_config(config_text(postfix.maillog, rules))
    status, out, err = daemon.check()
    assert status == 1
    count = sum(1 for _ in open(rules))
    assert f"{rules}:{count}:" in err, err


def test_reload_with_a_broken_rules_file_keeps_the_rules(tracked):
    postfix = tracked.postfix
    tracked.wait_for_log("bounce classes: ")
    with open(tracked.rules) as f:
        good = f.read()
    with open(tracked.rules, "a") as f:
        f.write("invalid-recipient dsn=9.9\n")
    count = good.count("\n") + 1
    tracked.signal(signal.SIGHUP)
    tracked.wait_for_log("reload of ", or_exit=True)
    log = tracked.read_log()
    assert f"{tracked.rules}:{count}:" in log, log
    assert "keeping the running configuration" in log
    assert tracked.process.poll() is None

    # Still running, still classifying with the rules it had.
    queue_id = send(postfix, "app@example.com", ["unknown@example.net"],
                    "after-reload@app.example.com")
    wait_for_outcomes(tracked, lambda lines: any(
        q == queue_id for q, *_ in lines), "the bounce after the reload")
    (line,) = [line for line in outcomes(tracked) if line[0] == queue_id]
    assert line[2] == "bounced"
    assert field(line[3], "class") == "invalid-recipient"

    # Repaired, the next SIGHUP takes it.
    with open(tracked.rules, "w") as f:
        f.write(good)
    tracked.signal(signal.SIGHUP)
    tracked.wait_for_log("reloaded ", or_exit=True)
    tracked.wait_for_log("bounce classes: ", count=2)
    assert tracked.process.poll() is None
