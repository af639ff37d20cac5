"""waypostctl suppression and webhook, against a real redis-server, and
against waypost-policyd and waypost-hookd.

Each command's keys are read back from Redis with a Redis client; --json
output is parsed; the audit stream holds each change with what was
before and after. Bad input gives the exit codes of waypostctl(8) and
writes nothing. Then the real daemons: waypost-policyd refuses a
recipient that `suppression add` suppressed and accepts it after
`suppression remove`; waypost-hookd delivers a tenant's events to the
webhook `webhook set` wrote, without a reload, and stops after `webhook
remove`; `webhook attempts` shows its attempts.
"""
import json
import os
import time

import pytest

from harness.policy_client import PolicyClient
from test_ctl import EX_DATAERR, EX_USAGE, audit, ctl, run_ctl  # noqa: F401
from test_hook import (PREFIX, SECRET, event, hookd, publish,  # noqa: F401
                       receiver, started, stop_daemons)

EX_NOINPUT = 66
SUPPRESSED = "waypost:suppressed:{alice@example.com}:bob@example.net"
ANY = "waypost:suppressed-any:bob@example.net"


def lines(done):
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_suppression_add_list_why_remove(ctl, redis_server):
    r = redis_server.client
    before = time.time()
    done = ctl("--json", "suppression", "add", "Bob@Example.NET.",
               "--tenant", "Alice@Example.com", "--for", "7d",
               "--reason", "asked to be removed")
    assert json.loads(done.stdout) == {
        "address": "bob@example.net", "tenant": "alice@example.com",
        "reason": "asked to be removed", "expires_in": 7 * 86400,
        "replaced": None}
    since, reason = r.get(SUPPRESSED).decode().split(" ", 1)
    assert reason == "asked to be removed"
    assert before - 1 <= int(since) <= time.time() + 1
    assert 7 * 86400 - 10 < r.ttl(SUPPRESSED) <= 7 * 86400
    ctl("suppression", "add", "bob@example.net", "--any", "--reason",
        "complaint")
    assert r.get(ANY).decode().endswith(" complaint") and r.ttl(ANY) == -1
    # As waypost-trackd writes it, and a tenant holding ":".
    r.set("waypost:suppressed:{a%3Ab}:carol@example.net",
          "1764547200 bounced: 550 5.1.1 user unknown", ex=3600)

    rows = lines(ctl("--json", "suppression", "list"))
    assert [(x["address"], x["tenant"]) for x in rows] == [
        ("bob@example.net", None), ("bob@example.net", "alice@example.com"),
        ("carol@example.net", "a:b")]
    assert rows[2]["since"] == "2025-12-01T00:00:00Z"
    assert rows[2]["reason"] == "bounced: 550 5.1.1 user unknown"
    assert 3590 < rows[2]["remaining"] <= 3600
    assert rows[0]["remaining"] is None
    table = ctl("suppression", "list").stdout.splitlines()
    assert table[0].split() == ["ADDRESS", "TENANT", "SINCE", "REMAINING",
                                "REASON"]
    assert "until removed" in table[1]
    assert " 7d " in table[2] or " 6d 23h " in table[2]
    # One tenant's: its own and those of every tenant.
    rows = lines(ctl("--json", "suppression", "list", "A:B"))
    assert [(x["address"], x["tenant"]) for x in rows] == [
        ("bob@example.net", None), ("carol@example.net", "a:b")]

    why = json.loads(ctl("--json", "suppression", "why",
                         "BOB@example.net").stdout)
    assert why["suppressed"] is True
    assert [x["tenant"] for x in why["suppressions"]] == \
        [None, "alice@example.com"]
    why = json.loads(ctl("--json", "suppression", "why", "bob@example.net",
                         "--tenant", "other@example.com").stdout)
    assert [x["tenant"] for x in why["suppressions"]] == [None]
    human = ctl("suppression", "why", "carol@example.net").stdout
    assert human.startswith("carol@example.net suppressed for tenant a:b "
                            "since 2025-12-01T00:00:00Z (")
    assert human.endswith(" left): bounced: 550 5.1.1 user unknown\n")
    assert ctl("suppression", "why", "dave@example.net").stdout == \
        "dave@example.net is not suppressed\n"

    done = ctl("--json", "suppression", "remove", "bob@example.net",
               "--tenant", "alice@example.com")
    assert json.loads(done.stdout)["removed"] is True
    assert not r.exists(SUPPRESSED)
    done = ctl("--json", "suppression", "remove", "bob@example.net",
               "--tenant", "alice@example.com")
    assert json.loads(done.stdout)["removed"] is False
    ctl("suppression", "remove", "bob@example.net", "--any")
    assert not r.exists(ANY)
    entries = audit(ctl)
    assert [(e["command"], e["subject"]) for e in entries] == [
        ("suppression remove", "bob@example.net (every tenant)"),
        ("suppression remove", "bob@example.net (tenant alice@example.com)"),
        ("suppression add", "bob@example.net (every tenant)"),
        ("suppression add", "bob@example.net (tenant alice@example.com)")]
    assert entries[3]["before"] == ""
    assert entries[3]["after"].startswith("since ")
    assert ": asked to be removed (until " in entries[3]["after"]
    assert entries[1]["before"].startswith(
        entries[3]["after"].split(" (until ")[0])
    assert entries[1]["after"] == ""


