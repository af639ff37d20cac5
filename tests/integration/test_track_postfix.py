"""Delivery feedback through a real Postfix: records, events, suppression
and the bounce-rate guard.

A private Postfix asks waypost-policyd at RCPT (check_suppression and
check_suspension on) and relays to a test server that answers each
recipient its own way (harness/answering_server.py): accept; 550 5.1.1
user unknown; a 550 5.7.1 reputation block; 450 4.2.1 once, then
accept; 552 5.2.2 mailbox full. A domain routed to a closed port never
answers: deferred, then expired (maximal_queue_lifetime 3s; the test
flushes the queue until Postfix logs the expiry). waypost-trackd follows
Postfix's maillog_file into the same redis-server. The test waits for
events in Redis, never a fixed time, and checks each recipient's record,
its events (count, order, no id twice), its class, what was suppressed
(the unknown user, not the blocked or full ones), that the next message
to the unknown user is refused at RCPT through Postfix with the
suppressed event, and that the guard pauses a tenant whose bounces
cross the pause level, whose next message then gets 450.
"""
import json
import os
import shutil
import subprocess

import pytest

from conftest import SOURCE_DIR, program
from harness import ports
from harness.answering_server import MIXED_ANSWERS, AnsweringServer
from harness.smtp_clients import accepted, swaks
from harness.waiting import wait_until
from harness.waypost import Daemon

ANSWERS = dict(MIXED_ANSWERS)
ANSWERS.update({f"bad{i}": [f"550 5.1.1 <bad{i}@example.net>: no such user"]
                for i in range(6)})


@pytest.fixture
def relay(postfix_factory, policyd, redis_server, workdir):
    server = AnsweringServer(ANSWERS).start()
    policy = policyd(policy_extra="trusted_networks = 127.0.0.1/32\n"
                                  "local_domains = example.com\n")
    closed = ports.free_port()
    postfix = postfix_factory(settings={
        "smtpd_recipient_restrictions":
            f"check_policy_service {policy.service}, permit_mynetworks, "
            "reject_unauth_destination",
        "smtpd_policy_service_default_action": "451 4.3.5 no policy",
        "transport_maps": "inline:{ { never.example = "
                          f"smtp:[127.0.0.1]:{closed} }} }}",
        "maximal_queue_lifetime": "3s",
        "bounce_queue_lifetime": "3s",
        "smtp_connect_timeout": "2s",
    }, relay_port=server.port)
    rules = os.path.join(workdir, "bounce-classes.conf")
    shutil.copy(os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf"),
                rules)
    os.chmod(rules, 0o644)

    def start_tracker(extra=""):
        text = (f"[log]\nlevel = info\n"
                f"[redis]\naddress = 127.0.0.1:{redis_server.port}\n"
                f"[track]\nlog_file = {postfix.maillog}\n"
                f"rules_file = {rules}\nuser = nobody\n"
                f"relay_name = test\n{extra}")
        daemon = Daemon(program("track/waypost-trackd"), workdir, text,
                        "trackd")
        daemon.start(wait=False)
        daemon.wait_for_log("records in Redis", or_exit=True)
        trackers.append(daemon)
        return daemon

    trackers = []
    yield postfix, policy, start_tracker, redis_server.client
    for daemon in trackers:
        daemon.stop()
    server.stop()


def events(client, stream="waypost:events"):
    return [json.loads(fields[b"event"]) for _, fields in
            client.xrange(stream)]


def wait_for_events(client, condition, what, stream="waypost:events",
                    timeout=60):
    wait_until(lambda: condition(events(client, stream)), timeout, what)


def queue_id_of(result):
    output = result.stdout.decode("utf-8", "replace")
    assert accepted(result), output
    return output.split("queued as ")[1].split()[0]


def send(postfix, sender, recipients, message_id):
    return swaks(postfix.port, sender=sender, to=",".join(recipients),
                 extra=("--header", f"Message-Id: <{message_id}>"))


def maillog_lines(postfix, word):
    with open(postfix.maillog, errors="replace") as f:
        return "".join(line for line in f if word in line)


def flush(postfix):
    subprocess.run(["postqueue", "-c", postfix.config_directory, "-f"],
                   check=True, timeout=30)


