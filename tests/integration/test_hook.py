"""waypost-hookd: events from Redis streams to a real HTTP(S) receiver.

A real redis-server, the daemon (`waypost-hookd -f -c FILE`, user
nobody) and the harness's receiver (harness/webhook_receiver.py), which
checks every Standard Webhooks signature with its own code. Events are
written to the streams as waypost-trackd writes them (XADD of an
"event" field holding the JSON; test_hook_postfix.py does it through a
real Postfix and the tracker). Every wait is for an event (a request
received, a log line, a Redis state), never a fixed time.
"""
import base64
import json
import os
import re
import signal
import subprocess
import textwrap
import time

import pytest

from conftest import BUILD_DIR, program
from harness.ports import free_port
from harness.waiting import wait_until
from harness.waypost import Daemon
from harness.webhook_receiver import WebhookReceiver

HOOKD = "hook/waypost-hookd"
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()
PREFIX = "waypost:"


def event(number, tenant="app@example.com", kind="delivered",
          recipient=None):
    queue_id = f"4Q{number:08X}"
    return {"id": f"{queue_id}.1764600000.1.1", "type": kind,
            "time": "2026-12-01T10:00:00Z", "queue_id": queue_id,
            "message_id": f"m{number}@example.com",
            "sender": tenant, "tenant": tenant,
            "recipient": recipient or f"user{number}@example.net",
            "dsn": "2.0.0", "reply": "250 2.0.0 OK", "class": None,
            "seq": 1}


def publish(redis_server, events, all_stream=True):
    """As the tracker: the all-tenant stream and the tenant's."""
    client = redis_server.client
    for one in events:
        text = json.dumps(one, separators=(",", ":"))
        if all_stream:
            client.xadd(f"{PREFIX}events", {"event": text})
        client.xadd(f"{PREFIX}events:{one['tenant'].lower()}",
                    {"event": text})


def config(redis_server, webhooks, hooks=""):
    text = (f"[log]\nlevel = info\n"
            f"[redis]\naddress = 127.0.0.1:{redis_server.port}\n"
            f"prefix = {PREFIX}\n"
            f"[hooks]\nuser = nobody\nconsumer = test\n"
            + ("" if "poll_interval" in hooks else "poll_interval = 50ms\n")
            + hooks)
    for name, keys in webhooks.items():
        text += f'[webhook "{name}"]\n'
        for key, value in keys.items():
            text += f"{key} = {value}\n"
    return text


# Every daemon a test made, stopped after it whatever happened.
_daemons = []


@pytest.fixture(autouse=True)
def stop_daemons():
    yield
    while _daemons:
        _daemons.pop().stop()


def hookd(workdir, redis_server, webhooks, hooks="", name="hookd"):
    daemon = Daemon(program(HOOKD), workdir,
                    config(redis_server, webhooks, hooks), name)
    _daemons.append(daemon)
    return daemon


def started(daemon, redis_server, groups):
    """Started, with its consumer groups made: events from then on are
    its."""
    daemon.start(wait=False)
    daemon.wait_for_log("starting: no socket", or_exit=True)

    def made():
        if daemon.process.poll() is not None:
            raise RuntimeError(f"waypost-hookd exited:\n{daemon.read_log()}")
        for stream, group in groups:
            try:
                names = [g["name"].decode() for g in
                         redis_server.client.xinfo_groups(stream)]
            except Exception:
                return False
            if group not in names:
                return False
        return True
    wait_until(made, 20, f"consumer groups {groups}")
    return daemon


@pytest.fixture
def receiver(workdir):
    with WebhookReceiver(os.path.join(workdir, "receiver"),
                         [SECRET]) as server:
        yield server