def test_webhook_set_list_remove(ctl, redis_server, workdir):
    r = redis_server.client
    url = "https://hooks.example.com/waypost"
    done = ctl("--json", "webhook", "set", "App@Example.com", f"url={url}",
               f"secret={SECRET}", "events=bounced,expired", "batch=10")
    assert json.loads(done.stdout) == {
        "tenant": "app@example.com",
        "settings": f"batch=10, events=bounced,expired, secret=set, "
                    f"url={url}",
        "replaced": None}
    assert SECRET not in done.stdout
    assert r.smembers("waypost:webhooks") == {b"app@example.com"}
    assert r.hgetall("waypost:webhook:app@example.com") == {
        b"url": url.encode(), b"secret": SECRET.encode(),
        b"events": b"bounced,expired", b"batch": b"10"}
    # secret_file: read here, stored as the secret; set replaces.
    secret_file = os.path.join(workdir, "secret")
    with open(secret_file, "w") as f:
        f.write(f"# the new one\n{SECRET}\n")
    os.chmod(secret_file, 0o600)
    ctl("webhook", "set", "app@example.com", f"url={url}",
        f"secret_file={secret_file}")
    assert r.hgetall("waypost:webhook:app@example.com") == {
        b"url": url.encode(), b"secret": SECRET.encode()}

    rows = lines(ctl("--json", "webhook", "list"))
    assert rows == [{"tenant": "app@example.com", "url": url,
                     "settings": {}, "secret": "set", "valid": True,
                     "error": None}]
    # One that hookd refuses, written by hand: listed as refused.
    r.sadd("waypost:webhooks", "old@example.com")
    r.hset("waypost:webhook:old@example.com", mapping={
        "url": url, "secret": SECRET, "colour": "blue"})
    table = ctl("webhook", "list").stdout
    assert SECRET not in table and "secret: set" in table
    assert 'refused: unknown field "colour"' in table

    entries = audit(ctl, 2)
    assert entries[0]["command"] == "webhook set"
    assert entries[0]["before"] == \
        "batch=10, events=bounced,expired, secret=set, url=" + url
    assert entries[0]["after"] == f"secret=set, url={url}"
    assert all(SECRET not in json.dumps(e) for e in audit(ctl))

    done = ctl("--json", "webhook", "remove", "APP@example.com")
    assert json.loads(done.stdout)["removed"] is True
    assert r.smembers("waypost:webhooks") == {b"old@example.com"}
    assert not r.exists("waypost:webhook:app@example.com")
    assert audit(ctl, 1)[0]["command"] == "webhook remove"
    done = ctl("--json", "webhook", "remove", "app@example.com")
    assert json.loads(done.stdout)["removed"] is False
    assert audit(ctl, 1)[0]["command"] == "webhook remove"
    assert len(audit(ctl)) == 3