def test_each_outcome_recorded_and_a_bounced_address_refused_next_time(
        relay):
    postfix, policy, start_tracker, client = relay
    tracker = start_tracker()
    recipients = [f"{name}@example.net"
                  for name in ("ok", "unknown", "blocked", "later", "full")]
    recipients.append("gone@never.example")
    queue_id = queue_id_of(send(postfix, "App@Example.com", recipients,
                                "mixed@app.example.com"))
    tenant = "waypost:events:app@example.com"

    def final(stream_events):
        mine = {(e["recipient"], e["type"]) for e in stream_events
                if e["queue_id"] == queue_id}
        return ("later@example.net", "delivered") in mine and \
            ("gone@never.example", "deferred") in mine

    wait_for_events(client, final, "the outcomes of " + queue_id, tenant)
    # The never answering domain: flushed until Postfix gives up on it.

    def expired(stream_events):
        if not any(e["type"] == "expired" for e in stream_events):
            flush(postfix)
            return False
        return True
    wait_for_events(client, expired, "the expiry", tenant, timeout=90)

    mine = [e for e in events(client, tenant) if e["queue_id"] == queue_id]
    ids = [e["id"] for e in mine]
    assert len(set(ids)) == len(ids), ids
    by_recipient = {}
    for event in mine:
        by_recipient.setdefault(event["recipient"], []).append(event)
    accepted_events = by_recipient.pop(None)
    assert [e["type"] for e in accepted_events] == ["accepted"]
    expected = {
        "ok@example.net": [("delivered", None, "2.0.0")],
        "unknown@example.net": [("bounced", "invalid-recipient", "5.1.1")],
        "blocked@example.net": [("bounced", "reputation", "5.7.1")],
        "later@example.net": [("deferred", "unknown", "4.2.1"),
                              ("delivered", None, "2.0.0")],
        "full@example.net": [("bounced", "mailbox-full", "5.2.2")],
        "gone@never.example": [("deferred", "network", "4.4.1"),
                               ("expired", "network", "4.4.1")],
    }
    assert sorted(by_recipient) == sorted(expected)
    for recipient, outcomes in expected.items():
        got = by_recipient[recipient]
        assert [(e["type"], e["class"], e["dsn"]) for e in got] == outcomes, \
            got
        assert [e["seq"] for e in got] == list(range(1, len(got) + 1))
        for event in got:
            assert event["tenant"] == "app@example.com"
            assert event["sender"] == "App@Example.com"
            assert event["message_id"] == "mixed@app.example.com"
            assert event["time"].endswith("Z")
    assert "User unknown" in by_recipient["unknown@example.net"][0]["reply"]

    # The record, found by Message-ID.
    (key,) = client.get("waypost:message-id:mixed@app.example.com").split()
    record = client.hgetall(key)
    assert record[b"tenant"] == b"app@example.com"
    assert record[b"recipients"] == b"6"
    later = json.loads(record[b"r:later@example.net"])
    assert later["status"] == "delivered" and later["attempts"] == 2
    assert later["first"] <= later["last"]
    gone = json.loads(record[b"r:gone@never.example"])
    assert gone["status"] == "expired"
    assert 0 < client.ttl(key) <= 7 * 86400

    # Suppressed for the tenant: the unknown user alone.
    suppressed = client.get(
        "waypost:suppressed:{app@example.com}:unknown@example.net")
    assert suppressed is not None and b"bounced: " in suppressed
    assert client.get(
        "waypost:suppressed:{app@example.com}:blocked@example.net") is None
    assert client.get(
        "waypost:suppressed:{app@example.com}:full@example.net") is None
    assert client.zcard(
        "waypost:expirations:{app@example.com}:full@example.net") == 1

    # Postfix's bounce to the sender: in the stream of every tenant,
    # marked as Postfix's own, never in the tenant's.
    own = [e for e in events(client) if e.get("origin") == "postfix"]
    assert own and all(e["tenant"] is None for e in own), \
        [e for e in own if e["tenant"]]
    # Linked when bounce's line came before them (under load Postfix may
    # log the notification's own lines first).
    assert all(e.get("notification_of") in (queue_id, None) for e in own)
    assert not any(e.get("origin") for e in events(client, tenant))

    # The next message to the unknown user: refused at RCPT through
    # Postfix, alone (no queue file) and beside a recipient that is not
    # suppressed; the blocked one is not suppressed and goes.
    alone = send(postfix, "app@example.com", ["Unknown@Example.NET"],
                 "again1@app.example.com")
    output = alone.stdout.decode()
    assert not accepted(alone)
    assert "550 5.1.1 <Unknown@Example.NET>: Recipient address rejected: " \
           "recipient suppressed since" in output, output
    both = queue_id_of(send(postfix, "app@example.com",
                            ["blocked@example.net", "unknown@example.net"],
                            "again2@app.example.com"))

    def refused_twice(stream_events):
        return sum(e["type"] == "suppressed" for e in stream_events) == 2 \
            and any(e["queue_id"] == both and e["type"] == "bounced"
                    for e in stream_events)
    wait_for_events(client, refused_twice, "two suppressed events: "
                    + maillog_lines(postfix, "reject:")
                    + tracker.read_log()[-3000:], tenant)
    refusals = [e for e in events(client, tenant) if e["type"] == "suppressed"]
    assert {e["queue_id"] for e in refusals} == {"NOQUEUE", both}
    for event in refusals:
        assert event["recipient"].lower() == "unknown@example.net"
        assert event["dsn"] == "5.1.1"
        assert "recipient suppressed since" in event["reason"]
    record = client.hgetall(client.get(f"waypost:queue-id:test:{both}"))
    assert json.loads(record[b"r:unknown@example.net"])["status"] == \
        "suppressed"
    policy.daemon.wait_for_log("check suppression: <unknown@example.net>")