def test_delivers_signed_events_once_each(workdir, redis_server, receiver):
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET}}), redis_server,
        [(f"{PREFIX}events", "waypost-hookd:app")])
    sent = [event(n) for n in range(20)]
    publish(redis_server, sent)
    got = receiver.wait_for_events(20, timeout=30)
    assert sorted(e["id"] for e in got) == sorted(e["id"] for e in sent)
    assert all(r.valid and r.signature_count == 1
               for r in receiver.requests())
    # The body is the stored JSON, byte for byte.
    stored = {json.loads(v[b"event"])["id"]: v[b"event"] for _, v in
              redis_server.client.xrange(f"{PREFIX}events")}
    for request in receiver.requests():
        assert request.body == stored[request.webhook_id]
    # Acknowledged: nothing pending in the group.
    wait_until(lambda: redis_server.client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0, 10,
        "no pending entry")
    # Every attempt recorded under its message.
    attempts = redis_server.client.lrange(
        f"{PREFIX}hook-attempts:{sent[0]['id'].rsplit('.', 2)[0]}", 0, -1)
    assert [json.loads(a)["status"] for a in attempts] == [200]
    assert daemon.stop() == 0, daemon.read_log()
    assert "delivered=20 " in daemon.read_log()
    assert receiver.duplicates() == {}


def test_batches_are_signed_arrays_acknowledged_together(
        workdir, redis_server, receiver):
    """batch = 10: arrays of at most 10 events, each request signed over
    its body; every event once; then nothing pending (a request's
    entries are acknowledged in one XACK) and every attempt recorded."""
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET, "batch": "10",
        "batch_wait": "200ms"}}), redis_server,
        [(f"{PREFIX}events", "waypost-hookd:app")])
    sent = [event(n) for n in range(35)]
    publish(redis_server, sent)
    got = receiver.wait_for_events(35, timeout=30)
    assert sorted(e["id"] for e in got) == sorted(e["id"] for e in sent)
    requests = receiver.requests()
    assert all(r.valid and r.signature_count == 1 for r in requests)
    assert all(1 <= len(r.events) <= 10 for r in requests)
    assert len(requests) < 35  # batched, not one request per event
    assert receiver.duplicates() == {}
    wait_until(lambda: redis_server.client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0, 10,
        "no pending entry")
    for one in sent:
        attempts = redis_server.client.lrange(
            f"{PREFIX}hook-attempts:{one['id'].rsplit('.', 2)[0]}", 0, -1)
        assert [json.loads(a)["status"] for a in attempts] == [200]
    assert daemon.stop() == 0, daemon.read_log()


def test_each_tenant_gets_only_its_own(workdir, redis_server, receiver):
    other = WebhookReceiver(os.path.join(workdir, "other"), [SECRET]).start()
    try:
        daemon = started(hookd(workdir, redis_server, {
            "a": {"url": receiver.url(), "secret": SECRET,
                  "tenants": "A@example.com"},
            "b": {"url": other.url(), "secret": SECRET,
                  "tenants": "b@example.com", "events": "bounced"}}),
            redis_server,
            [(f"{PREFIX}events:a@example.com", "waypost-hookd:a"),
             (f"{PREFIX}events:b@example.com", "waypost-hookd:b")])
        publish(redis_server, [event(1, "a@example.com"),
                               event(2, "b@example.com"),
                               event(3, "b@example.com", kind="bounced"),
                               event(4, "c@example.com")])
        assert [e["id"] for e in receiver.wait_for_events(1)] == \
            [event(1)["id"]]
        assert [e["id"] for e in other.wait_for_events(1)] == \
            [event(3)["id"]]
        # The delivered event of b was skipped and acknowledged.
        wait_until(lambda: redis_server.client.xpending(
            f"{PREFIX}events:b@example.com",
            "waypost-hookd:b")["pending"] == 0, 10, "b's events settled")
        assert daemon.stop() == 0, daemon.read_log()
        assert len(receiver.events()) == 1 and len(other.events()) == 1
        assert "skipped=1 " in daemon.read_log()
    finally:
        other.stop()


def test_failures_are_retried_until_the_endpoint_answers(
        workdir, redis_server, receiver):
    receiver.answer_until(500, 30.0)
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET, "retry_max": "5s"}}),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app")])
    sent = [event(n) for n in range(50)]
    publish(redis_server, sent)
    receiver.wait_for_events(50, timeout=120)
    daemon.wait_for_log("webhook app: 5 failures in a row", or_exit=True)
    daemon.wait_for_log("webhook app: the endpoint answers again",
                        or_exit=True)
    assert set(receiver.event_ids()) == {e["id"] for e in sent}
    assert any(r.status == 500 for r in receiver.requests())
    # Repeats only as at least once allows: after a 500, never after a
    # 2xx (nothing is lost on the way here), each with its own id.
    assert receiver.duplicates() == {}
    assert daemon.stop() == 0, daemon.read_log()


