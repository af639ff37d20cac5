"""waypostctl why and top senders against a real redis-server and the
real waypost-policyd.

why decides a request with waypost-policyd's own code, as a dry run: the
test proves that it writes nothing (every key's value and expiry, and
Redis' count of writes, are the same before and after) and that its
answer is, to the byte, what the daemon answers to the same RCPT request
sent right after: allowed, over a limit, suspended, sender not granted,
suppressed recipient. top senders reads the hourly activity counts the
daemon keeps; their keys expire.
"""
import json
import os

import pytest

from conftest import program
from harness.policy_client import PolicyClient
from test_ctl import run_ctl

EX_USAGE, EX_DATAERR, EX_CONFIG = 64, 65, 78
POLICY = ("trusted_networks = 127.0.0.1/32\n"
          "check_sender_ownership = yes\n"
          "detect_compromise = yes\n"
          "check_cache_time = 0\n")
LIMITS = {"hourly": "subject = sasl_username\nwindow = 1h\nmax = 3",
          "per_client": "subject = client_address\nwindow = 1h\nmax = 100\n"
                        "exempt_networks = 127.0.0.0/8",
          "per_recipient_domain": "subject = recipient_domain\n"
                                  "window = 1d\nmax = 1000"}
USER, CLIENT, RECIPIENT = "alice@example.com", "192.0.2.7", "bob@example.net"


@pytest.fixture
def setup(policyd, redis_server):
    """A waypost-policyd with every check and three limits; why(...) runs
    waypostctl why on its own waypost.conf, ask(...) asks the daemon the
    same RCPT request."""
    daemon = policyd(LIMITS, policy_extra=POLICY)
    policy = PolicyClient(daemon.port)
    redis_server.client.sadd(f"waypost:senders:{{{USER}}}", USER)

    class Setup:
        config = daemon.daemon.config
        r = redis_server.client

        @staticmethod
        def why(user=USER, sender=USER, recipient=RECIPIENT, client=CLIENT,
                code=0):
            done = run_ctl(daemon.daemon.config, "--json", "why", user,
                           sender, recipient, client)
            assert done.returncode == code, (done.stdout, done.stderr)
            return json.loads(done.stdout)

        @staticmethod
        def ask(user=USER, sender=USER, recipient=RECIPIENT, client=CLIENT):
            """why's "-" and "<>" are smtpd's empty values."""
            user = "" if user == "-" else user
            return policy.ask(protocol_state="RCPT", sasl_username=user,
                              sasl_method="PLAIN" if user else "",
                              sender="" if sender == "<>" else sender,
                              recipient=recipient, client_address=client,
                              recipient_count="0", size="0")

        @staticmethod
        def charge(user=USER, count=1):
            for _ in range(count):
                assert policy.ask(sasl_username=user, sender=user,
                                  client_address=CLIENT,
                                  recipient_count="2") == "DUNNO"
    return Setup


def snapshot(r):
    """Every key's value (DUMP) and absolute expiry, and Redis' count of
    writes since start (any write, even one that changes nothing)."""
    keys = {k: (r.dump(k), r.execute_command("PEXPIRETIME", k))
            for k in r.scan_iter("*", count=1000)}
    return keys, r.info("persistence")["rdb_changes_since_last_save"]


def dry_then_real(setup, **request):
    """why's answer, having written nothing, and the daemon's after."""
    before = snapshot(setup.r)
    report = setup.why(**request)
    assert snapshot(setup.r) == before
    assert report["action"] == setup.ask(**request)
    return report


def check(report, name):
    return next(c for c in report["checks"] if c["check"] == name)


def limit(report, name):
    return next(x for x in report["limits"] if x["limit"] == name)