def test_the_guard_pauses_a_tenant_whose_bounces_cross_the_pause_level(
        relay):
    postfix, policy, start_tracker, client = relay
    tracker = start_tracker("guard_minimum = 5\nguard_warn_percent = 20\n"
                            "guard_pause_percent = 30\n")
    # A tenant with a clean list is judged and left alone.
    for i in range(5):
        queue_id_of(send(postfix, "clean@good.example", [f"ok{i}@example.net"],
                         f"clean{i}@good.example"))
    queue_id_of(send(postfix, "clean@good.example", ["bad5@example.net"],
                     "clean-bad@good.example"))
    # A tenant whose list is rotten: two of four delivered, then bounces.
    sent = 0
    for i in range(2):
        queue_id_of(send(postfix, "news@rotten.example", [f"fine{i}@example.net"],
                         f"fine{i}@rotten.example"))
        sent += 1
    # (The guard may pause it before the last ones are sent.)
    for i in range(4):
        send(postfix, "news@rotten.example", [f"bad{i}@example.net"],
             f"bad{i}@rotten.example")
    wait_until(lambda: client.exists("waypost:suspended:domain:rotten.example"),
               60, f"the guard's suspension:\n{tracker.read_log()}")
    reason = client.get("waypost:suspended:domain:rotten.example").decode()
    assert reason.startswith("auto: bounce rate "), reason
    assert "in 24h" in reason
    guard = [e for e in events(client, "waypost:events:news@rotten.example")
             if e["type"] == "guard"]
    assert [e["level"] for e in guard][-1] == "pause", guard
    assert guard[-1]["bounces"] * 1000 > 300 * guard[-1]["outcomes"]
    assert not client.exists("waypost:suspended:domain:good.example")
    assert not [e for e in events(client, "waypost:events:clean@good.example")
                if e["type"] == "guard"]

    # Its next message waits: 450 from waypost-policyd's guard_action
    # (once the pass it cached for the tenant, check_cache_time, is gone).
    results = []

    def refused():
        results.append(send(postfix, "news@rotten.example",
                            ["ok@example.net"], "after@rotten.example"))
        return not accepted(results[-1])
    wait_until(refused, 30, "a refusal of the paused tenant")
    output = results[-1].stdout.decode()
    assert "450 4.7.1" in output and "bounce rate too high" in output, output
    # Another tenant is not held back.
    assert accepted(send(postfix, "clean@good.example", ["ok@example.net"],
                         "later@good.example"))