def test_kill_and_restart_loses_nothing(workdir, redis_server, receiver):
    webhooks = {"app": {"url": receiver.url(), "secret": SECRET,
                        "concurrency": "16"}}
    daemon = started(hookd(workdir, redis_server, webhooks), redis_server,
                     [(f"{PREFIX}events", "waypost-hookd:app")])
    total = 5000
    publish(redis_server, [event(n) for n in range(total)])
    for _ in range(2):
        count = len(receiver.event_ids())
        receiver.wait_for_events(count + 300, timeout=60)
        daemon.signal(signal.SIGKILL)
        daemon.process.wait()
        daemon.stop()
        daemon = hookd(workdir, redis_server, webhooks, name="again")
        daemon.start(wait=False)
        daemon.wait_for_log("starting: no socket", or_exit=True)
    receiver.wait_for_events(total, timeout=120)
    wait_until(lambda: len(set(receiver.event_ids())) == total, 120,
               "every event")
    duplicates = sum(n - 1 for n in receiver.duplicates().values())
    print(f"{total} events, 2 kills: {duplicates} delivered twice")
    assert daemon.stop() == 0, daemon.read_log()
    assert set(receiver.event_ids()) == {event(n)["id"]
                                          for n in range(total)}


# The events written, then Redis held busy for ARGV[1] ms, in one script:
# no read comes between, and the daemon's next read is answered late.
WRITE_THEN_BUSY = """
for i = 2, #ARGV do redis.call('XADD', KEYS[1], '*', 'event', ARGV[i]) end
local start = redis.call('TIME')
repeat
  local now = redis.call('TIME')
until (now[1] - start[1]) * 1000000 + (now[2] - start[2]) >=
  tonumber(ARGV[1]) * 1000
return 1
"""


def test_a_read_answered_late_loses_nothing(workdir, redis_server,
                                            receiver):
    """A read answered after [redis] timeout (100 ms): Redis delivered its
    entries all the same, so they are read again from the consumer's own
    pending entries at once, each sent once; not left pending until
    claim_idle (claims off here)."""
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET}}, hooks="claim_idle = 0\n"),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app")])
    sent = [event(n) for n in range(20)]
    redis_server.client.eval(
        WRITE_THEN_BUSY, 1, f"{PREFIX}events", 500,
        *[json.dumps(e, separators=(",", ":")) for e in sent])
    daemon.wait_for_log("reading its events: no reply within timeout",
                        or_exit=True)
    got = receiver.wait_for_events(20, timeout=30)
    assert sorted(e["id"] for e in got) == sorted(e["id"] for e in sent)
    wait_until(lambda: redis_server.client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0, 10,
        "all acknowledged")
    assert receiver.duplicates() == {}
    assert daemon.stop() == 0


def test_bad_events_are_dead_lettered(workdir, redis_server, receiver):
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET}}), redis_server,
        [(f"{PREFIX}events", "waypost-hookd:app")])
    redis_server.client.xadd(f"{PREFIX}events", {"event": "{not json"})
    missing = event(1)
    del missing["recipient"]
    redis_server.client.xadd(f"{PREFIX}events",
                             {"event": json.dumps(missing)})
    publish(redis_server, [event(2)])
    receiver.wait_for_events(1)
    wait_until(lambda: redis_server.client.xlen(
        f"{PREFIX}hook-dead:app") == 2, 20, "two dead letters")
    letters = [v for _, v in redis_server.client.xrange(
        f"{PREFIX}hook-dead:app")]
    assert letters[0][b"error"].startswith(b"invalid event: not JSON")
    assert letters[1][b"error"] == b"invalid event: missing field: recipient"
    assert letters[0][b"event"] == b"{not json"
    assert receiver.event_ids() == [event(2)["id"]]
    assert "given up after 0 attempts (invalid event" in daemon.read_log()
    wait_until(lambda: redis_server.client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0, 10,
        "all acknowledged")
    assert daemon.stop() == 0, daemon.read_log()