def test_allowed(setup):
    setup.charge(count=2)
    report = dry_then_real(setup)
    assert report["action"] == "DUNNO" and report["decided_by"] == ""
    assert report["request"] == {
        "protocol_state": "RCPT", "user": USER, "sender": USER,
        "recipient": RECIPIENT, "client": CLIENT}
    assert check(report, "relay")["state"] == "passed"
    assert check(report, "sender_ownership")["state"] == "passed"
    assert check(report, "suspension")["state"] == "passed"
    assert check(report, "suppression")["state"] == "passed"
    assert check(report, "warmup")["state"] == "off"
    compromise = check(report, "compromise")
    assert (compromise["state"], compromise["addresses"],
            compromise["max_addresses"]) == ("passed", 1, 5)
    hourly = limit(report, "hourly")
    assert (hourly["state"], hourly["subject"], hourly["used"],
            hourly["max"], hourly["window"], hourly["amount"],
            hourly["retry_in"]) == ("passes", USER, 2, 3, "1h", 1, None)
    assert limit(report, "per_client")["state"] == "passes"
    assert limit(report, "per_recipient_domain")["subject"] == "example.net"
    assert report["check_cache_time"] == 0
    # From an exempt client: the limit says so.
    report = dry_then_real(setup, client="127.0.0.5")
    assert limit(report, "per_client")["state"] == "exempt"


def test_over_a_limit(setup):
    setup.charge(count=3)
    report = dry_then_real(setup)
    assert report["action"].startswith(
        "DEFER_IF_PERMIT 4.7.1 hourly exceeded, try again in ")
    assert report["decided_by"] == "limit hourly"
    hourly = limit(report, "hourly")
    assert (hourly["state"], hourly["used"], hourly["max"]) == \
        ("exceeded", 3, 3)
    # Up to a bucket (a sixtieth of the window) early: conservative.
    assert 0 < hourly["retry_in"] <= 3600 + 60
    # The other limits are still reported, and pass.
    assert limit(report, "per_client")["state"] == "passes"
    # An override (a customer's plan) raises it: read as the daemon does.
    setup.r.hset(f"waypost:override:{{{USER}}}", "hourly", 10)
    report = dry_then_real(setup)
    assert report["action"] == "DUNNO"
    assert limit(report, "hourly")["max"] == 10


def test_suspended(setup):
    done = run_ctl(setup.config, "suspend", USER, "--reason", "spam 4711")
    assert done.returncode == 0, done.stderr
    report = dry_then_real(setup)
    assert report["action"] == "REJECT 5.7.1 Account suspended"
    assert report["decided_by"] == "suspension"
    suspension = check(report, "suspension")
    assert suspension["state"] == "refused"
    assert suspension["user_reason"] == "spam 4711"
    assert suspension["domain_reason"] is None
    # Every later check is still made and shown.
    assert check(report, "sender_ownership")["state"] == "passed"
    assert limit(report, "hourly")["state"] == "passes"


def test_sender_not_granted(setup):
    report = dry_then_real(setup, sender="ceo@example.com")
    assert report["action"] == ("REJECT 5.7.1 Sender address "
                                "<ceo@example.com> not owned by user "
                                f"{USER}")
    assert report["decided_by"] == "sender_ownership"
    assert check(report, "sender_ownership")["state"] == "refused"
    compromise = check(report, "compromise")
    assert (compromise["failures"], compromise["max_failures"]) == (0, 10)
    # Refused before Redis: the null sender from an untrusted client.
    report = dry_then_real(setup, sender="<>")
    assert report["action"].startswith("REJECT 5.7.1 Sender address <>")
    assert check(report, "suspension")["state"] == "not reached"
    assert limit(report, "hourly")["state"] == "not reached"


def test_suppressed_recipient(setup):
    setup.r.set(f"waypost:suppressed:{{{USER}}}:{RECIPIENT}",
                "1764547200 bounced: 550 5.1.1 user unknown")
    report = dry_then_real(setup, recipient="Bob@Example.NET.")
    assert report["action"] == ("550 5.1.1 recipient suppressed since "
                                "2025-12-01 (bounced: 550 5.1.1 user "
                                "unknown)")
    assert report["decided_by"] == "suppression"
    assert check(report, "suppression")["state"] == "refused"
    # Suppressed for every tenant, and over a limit: the first answers.
    setup.r.set(f"waypost:suppressed-any:{RECIPIENT}", "complaint")
    setup.charge(count=3)
    report = dry_then_real(setup)
    assert report["decided_by"] == "suppression"
    assert limit(report, "hourly")["state"] == "exceeded"


def test_relay_and_no_user(setup):
    # Not logged in, from outside trusted_networks, to a foreign domain.
    report = dry_then_real(setup, user="-")
    assert report["action"] == "REJECT 5.7.1 Relay access denied"
    assert report["decided_by"] == "relay"
    assert check(report, "sender_ownership")["state"] == "not asked"
    # From a trusted client: the limits by user have no subject.
    report = dry_then_real(setup, user="-", client="127.0.0.1")
    assert report["action"] == "DUNNO"
    assert limit(report, "hourly")["state"] == "no subject"