def test_webhook_attempts(ctl, redis_server):
    key = "waypost:hook-attempts:4Q00000001.1764600000"
    for status in (500, 200):
        redis_server.client.lpush(key, json.dumps({
            "time": 1764600000 + status, "webhook": "app",
            "event": "4Q00000001.1764600000.1.1", "type": "bounced",
            "status": status, "latency_ms": 12, "error": ""}))
    rows = lines(ctl("--json", "webhook", "attempts",
                     "4Q00000001.1764600000.1.1"))
    assert [x["status"] for x in rows] == [200, 500]
    table = ctl("webhook", "attempts", "4Q00000001.1764600000")
    assert table.stdout.splitlines()[0].split() == [
        "TIME", "WEBHOOK", "EVENT", "TYPE", "STATUS", "LATENCY", "ERROR"]
    assert "2025-12-01T14:43:20Z" in table.stdout
    assert ctl("webhook", "attempts", "4Q00000002.1764600000").stdout == ""


@pytest.mark.parametrize("arguments, code", [
    (("suppression",), EX_USAGE),
    (("suppression", "add", "bob@example.net", "--reason", "x"), EX_USAGE),
    (("suppression", "add", "bob@example.net", "--tenant", "a",
      "--any", "--reason", "x"), EX_USAGE),
    (("suppression", "add", "bob@example.net", "--tenant", "a"), EX_USAGE),
    (("suppression", "add", "not-an-address", "--tenant", "a",
      "--reason", "x"), EX_DATAERR),
    (("suppression", "add", "b@example.net", "--tenant", "a b",
      "--reason", "x"), EX_DATAERR),
    (("suppression", "add", "b@example.net", "--any", "--for", "soon",
      "--reason", "x"), EX_DATAERR),
    (("suppression", "add", "b@example.net", "--any", "--reason",
      "a\rb"), EX_DATAERR),
    (("suppression", "remove", "b@example.net"), EX_USAGE),
    (("suppression", "remove", "b@example.net", "--for", "1h"), EX_USAGE),
    (("suppression", "why", "@example.net"), EX_DATAERR),
    (("suppression", "list", "a", "b"), EX_USAGE),
    (("webhook",), EX_USAGE),
    (("webhook", "set", "app"), EX_USAGE),
    (("webhook", "set", "app", "https://x.example/"), EX_USAGE),
    (("webhook", "set", "a b", "url=https://x.example/",
      f"secret={SECRET}"), EX_DATAERR),
    (("webhook", "set", "app", "url=https://x.example/",
      f"secret={SECRET}", "colour=blue"), EX_DATAERR),
    (("webhook", "set", "app", "url=ftp://x.example/",
      f"secret={SECRET}"), EX_DATAERR),
    (("webhook", "set", "app", "url=http://x.example/",
      f"secret={SECRET}"), EX_DATAERR),
    (("webhook", "set", "app", "url=https://x.example/"), EX_DATAERR),
    (("webhook", "set", "app", "url=https://x.example/",
      "secret=not-a-secret"), EX_DATAERR),
    (("webhook", "set", "app", "url=https://x.example/",
      f"secret={SECRET}", "events=nonsense"), EX_DATAERR),
    (("webhook", "set", "app", "url=https://x.example/",
      f"secret={SECRET}", "batch=-3"), EX_DATAERR),
    (("webhook", "set", "app", "url=https://x.example/",
      f"secret={SECRET}", "tenants=*"), EX_DATAERR),
    (("webhook", "set", "app", "url=https://x.example/",
      "secret_file=/nonexistent/secret"), EX_NOINPUT),
    (("webhook", "remove"), EX_USAGE),
    # Neither QUEUEID.FIRSTSEEN nor a Message-ID (a text that may be one
    # is looked up: test_ctl_message.py).
    (("webhook", "attempts", "not a\x01message"), EX_DATAERR),
    (("webhook", "attempts", "<>"), EX_DATAERR),
])
def test_bad_input_writes_nothing(ctl, redis_server, arguments, code):
    done = ctl(*arguments, code=code)
    assert done.stdout == ""
    assert done.stderr.startswith("waypostctl: ")
    assert len(done.stderr.splitlines()) == 1
    assert redis_server.client.dbsize() == 0


