"""waypostctl quota and warmup against a real redis-server and a real
waypost-policyd.

The daemon and waypostctl read one waypost.conf, the daemon's own. What
quota show and warmup show print is checked against what the daemon then
decides: a subject shown with room left is let through and refused when
the room is spent, the seconds shown until it frees are the seconds of
the daemon's refusal. quota set lowers a maximum and the next request is
refused; quota reset lets it through again; quota clear brings the
configured maximum back. Each change is read back from Redis and from
the audit stream; bad input and a Redis that is not there write nothing.
"""
import json
import os
import re
import subprocess

import pytest

from conftest import program
from harness.policy_client import PolicyClient
from harness.ports import free_port

EX_USAGE, EX_DATAERR, EX_UNAVAILABLE, EX_CONFIG = 64, 65, 69, 78
DEFER = "DEFER_IF_PERMIT 4.7.1"
LIMITS = {
    "hourly": "subject = sasl_username\nwindow = 1h\nmax = 3\n",
    "per-sender": "subject = sender\nwindow = 1m\nmax = 100\n",
    "per-network": "subject = client_network\nwindow = 1h\nmax = 50\n",
}
OVERRIDE = "waypost:override:{alice@example.com}"
COUNTER = "waypost:limit:hourly:{alice@example.com}"