def test_why_human_output(setup):
    done = run_ctl(setup.config, "why", USER, USER, RECIPIENT, CLIENT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (f"request: RCPT, user {USER}, sender <{USER}>, "
                        f"recipient <{RECIPIENT}>, client {CLIENT}")
    assert lines[1].split() == ["CHECK", "STATE", "DETAIL"]
    assert any(x.split()[:3] == ["hourly", USER, "0"] for x in lines)
    assert lines[-2] == "check cache: off"
    assert lines[-1] == "answer: DUNNO"


@pytest.mark.parametrize("arguments,code", [
    (["why"], EX_USAGE),
    (["why", USER, USER], EX_USAGE),
    (["why", USER, USER, RECIPIENT, CLIENT, "more"], EX_USAGE),
    (["why", USER, USER, RECIPIENT, "not-an-address"], EX_DATAERR),
    (["why", USER, USER, "bob@example.net\nrecipient=x"], EX_DATAERR),
    (["why", USER, "a b@example.com", RECIPIENT], EX_DATAERR),
    (["why", "u" * 321, USER, RECIPIENT], EX_DATAERR),
    (["top"], EX_USAGE),
    (["top", "recipients"], EX_USAGE),
    (["top", "senders", "--window"], EX_USAGE),
    (["top", "senders", "--window", "2d"], EX_DATAERR),
    (["top", "senders", "--window", "90m"], EX_DATAERR),
    (["top", "senders", "--by", "bytes"], EX_DATAERR),
    (["top", "senders", "--count", "0"], EX_DATAERR),
    (["top", "senders", "--colour", "red"], EX_USAGE),
])
def test_bad_input(setup, arguments, code):
    before = snapshot(setup.r)
    done = run_ctl(setup.config, *arguments)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert done.stdout == "" and done.stderr.startswith("waypostctl: ")
    assert snapshot(setup.r) == before


def test_why_needs_a_policy_configuration_that_loads(workdir, redis_server):
    config = os.path.join(workdir, "bad.conf")
    with open(config, "w") as f:
        f.write(f"[redis]\naddress = {redis_server.address}\n"
                '[limit "x"]\nsubject = nobody\nwindow = 1h\nmax = 1\n')
    done = run_ctl(config, "why", USER, USER, RECIPIENT)
    assert done.returncode == EX_CONFIG and "subject" in done.stderr


def top(setup, *options):
    done = run_ctl(setup.config, "--json", "top", "senders", *options)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_top_senders(setup):
    carol = "carol@example.com"
    setup.r.sadd(f"waypost:senders:{{{carol}}}", carol)
    setup.charge(count=2)
    setup.charge(user=carol, count=1)
    assert top(setup) == [
        {"rank": 1, "sender": USER, "messages": 2},
        {"rank": 2, "sender": carol, "messages": 1}]
    assert top(setup, "--by", "recipients", "--window", "24h") == [
        {"rank": 1, "sender": USER, "recipients": 4},
        {"rank": 2, "sender": carol, "recipients": 2}]
    assert top(setup, "--count", "1") == [
        {"rank": 1, "sender": USER, "messages": 2}]
    # Refusals: every request a check or limit of the script refused.
    assert setup.ask(user=carol, sender="ceo@example.com").startswith(
        "REJECT")
    assert top(setup, "--by", "refusals") == [
        {"rank": 1, "sender": carol, "refusals": 1}]
    # The counts are hourly hashes that expire a day after the hour;
    # "sent" holds messages and recipients in one integer.
    keys = sorted(k.decode() for k in setup.r.scan_iter("waypost:activity:*"))
    assert [k.rsplit(":", 1)[0] for k in keys] == [
        "waypost:activity:refusals", "waypost:activity:sent"]
    for key in keys:
        assert 24 * 3600 < setup.r.ttl(key) <= 25 * 3600
    assert int(setup.r.hget(keys[1], USER)) == 2 * 2 ** 32 + 4
    done = run_ctl(setup.config, "top", "senders")
    assert done.stdout.splitlines()[0].split() == [
        "RANK", "SENDER", "MESSAGES"]
    # Nothing in the window: nothing printed.
    setup.r.delete(*keys)
    assert top(setup) == []