def test_stop_status_disables_the_endpoint(workdir, redis_server, receiver):
    receiver.answer_with(lambda request: 410 if request.path == "/hook"
                         else 200)
    daemon = started(hookd(workdir, redis_server, {
        "app": {"url": receiver.url(), "secret": SECRET},
        "canary": {"url": receiver.url("/canary"), "secret": SECRET}}),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app"),
                       (f"{PREFIX}events", "waypost-hookd:canary")])
    publish(redis_server, [event(1)])
    daemon.wait_for_log("webhook app: the endpoint answered 410: disabled",
                        or_exit=True)
    publish(redis_server, [event(2)])
    # The canary got both: the daemon read past event 2 meanwhile.
    wait_until(lambda: len([r for r in receiver.requests()
                            if r.path == "/canary"]) == 2, 20,
               "the canary's two events")
    assert [r.status for r in receiver.requests() if r.path == "/hook"] \
        == [410]
    # Event 1 waits in Redis, read and not acknowledged; 2 unread.
    assert redis_server.client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 1
    assert daemon.stop() == 0, daemon.read_log()


def test_rotation_sends_both_signatures(workdir, redis_server, receiver):
    receiver.set_secrets([NEW_SECRET])
    secret_file = os.path.join(workdir, "secret")
    with open(secret_file, "w") as f:
        f.write(f"# the new one first\n{NEW_SECRET}\n{SECRET}\n")
    os.chmod(secret_file, 0o640)
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret_file": secret_file}}),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app")])
    publish(redis_server, [event(1)])
    receiver.wait_for_events(1)
    assert receiver.requests()[0].signature_count == 2
    assert daemon.stop() == 0, daemon.read_log()


def test_https_with_its_ca_and_refused_without(workdir, redis_server):
    with WebhookReceiver(os.path.join(workdir, "tls"), [SECRET],
                         tls=True) as server:
        daemon = started(hookd(workdir, redis_server, {
            "good": {"url": server.url("/good"), "secret": SECRET,
                     "ca_file": server.ca_file},
            "bad": {"url": server.url("/bad"), "secret": SECRET,
                    "ca_file": server.other_ca_file(),
                    "retry_min": "100ms", "retry_max": "200ms"}}),
            redis_server, [(f"{PREFIX}events", "waypost-hookd:good"),
                           (f"{PREFIX}events", "waypost-hookd:bad")])
        publish(redis_server, [event(1)])
        got = server.wait_for_events(1)
        assert got[0]["id"] == event(1)["id"]
        daemon.wait_for_log("webhook bad: 5 failures in a row", or_exit=True)
        line = [line for line in daemon.read_log().splitlines()
                if "webhook bad: 5 failures in a row" in line][0]
        assert "certificate" in line, line
        assert all(r.path == "/good" for r in server.requests())
        assert server.tls_failures() >= 5
        assert daemon.stop() == 0, daemon.read_log()


@pytest.mark.parametrize("keys, error", [
    ({"url": "http://example.com/", "secret": SECRET},
     "neither https:// nor http:// to this machine"),
    ({"url": "https://example.com/"}, "no secret"),
    ({"url": "https://example.com/", "secret": "plain"},
     "a secret must be whsec_"),
    ({"url": "https://example.com/", "secret": "whsec_" +
      base64.b64encode(b"short").decode()}, "is 5 bytes"),
    ({"url": "https://example.com/", "secret": SECRET, "events": "sent"},
     'unknown type "sent"'),
    ({"url": "https://example.com/", "secret": SECRET, "batch": "1"},
     "neither off nor a number"),
    ({"url": "https://example.com/", "secret": SECRET,
      "stop_status": "200"}, "not an HTTP status from 300"),
])
def test_bad_configuration_is_refused(workdir, redis_server, keys, error):
    status, _, errors = hookd(workdir, redis_server, {"app": keys}).check()
    assert status != 0
    assert error in errors