def run_ctl(config, *arguments, code=0):
    done = subprocess.run([program("ctl/waypostctl"), "-c", config,
                           *arguments], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == code, (done.stdout, done.stderr)
    return done


def rows(config, *arguments):
    return [json.loads(line) for line in
            run_ctl(config, "--json", *arguments).stdout.splitlines()]


def one(config, *arguments):
    (result,) = rows(config, *arguments)
    return result


def by_limit(config, subject):
    return {row["limit"]: row for row in rows(config, "quota", "show",
                                              subject)}


def try_again(action):
    """The seconds of a limit's refusal."""
    return int(re.search(r"try again in (\d+) seconds", action).group(1))


def test_quota_show_set_reset_clear_as_policyd_decides(policyd,
                                                       redis_server):
    r = redis_server.client
    setup = policyd(LIMITS)
    config = setup.daemon.config
    c = PolicyClient(setup.port)
    assert c.ask() == "DUNNO" and c.ask() == "DUNNO"

    shown = by_limit(config, "Alice@Example.COM")
    assert set(shown) == {"hourly", "per-sender"}
    assert shown["hourly"] == {
        "limit": "hourly", "subject": "alice@example.com",
        "count": "messages", "used": 2, "max": 3, "configured_max": 3,
        "override": None, "window": 3600, "frees_in": 0}
    assert (shown["per-sender"]["used"], shown["per-sender"]["window"]) \
        == (2, 60)
    # A user could be called so too: sasl_username fits any text.
    network = by_limit(config, "127.0.0.9/24")["per-network"]
    assert (network["subject"], network["used"]) == ("127.0.0.0/24", 2)
    table = run_ctl(config, "quota", "show", "alice@example.com")
    assert table.stdout.splitlines()[0].split() == [
        "LIMIT", "SUBJECT", "COUNT", "USED", "MAX", "WINDOW", "FREES"]

    # set: the daemon refuses the next message, and show says when it
    # frees in the daemon's own seconds.
    done = one(config, "quota", "set", "alice@example.com", "hourly", "2")
    assert done == {"subject": "alice@example.com",
                    "set": [{"limit": "hourly", "was": 3, "max": 2}]}
    assert r.hgetall(OVERRIDE) == {b"hourly": b"2"}
    refused = c.ask()
    assert refused.startswith(f"{DEFER} hourly exceeded")
    hourly = by_limit(config, "alice@example.com")["hourly"]
    assert (hourly["used"], hourly["max"], hourly["override"]) == (2, 2, 2)
    assert abs(hourly["frees_in"] - try_again(refused)) <= 1
    assert "2 (override; configured 3)" in run_ctl(
        config, "quota", "show", "alice@example.com").stdout

    # reset: the one limit's counter only; the subject sends again now.
    done = one(config, "quota", "reset", "alice@example.com", "hourly")
    assert done == {"subject": "alice@example.com",
                    "reset": [{"limit": "hourly", "used": 2}]}
    assert not r.exists(COUNTER)
    assert r.exists("waypost:limit:per-sender:{alice@example.com}")
    assert c.ask() == "DUNNO" and c.ask() == "DUNNO"
    assert c.ask().startswith(f"{DEFER} hourly exceeded")

    # clear: the configured 3 holds again.
    done = one(config, "quota", "clear", "alice@example.com")
    assert done == {"subject": "alice@example.com",
                    "cleared": [{"limit": "hourly", "was": 2, "max": 3}]}
    assert not r.exists(OVERRIDE)
    assert c.ask() == "DUNNO"
    assert c.ask().startswith(f"{DEFER} hourly exceeded")
    assert by_limit(config, "alice@example.com")["hourly"]["used"] == 3

    entries = rows(config, "audit")
    assert [(e["command"], e["subject"], e["before"], e["after"])
            for e in entries] == [
        ("quota clear", "alice@example.com", "hourly=2",
         "hourly=3 (configured)"),
        ("quota reset", "alice@example.com", "hourly: 2 used",
         "hourly: 0 used"),
        ("quota set", "alice@example.com", "hourly=3 (configured)",
         "hourly=2")]

    # Nothing to clear: nothing written, no audit entry.
    assert one(config, "quota", "clear", "alice@example.com") == {
        "subject": "alice@example.com", "cleared": []}
    assert len(rows(config, "audit")) == 3
    # reset of every limit of the subject.
    done = one(config, "quota", "reset", "alice@example.com")
    assert {x["limit"] for x in done["reset"]} == {"hourly", "per-sender"}
    assert c.ask() == "DUNNO"


def test_quota_set_zero_and_combined_subject(policyd, redis_server):
    limits = {"pair": "subject = sasl_username+recipient_domain\n"
                      "count = recipients\nwindow = 1d\nmax = 10\n"}
    setup = policyd(limits)
    config = setup.daemon.config
    c = PolicyClient(setup.port)
    to = {"recipient": "bob@Example.NET"}
    assert c.ask(**to) == "DUNNO"
    subject = "alice@example.com|example.net"
    shown = one(config, "quota", "show", "ALICE@example.com|Example.NET.")
    assert (shown["subject"], shown["used"], shown["count"]) == \
        (subject, 1, "recipients")
    run_ctl(config, "quota", "set", subject, "pair", "0")
    assert redis_server.client.hget(f"waypost:override:{{{subject}}}",
                                    "pair") == b"0"
    assert c.ask(**to).startswith(f"{DEFER} pair exceeded")
    run_ctl(config, "quota", "clear", subject, "pair")
    assert c.ask(**to) == "DUNNO"


@pytest.fixture
def quota_config(workdir, redis_server):
    path = os.path.join(workdir, "quota.conf")
    with open(path, "w") as f:
        f.write(f"[redis]\naddress = {redis_server.address}\n"
                "timeout = 2s\n")
        for name, body in LIMITS.items():
            f.write(f'[limit "{name}"]\n{body}')
        f.write('[warmup "new"]\ndomains = new.example\n'
                'schedule = 5 10\n')
    return path


@pytest.mark.parametrize("arguments, code, text", [
    (("quota",), EX_USAGE, "usage"),
    (("quota", "show"), EX_USAGE, "usage"),
    (("quota", "frob", "alice"), EX_USAGE, "usage"),
    (("quota", "set", "alice", "hourly"), EX_USAGE, "usage"),
    (("quota", "clear", "alice", "hourly", "x"), EX_USAGE, "usage"),
    (("quota", "set", "alice", "daily", "5"), EX_DATAERR,
     "unknown limit \"daily\""),
    (("quota", "set", "alice", "hourly", "-1"), EX_DATAERR,
     "bad maximum"),
    (("quota", "set", "alice", "hourly", "5x"), EX_DATAERR,
     "bad maximum"),
    (("quota", "set", "alice", "hourly", "1000000000000001"), EX_DATAERR,
     "bad maximum"),
    (("quota", "set", "alice", "per-network", "5"), EX_DATAERR,
     "limit per-network does not count"),
    (("quota", "reset", "10.0.0.0/16", "per-network"), EX_DATAERR,
     "does not count"),
    (("quota", "show", "a|b"), EX_DATAERR, "no limit counts"),
    (("quota", "show", "bad%zz"), EX_DATAERR, "no limit counts"),
    (("warmup", "show", "other.example"), EX_DATAERR,
     "in no [warmup] section"),
    (("warmup", "show", "a b"), EX_DATAERR, "not a domain"),
    (("warmup", "list"), EX_USAGE, "usage"),
])
def test_bad_input_writes_nothing(quota_config, redis_server, arguments,
                                  code, text):
    done = run_ctl(quota_config, *arguments, code=code)
    assert done.stdout == ""
    assert done.stderr.startswith("waypostctl: ") and text in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert redis_server.client.dbsize() == 0


def test_redis_down_and_bad_limits(workdir):
    config = os.path.join(workdir, "down.conf")
    with open(config, "w") as f:
        f.write(f"[redis]\naddress = 127.0.0.1:{free_port()}\n"
                '[limit "hourly"]\nsubject = sasl_username\nwindow = 1h\n'
                'max = 3\n[warmup "new"]\ndomains = new.example\n'
                'schedule = 5\n')
    for arguments in (("quota", "show", "alice"),
                      ("quota", "set", "alice", "hourly", "1"),
                      ("quota", "clear", "alice"),
                      ("quota", "reset", "alice", "hourly"),
                      ("warmup", "show", "new.example")):
        done = run_ctl(config, *arguments, code=EX_UNAVAILABLE)
        assert done.stderr.startswith("waypostctl: Redis")
    with open(config, "w") as f:
        f.write('[redis]\naddress = 127.0.0.1:6379\n[limit "hourly"]\n'
                'subject = nobody\nwindow = 1h\nmax = 3\n')
    done = run_ctl(config, "quota", "show", "alice", code=EX_CONFIG)
    assert "subject" in done.stderr
    run_ctl(config, "warmup", "show", "x.example", code=EX_CONFIG)


def test_warmup_show_as_policyd_decides(policyd, redis_server):
    r = redis_server.client
    sections = ('[warmup "new"]\ndomains = example.com, shop.example\n'
                'schedule = 3 10\n'
                '[warmup "group"]\ndomains = a.example, b.example\n'
                'per = group\nschedule = 50 unlimited\n')
    setup = policyd(sections=sections)
    config = setup.daemon.config
    c = PolicyClient(setup.port)

    def state():
        return one(config, "warmup", "show", "Example.COM.")

    assert state() == {"warmup": "new", "subject": "example.com",
                       "started": False, "day": 0, "cap": 3, "sent": 0,
                       "remaining": 3}
    assert c.ask() == "DUNNO" and c.ask() == "DUNNO"
    assert (state()["sent"], state()["remaining"]) == (2, 1)
    assert c.ask() == "DUNNO"
    assert state()["remaining"] == 0
    assert c.ask().startswith(f"{DEFER} warm-up cap for example.com")

    # Two days on, the schedule's last cap, 10, holds: 7 left today.
    today = int(r.time()[0]) // 86400
    key = "waypost:warmup:new:{example.com}"
    r.set(key, f"{today - 2} {today} 3")
    assert state() == {"warmup": "new", "subject": "example.com",
                       "started": True, "day": 2, "cap": 10, "sent": 3,
                       "remaining": 7}
    r.set(key, f"{today - 2} {today} 9")
    assert c.ask() == "DUNNO"
    assert state()["remaining"] == 0
    assert c.ask().startswith(f"{DEFER} warm-up cap for example.com")

    # A section's name: a row per domain, or one for a group.
    assert [x["subject"] for x in rows(config, "warmup", "show", "new")] \
        == ["example.com", "shop.example"]
    group = rows(config, "warmup", "show", "group")
    assert group == rows(config, "warmup", "show", "B.example")
    assert group == [{"warmup": "group", "subject": "group",
                      "started": False, "day": 0, "cap": 50, "sent": 0,
                      "remaining": 50}]
    r.set("waypost:warmup:group:{group}", f"{today - 1} {today - 1} 50")
    assert one(config, "warmup", "show", "group")["cap"] is None
    table = run_ctl(config, "warmup", "show", "group").stdout.splitlines()
    assert table[0].split() == ["WARMUP", "SUBJECT", "DAY", "CAP", "SENT",
                                "REMAINING"]
    assert table[1].split() == ["group", "group", "1", "unlimited", "0",
                                "unlimited"]