def test_webhook_secret_file_others_may_read(ctl, redis_server, workdir):
    path = os.path.join(workdir, "open-secret")
    with open(path, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(path, 0o644)
    done = ctl("webhook", "set", "app", "url=https://x.example/",
               f"secret_file={path}", code=EX_DATAERR)
    assert "others may read it" in done.stderr
    assert redis_server.client.dbsize() == 0


def test_policyd_refuses_what_suppression_add_suppressed(
        policyd, redis_server):
    setup = policyd(policy_extra="trusted_networks = 127.0.0.1/32\n")
    c = PolicyClient(setup.port)
    config = setup.daemon.config

    def ctl(*arguments):
        done = run_ctl(config, *arguments)
        assert done.returncode == 0, done.stderr

    rcpt = dict(protocol_state="RCPT", recipient="Bob@Example.NET")
    dave = dict(protocol_state="RCPT", recipient="dave@example.net")
    # (Another recipient: a passed check is kept for check_cache_time.)
    assert c.ask(protocol_state="RCPT", recipient="erin@example.net") == \
        "DUNNO"
    ctl("suppression", "add", "bob@example.net", "--tenant",
        "ALICE@example.com", "--reason", "asked to be removed")
    answer = c.ask(**rcpt)
    assert answer.startswith("550 5.1.1 recipient suppressed since ")
    assert answer.endswith("(asked to be removed)")
    ctl("suppression", "remove", "bob@example.net", "--tenant",
        "alice@example.com")
    assert c.ask(**rcpt) == "DUNNO"
    ctl("suppression", "add", "Dave@example.net", "--any", "--reason",
        "complaint")
    assert c.ask(**dave).endswith("(complaint)")
    ctl("suppression", "remove", "dave@example.net", "--any")
    assert c.ask(**dave) == "DUNNO"


def test_hookd_delivers_to_what_webhook_set_wrote(
        workdir, redis_server, receiver):
    tenant = "app@example.com"
    daemon = started(hookd(workdir, redis_server, {}), redis_server, [])
    config = os.path.join(workdir, "ctl.conf")
    with open(config, "w") as f:
        f.write(f"[redis]\naddress = 127.0.0.1:{redis_server.port}\n"
                f"prefix = {PREFIX}\n")

    def ctl(*arguments):
        done = run_ctl(config, *arguments)
        assert done.returncode == 0, done.stderr
        return done

    ctl("webhook", "set", "App@Example.com", f"url={receiver.url('/a')}",
        f"secret={SECRET}", "events=bounced")
    daemon.wait_for_log(f"webhook of tenant {tenant} from Redis: "
                        f"{receiver.url('/a')}", or_exit=True)
    stream = f"{PREFIX}events:{tenant}"
    group = f"waypost-hookd:tenant:{tenant}"

    def made():
        try:
            return any(g["name"].decode() == group for g in
                       redis_server.client.xinfo_groups(stream))
        except Exception:
            return False
    from harness.waiting import wait_until
    wait_until(made, 20, f"consumer group {group}")
    publish(redis_server, [event(1, tenant, kind="bounced"),
                           event(2, tenant)])
    got = receiver.wait_for_events(1)
    assert [e["id"] for e in got] == [event(1)["id"]]
    message = event(1)["id"].rsplit(".", 2)[0]
    wait_until(lambda: redis_server.client.exists(
        f"{PREFIX}hook-attempts:{message}"), 10, "the attempt recorded")
    rows = lines(ctl("--json", "webhook", "attempts", event(1)["id"]))
    assert [(x["webhook"], x["status"]) for x in rows] == \
        [(f"tenant:{tenant}", 200)]

    ctl("webhook", "remove", tenant)
    daemon.wait_for_log(f"webhook of tenant {tenant} removed from Redis",
                        or_exit=True)
    publish(redis_server, [event(3, tenant, kind="bounced")])
    time.sleep(1)
    assert len(receiver.events()) == 1
    assert daemon.stop() == 0, daemon.read_log()