def test_secret_file_readable_by_others_is_refused(workdir, redis_server):
    secret_file = os.path.join(workdir, "secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(secret_file, 0o644)
    status, _, errors = hookd(workdir, redis_server, {"app": {
        "url": "https://example.com/", "secret_file": secret_file}}).check()
    assert status != 0 and "others may read it" in errors
    os.chmod(secret_file, 0o640)
    status, _, errors = hookd(workdir, redis_server, {"app": {
        "url": "https://example.com/", "secret_file": secret_file}}).check()
    assert status == 0, errors


def test_backlog_cap_drops_the_oldest_unread_counted(workdir, redis_server):
    dead_port = free_port()  # nothing listens: every attempt fails
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": f"http://127.0.0.1:{dead_port}/", "secret": SECRET,
        "backlog_max": "100", "retry_min": "1s"}}), redis_server,
        [(f"{PREFIX}events", "waypost-hookd:app")])
    publish(redis_server, [event(n) for n in range(350)], all_stream=True)

    def group():
        return [g for g in redis_server.client.xinfo_groups(
            f"{PREFIX}events") if g["name"] == b"waypost-hookd:app"][0]
    wait_until(lambda: group()["lag"] == 100, 30, "the lag down to 100")
    daemon.wait_for_log("events over backlog_max (100) unread", or_exit=True)
    # The dropped are read, then acknowledged one by one: the line above
    # may come before Redis has seen the last XACK.
    wait_until(lambda: group()["pending"] <= 64, 30,
               "the dropped acknowledged, the window held")
    pending = group()["pending"]
    assert daemon.stop() == 0, daemon.read_log()
    dropped = int(re.search(r"webhook app: .* dropped=(\d+)",
                            daemon.read_log()).group(1))
    assert dropped == 350 - 100 - pending
    assert pending <= 64  # the window held, the rest waited in Redis


def command_calls(client, *names):
    """Calls of each command Redis ran so far (INFO commandstats)."""
    stats = client.info("commandstats")
    return [stats.get(f"cmdstat_{name}", {}).get("calls", 0)
            for name in names]


def test_a_new_event_wakes_an_idle_daemon(workdir, redis_server, receiver):
    # The timer alone would read every 10 s: each event must come long
    # before, woken by its own entry (lib/event_wake.c).
    started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET}},
        hooks="poll_interval = 10s\n"), redis_server,
        [(f"{PREFIX}events", "waypost-hookd:app")])
    client = redis_server.client
    # Idle: the wake's XREAD is out, blocked in Redis.
    wait_until(lambda: any(c.get("cmd") == "xread"
                           for c in client.client_list()), 10,
               "the wake's XREAD blocked")
    for n in range(5):
        publish(redis_server, [event(n)], all_stream=True)
        receiver.wait_for_events(n + 1, timeout=4)
    # Idle again, the XREAD goes again after each empty block (at most
    # 500 ms): no read of the group in that time, and no busy loop.
    wait_until(lambda: client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0, 10,
        "all acknowledged")
    xread, xreadgroup = command_calls(client, "xread", "xreadgroup")
    wait_until(lambda: command_calls(client, "xread")[0] >= xread + 3, 10,
               "three XREADs blocked to their end")
    now_xread, now_xreadgroup = command_calls(client, "xread", "xreadgroup")
    assert now_xread <= xread + 4
    assert now_xreadgroup <= xreadgroup + 1  # the timer's, at most


