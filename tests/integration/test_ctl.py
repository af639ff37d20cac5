"""waypostctl against a real redis-server, and against waypost-policyd.

Each command's effect is read back from Redis with a Redis client; --json
output is parsed; the audit stream holds each change with what was
before and after. Bad input and a Redis that is not there give the exit
codes of waypostctl(8) and write nothing. The last test starts a real
waypost-policyd and shows that what waypostctl writes is what it reads:
a grant lets a sender through, a suspension refuses it, a lift lets it
through again.
"""
import json
import os
import pwd
import subprocess

import pytest

from conftest import program
from harness.policy_client import PolicyClient
from harness.ports import free_port

EX_USAGE, EX_DATAERR, EX_UNAVAILABLE, EX_TEMPFAIL, EX_CONFIG = \
    64, 65, 69, 75, 78
NOT_OWNED = "REJECT 5.7.1 Sender address <alice@example.com> not owned"
SUSPENDED = "REJECT 5.7.1 Account suspended"
WHO = pwd.getpwuid(os.getuid()).pw_name


def run_ctl(config, *arguments):
    return subprocess.run([program("ctl/waypostctl"), "-c", config,
                           *arguments], capture_output=True, text=True,
                          timeout=30)


@pytest.fixture
def ctl(workdir, redis_server):
    """run(*arguments) runs waypostctl on the private Redis."""
    config = os.path.join(workdir, "waypost.conf")
    with open(config, "w") as f:
        f.write(f"[redis]\naddress = {redis_server.address}\n"
                "timeout = 2s\n")

    def run(*arguments, code=0):
        done = run_ctl(config, *arguments)
        assert done.returncode == code, (done.stdout, done.stderr)
        return done
    return run


def audit(ctl, count=None):
    more = ["--count", str(count)] if count else []
    return [json.loads(line) for line in
            ctl("--json", "audit", *more).stdout.splitlines()]


def test_senders_grant_revoke_list(ctl, redis_server):
    r = redis_server.client
    key = "waypost:senders:{alice@example.com}"
    done = ctl("--json", "senders", "grant", "Alice@Example.COM",
               "alice@example.com", "@Shop.Example.")
    assert json.loads(done.stdout) == {
        "user": "alice@example.com",
        "granted": ["alice@example.com", "@shop.example"],
        "senders": ["@shop.example", "alice@example.com"]}
    assert r.smembers(key) == {b"alice@example.com", b"@shop.example"}
    ctl("senders", "grant", "alice@example.com", "ALICE@example.com")
    assert r.scard(key) == 2
    human = ctl("senders", "list", "alice@example.com").stdout
    assert human.splitlines()[0].split() == ["USER", "SENDER"]
    assert "@shop.example" in human
    ctl("senders", "revoke", "alice@example.com", "@shop.example")
    assert r.smembers(key) == {b"alice@example.com"}
    rows = [json.loads(line) for line in
            ctl("--json", "senders", "list", "alice@example.com")
            .stdout.splitlines()]
    assert rows == [{"user": "alice@example.com",
                     "sender": "alice@example.com"}]
    ctl("senders", "revoke", "alice@example.com", "alice@example.com")
    assert not r.exists(key)
    assert ctl("senders", "list", "alice@example.com").stdout == ""

    entries = audit(ctl)
    assert [e["command"] for e in entries] == [
        "senders revoke", "senders revoke", "senders grant",
        "senders grant"]
    assert all(e["who"] == WHO and e["subject"] == "alice@example.com"
               for e in entries)
    assert (entries[-1]["before"], entries[-1]["after"]) == \
        ("", "@shop.example alice@example.com")
    assert (entries[1]["before"], entries[1]["after"]) == \
        ("@shop.example alice@example.com", "alice@example.com")
    assert (entries[0]["before"], entries[0]["after"]) == \
        ("alice@example.com", "")
    assert [e["id"] for e in audit(ctl, 2)] == [e["id"]
                                                 for e in entries[:2]]


def test_suspend_lift_suspended(ctl, redis_server):
    r = redis_server.client
    user = "waypost:suspended:user:{carol@example.com}"
    domain = "waypost:suspended:domain:news.example"
    done = ctl("--json", "suspend", "Carol@Example.com", "--for", "24h",
               "--reason", "spam complaint 4711")
    assert json.loads(done.stdout) == {
        "kind": "user", "subject": "carol@example.com",
        "reason": "spam complaint 4711", "expires_in": 86400,
        "replaced": None}
    assert r.get(user) == b"spam complaint 4711"
    assert 86390 < r.ttl(user) <= 86400
    ctl("suspend", "@News.Example.", "--reason", "abuse report")
    assert r.get(domain) == b"abuse report" and r.ttl(domain) == -1
    ctl("suspend", "dave", "--reason", "review", "--for", "30m")

    rows = [json.loads(line) for line in
            ctl("--json", "suspended").stdout.splitlines()]
    assert [(x["kind"], x["subject"], x["reason"]) for x in rows] == [
        ("domain", "news.example", "abuse report"),
        ("user", "carol@example.com", "spam complaint 4711"),
        ("user", "dave", "review")]
    assert rows[0]["remaining"] is None
    assert 86390 < rows[1]["remaining"] <= 86400
    assert 1790 < rows[2]["remaining"] <= 1800
    table = ctl("suspended").stdout.splitlines()
    assert table[0].split() == ["KIND", "SUBJECT", "REMAINING", "REASON"]
    assert "until lifted" in table[1] and "1d" in table[2]

    done = ctl("--json", "lift", "@news.example")
    assert json.loads(done.stdout)["lifted"] is True
    assert not r.exists(domain)
    done = ctl("--json", "lift", "@news.example")
    assert json.loads(done.stdout) == {"kind": "domain",
                                       "subject": "news.example",
                                       "lifted": False, "reason": None}
    entries = audit(ctl)
    assert [(e["command"], e["subject"]) for e in entries] == [
        ("lift", "@news.example"), ("suspend", "dave"),
        ("suspend", "@news.example"), ("suspend", "carol@example.com")]
    assert (entries[0]["before"], entries[0]["after"]) == \
        ("abuse report", "")
    assert entries[3]["before"] == ""
    assert entries[3]["after"].startswith("spam complaint 4711 (until ")
    # A suspension replaced: the old one is its before.
    ctl("suspend", "dave", "--reason", "still under review")
    assert audit(ctl, 1)[0]["before"].startswith("review (until ")
    assert r.ttl("waypost:suspended:user:{dave}") == -1