def test_an_entry_another_consumer_took_wakes_once(
        workdir, redis_server, receiver):
    # Another relay's consumer of the same group takes the entry first
    # (this daemon waits wake_delay = 1s after the wake): the wake moves
    # past it and blocks again, rather than waking on it again and again.
    started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET}},
        hooks="poll_interval = 10s\nwake_delay = 1s\n"), redis_server,
        [(f"{PREFIX}events", "waypost-hookd:app")])
    client = redis_server.client
    # One event delivered first: the wake then waits after its id.
    publish(redis_server, [event(0)], all_stream=True)
    receiver.wait_for_events(1, timeout=10)
    wait_until(lambda: client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0, 10,
        "acknowledged")
    wait_until(lambda: any(c.get("cmd") == "xread"
                           for c in client.client_list()), 10,
               "the wake's XREAD blocked")
    publish(redis_server, [event(1)], all_stream=True)
    taken = client.xreadgroup("waypost-hookd:app", "other-relay",
                              {f"{PREFIX}events": ">"}, count=10)
    assert len(taken[0][1]) == 1
    xread, xreadgroup = command_calls(client, "xread", "xreadgroup")
    # The wake, its read a second later (nothing), then blocked again:
    wait_until(lambda: command_calls(client, "xreadgroup")[0] > xreadgroup,
               10, "the daemon's read after the wake")
    xread, xreadgroup = command_calls(client, "xread", "xreadgroup")
    wait_until(lambda: command_calls(client, "xread")[0] >= xread + 3, 10,
               "three XREADs blocked to their end")
    now_xreadgroup = command_calls(client, "xreadgroup")[0]
    assert now_xreadgroup <= xreadgroup + 1  # the timer's, at most
    # And the next event still comes, by the wake.
    publish(redis_server, [event(2)], all_stream=True)
    receiver.wait_for_events(2, timeout=4)
    assert sorted(receiver.event_ids()) == sorted(
        [event(0)["id"], event(2)["id"]])


def test_a_dead_consumers_pending_events_are_claimed(
        workdir, redis_server, receiver):
    client = redis_server.client
    client.xgroup_create(f"{PREFIX}events", "waypost-hookd:app", id="$",
                         mkstream=True)
    sent = [event(n) for n in range(10)]
    publish(redis_server, sent)
    taken = client.xreadgroup("waypost-hookd:app", "dead-relay",
                              {f"{PREFIX}events": ">"}, count=100)
    assert len(taken[0][1]) == 10
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET}},
        hooks="claim_idle = 1s\n"), redis_server,
        [(f"{PREFIX}events", "waypost-hookd:app")])
    receiver.wait_for_events(10, timeout=30)
    assert set(receiver.event_ids()) == {e["id"] for e in sent}
    wait_until(lambda: client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0, 10,
        "all acknowledged")
    assert daemon.stop() == 0, daemon.read_log()
    assert "claimed=10\n" in daemon.read_log()


def test_webhooks_set_in_redis_apply_without_a_reload(
        workdir, redis_server, receiver):
    client = redis_server.client
    tenant = "app@example.com"
    key = f"{PREFIX}webhook:{tenant}"
    group = f"waypost-hookd:tenant:{tenant}"
    client.hset(key, mapping={"url": receiver.url("/first"),
                              "secret": SECRET, "events": "bounced"})
    client.sadd(f"{PREFIX}webhooks", "App@Example.com")
    daemon = started(hookd(workdir, redis_server, {}), redis_server,
                     [(f"{PREFIX}events:{tenant}", group)])
    publish(redis_server, [event(1, tenant, kind="bounced"),
                           event(2, tenant), event(3, "other@example.com",
                                                   kind="bounced")])
    assert receiver.wait_for_events(1)[0]["id"] == event(1)["id"]
    # Changed in Redis: the next poll applies it.
    client.hset(key, "url", receiver.url("/second"))
    daemon.wait_for_log(f"webhook of tenant {tenant} from Redis: "
                        f"{receiver.url('/second')}", or_exit=True)
    publish(redis_server, [event(4, tenant, kind="bounced")])
    receiver.wait_for_events(2)
    assert [r.path for r in receiver.requests()] == ["/first", "/second"]
    # A field it does not know: refused, logged once, the old one stops.
    client.hset(key, "colour", "blue")
    daemon.wait_for_log(f"webhook of tenant {tenant} in Redis refused: "
                        f"unknown field \"colour\"", or_exit=True)
    client.hdel(key, "colour")
    client.hset(key, "url", "http://example.com/")
    daemon.wait_for_log("is neither https:// nor http:// to this machine",
                        or_exit=True)
    client.hset(key, "url", receiver.url("/third"))
    daemon.wait_for_log(f"from Redis: {receiver.url('/third')}",
                        or_exit=True)
    client.srem(f"{PREFIX}webhooks", "App@Example.com")
    daemon.wait_for_log(f"webhook of tenant {tenant} removed from Redis",
                        or_exit=True)
    assert daemon.stop() == 0, daemon.read_log()
    assert daemon.read_log().count("refused: unknown field") == 1
    assert len(receiver.events()) == 2


def test_a_dead_endpoint_does_not_hold_back_another(
        workdir, redis_server, receiver):
    """The fast endpoint's delays are printed twice: while the other
    endpoint answers, then while it never does."""
    slow = WebhookReceiver(os.path.join(workdir, "slow"), [SECRET]).start()
    try:
        daemon = started(hookd(workdir, redis_server, {
            "slow": {"url": slow.url(), "secret": SECRET,
                     "timeout": "60s"},
            "fast": {"url": receiver.url(), "secret": SECRET}}),
            redis_server, [(f"{PREFIX}events", "waypost-hookd:slow"),
                           (f"{PREFIX}events", "waypost-hookd:fast")])
        written = {}

        def run(numbers):
            for n in numbers:
                written[event(n)["id"]] = time.time()
                publish(redis_server, [event(n)])
            receiver.wait_for_events(numbers[-1] + 1, timeout=60)
            delays = sorted(r.received - written[r.webhook_id]
                            for r in receiver.requests()
                            if int(r.webhook_id[2:10], 16) in numbers)
            return (delays[len(delays) // 2] * 1000,
                    delays[len(delays) * 99 // 100] * 1000)

        answering = run(range(0, 200))
        slow.wait_for_events(200)
        slow.hang()
        hanging = run(range(200, 400))
        # The slow one holds 8 requests (its concurrency), none answered,
        # all the while the fast one got its 200.
        held = [r for r in slow.requests() if r.status is None]
        assert len(held) == 8
        print(f"fast endpoint, 200 events each: p50/p99 "
              f"{answering[0]:.0f}/{answering[1]:.0f} ms beside an "
              f"answering one, {hanging[0]:.0f}/{hanging[1]:.0f} ms "
              f"beside one that never answers")
        assert daemon.stop() == 0, daemon.read_log()
    finally:
        slow.stop()


def manual_examples():
    """The Python verifier and the shell command of waypost-hookd(8), as
    a reader sees them."""
    text = subprocess.run(
        ["groff", "-t", "-man", "-Tutf8", "-P-cbou",
         os.path.join(BUILD_DIR, "man", "waypost-hookd.8")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"}).stdout.decode()
    # Split where the words are, whatever spaces justification put
    # between them.
    section = re.split(r"Checking\s+a\s+signature", text)[1]
    python = re.split(r"With\s+the\s+shell",
                      re.split(r"received:", section)[1])[0]
    shell = re.split(r"prints\s+the\s+signature",
                     section.split("$secret:")[1])[0]
    return textwrap.dedent(python), textwrap.dedent(shell)


def test_the_manuals_verifiers_accept_a_real_request(
        workdir, redis_server, receiver):
    receiver.set_secrets([NEW_SECRET])
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": f"{NEW_SECRET}, {SECRET}"}}),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app")])
    publish(redis_server, [event(7)])
    receiver.wait_for_events(1)
    assert daemon.stop() == 0, daemon.read_log()
    request = receiver.requests()[0]
    python, shell = manual_examples()
    scope = {}
    exec(python, scope)
    for secret in (NEW_SECRET, SECRET):
        assert scope["verified"](secret, request.headers, request.body)
    assert not scope["verified"](NEW_SECRET, request.headers,
                                 request.body + b" ")
    body = os.path.join(workdir, "body.json")
    with open(body, "wb") as f:
        f.write(request.body)
    for secret in (NEW_SECRET, SECRET):
        result = subprocess.run(
            ["bash", "-c", shell], cwd=workdir, check=True,
            stdout=subprocess.PIPE, text=True,
            env={**os.environ, "id": request.headers["webhook-id"],
                 "timestamp": request.headers["webhook-timestamp"],
                 "secret": secret})
        assert "v1," + result.stdout.strip() in \
            request.headers["webhook-signature"].split()


def test_given_up_after_retry_for_into_the_dead_letters(
        workdir, redis_server, receiver):
    receiver.answer(503)
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET, "retry_for": "2s",
        "retry_min": "200ms", "retry_max": "400ms",
        "breaker_failures": "0"}}, hooks="attempts_max = 2\n"),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app")])
    publish(redis_server, [event(1)])
    wait_until(lambda: redis_server.client.xlen(
        f"{PREFIX}hook-dead:app") == 1, 30, "the dead letter")
    letter = redis_server.client.xrange(f"{PREFIX}hook-dead:app")[0][1]
    assert json.loads(letter[b"event"])["id"] == event(1)["id"]
    assert letter[b"status"] == b"503" and letter[b"error"] == b"HTTP 503"
    attempts = int(letter[b"attempts"])
    assert attempts >= 3 and len(receiver.requests()) == attempts
    # Each attempt recorded, the list trimmed to attempts_max: the two
    # newest.
    kept = f"{PREFIX}hook-attempts:{event(1)['id'].rsplit('.', 2)[0]}"
    wait_until(lambda: redis_server.client.llen(kept) == 2, 10,
               "the attempts trimmed to 2")
    assert [json.loads(line)["status"] for line in
            redis_server.client.lrange(kept, 0, -1)] == [503, 503]
    assert redis_server.client.pttl(kept) > 0
    assert redis_server.client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 0
    daemon.wait_for_log(f"{event(1)['queue_id']}: warning: webhook app: "
                        f"event {event(1)['id']} given up after {attempts} "
                        f"attempts (HTTP 503)", or_exit=True)
    assert daemon.stop() == 0, daemon.read_log()