@pytest.mark.parametrize("arguments, code", [
    (("frobnicate",), EX_USAGE),
    ((), EX_USAGE),
    (("senders",), EX_USAGE),
    (("senders", "grant", "alice@example.com"), EX_USAGE),
    (("senders", "grant", "alice@example.com", "not-an-address"),
     EX_DATAERR),
    (("senders", "grant", "alice@example.com", "ok@example.com", "a@"),
     EX_DATAERR),
    (("senders", "grant", "al ice", "a@example.com"), EX_DATAERR),
    (("suspend", "alice@example.com", "--for", "tomorrow", "--reason",
      "x"), EX_DATAERR),
    (("suspend", "alice@example.com", "--for", "0s", "--reason", "x"),
     EX_DATAERR),
    (("suspend", "alice@example.com"), EX_USAGE),
    (("suspend", "alice@example.com", "--for", "1h"), EX_USAGE),
    (("suspend", "alice@example.com", "--reason"), EX_USAGE),
    (("suspend", "alice@example.com", "--reason", "a\nb"), EX_DATAERR),
    (("suspend", "@", "--reason", "x"), EX_DATAERR),
    (("lift",), EX_USAGE),
    (("suspended", "extra"), EX_USAGE),
    (("audit", "--count", "0"), EX_DATAERR),
])
def test_bad_input_writes_nothing(ctl, redis_server, arguments, code):
    done = ctl(*arguments, code=code)
    assert done.stdout == ""
    assert done.stderr.startswith("waypostctl: ")
    assert len(done.stderr.splitlines()) == 1
    assert redis_server.client.dbsize() == 0


def test_wrong_type_refused_whole(ctl, redis_server):
    """A key of another type would fail inside EXEC after the audit
    entry was queued: refused before, so nothing is written."""
    r = redis_server.client
    r.set("waypost:senders:{alice@example.com}", "a string")
    ctl("senders", "grant", "alice@example.com", "a@example.com",
        code=EX_DATAERR)
    assert not r.exists("waypost:audit")


def test_redis_down_and_bad_config(workdir):
    config = os.path.join(workdir, "down.conf")
    with open(config, "w") as f:
        f.write(f"[redis]\naddress = 127.0.0.1:{free_port()}\n")
    for arguments in (("senders", "list", "alice"), ("suspended",),
                      ("suspend", "bob", "--reason", "x"), ("audit",)):
        done = run_ctl(config, *arguments)
        assert done.returncode in (EX_UNAVAILABLE, EX_TEMPFAIL), done
        assert done.stderr.startswith("waypostctl: Redis")
    with open(config, "w") as f:
        f.write("[redis]\nadress = 127.0.0.1:6379\n")
    done = run_ctl(config, "suspended")
    assert done.returncode == EX_CONFIG and "adress" in done.stderr
    done = run_ctl(os.path.join(workdir, "missing.conf"), "suspended")
    assert done.returncode == EX_CONFIG


def test_policyd_reads_what_waypostctl_writes(policyd, redis_server):
    """The same waypost.conf for both: the daemon's own file."""
    setup = policyd(policy_extra="trusted_networks = 127.0.0.1/32\n"
                                 "check_sender_ownership = yes\n")
    c = PolicyClient(setup.port)
    config = setup.daemon.config

    def ctl(*arguments):
        done = run_ctl(config, *arguments)
        assert done.returncode == 0, done.stderr

    assert c.ask().startswith(NOT_OWNED)
    ctl("senders", "grant", "ALICE@example.com", "@Example.COM")
    assert c.ask() == "DUNNO"
    ctl("suspend", "alice@example.com", "--for", "1h", "--reason",
        "spam complaint")
    assert c.ask() == SUSPENDED
    ctl("lift", "alice@example.com")
    assert c.ask() == "DUNNO"
    ctl("suspend", "@example.com", "--reason", "abuse")
    assert c.ask() == SUSPENDED
    ctl("lift", "@example.com")
    assert c.ask() == "DUNNO"
    ctl("senders", "revoke", "alice@example.com", "@example.com")
    assert c.ask().startswith(NOT_OWNED)