def test_a_redirect_is_not_followed(workdir, redis_server, receiver):
    receiver.answer_with(lambda request: (302, {"Location": "/elsewhere"})
                         if request.path == "/hook" else 200)
    daemon = started(hookd(workdir, redis_server, {"app": {
        "url": receiver.url(), "secret": SECRET, "retry_min": "10s"}}),
        redis_server, [(f"{PREFIX}events", "waypost-hookd:app")])
    publish(redis_server, [event(1)])
    receiver.wait_for_requests(1)
    wait_until(lambda: redis_server.client.lrange(
        f"{PREFIX}hook-attempts:{event(1)['id'].rsplit('.', 2)[0]}", 0, -1),
        10, "the attempt recorded")
    attempt = json.loads(redis_server.client.lrange(
        f"{PREFIX}hook-attempts:{event(1)['id'].rsplit('.', 2)[0]}",
        0, -1)[0])
    assert attempt["status"] == 302 and attempt["error"] == "HTTP 302"
    assert [r.path for r in receiver.requests()] == ["/hook"]
    assert redis_server.client.xpending(
        f"{PREFIX}events", "waypost-hookd:app")["pending"] == 1
    assert daemon.stop() == 0, daemon.read_log()


def test_a_reload_applies_a_new_url_and_secret(
        workdir, redis_server, receiver):
    webhooks = {"app": {"url": receiver.url("/old"), "secret": SECRET}}
    daemon = started(hookd(workdir, redis_server, webhooks), redis_server,
                     [(f"{PREFIX}events", "waypost-hookd:app")])
    publish(redis_server, [event(1)])
    receiver.wait_for_events(1)
    receiver.set_secrets([NEW_SECRET])
    daemon.write_config(config(redis_server, {"app": {
        "url": receiver.url("/new"), "secret": NEW_SECRET}}))
    daemon.signal(signal.SIGHUP)
    daemon.wait_for_log("reloaded", or_exit=True)
    publish(redis_server, [event(2)])
    receiver.wait_for_events(2)
    assert [(r.path, r.valid) for r in receiver.requests()] == \
        [("/old", True), ("/new", True)]
    # A file with an error keeps the running configuration.
    daemon.write_config(config(redis_server, {"app": {
        "url": receiver.url("/new"), "secret": "wrong"}}))
    daemon.signal(signal.SIGHUP)
    daemon.wait_for_log("a secret must be whsec_", or_exit=True)
    publish(redis_server, [event(3)])
    receiver.wait_for_events(3)
    assert daemon.stop() == 0, daemon.read_log()
