"""waypostctl's changes seen through a real Postfix: the relay of
test_policy_auth.py (SMTP AUTH with a private Dovecot, waypost-policyd at
RCPT and END-OF-DATA), and the operator's commands run with the built
waypostctl on the daemon's own waypost.conf. A grant lets the next
message through and a revoke refuses it again; a suspension refuses it
and a lift lets it through; a suppression refuses a recipient at RCPT
and its removal lets it through; a quota set lower refuses the next
message, a reset lets it through, a clear brings the configured one
back."""
import subprocess

import pytest

from conftest import program
from harness.smtp_clients import accepted
from test_policy_auth import ALICE, refused, relay_with, users  # noqa: F401

BOB = "bob@example.net"


@pytest.fixture
def relay(relay_with):  # noqa: F811 (the fixture imported above)
    # No check cache: a change applies to the very next request, not
    # within check_cache_time.
    return relay_with("127.0.0.1/32", limits={
        "hourly": "subject = sasl_username\nwindow = 1h\nmax = 100"},
        policy_extra="check_cache_time = 0\n")


def ctl(relay, *arguments):
    result = subprocess.run([program("ctl/waypostctl"), "-c",
                             relay.policy.daemon.config, *arguments],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def passes(relay, sink, **options):
    token, result = relay.send(**options)
    assert accepted(result), result.stdout.decode()
    sink.find(token.encode())


def test_grant_and_revoke(relay, sink):
    refused(relay.send(sender="news@shop.example")[1],
            "Sender address <news@shop.example> not owned")
    ctl(relay, "senders", "grant", ALICE, "@shop.example")
    passes(relay, sink, sender="news@shop.example")
    ctl(relay, "senders", "revoke", ALICE, "@shop.example")
    refused(relay.send(sender="news@shop.example")[1], "not owned")


def test_suspend_and_lift(relay, sink):
    passes(relay, sink)
    ctl(relay, "suspend", ALICE, "--reason", "phishing report 4711")
    refused(relay.send()[1], "Account suspended")
    relay.policy.daemon.wait_for_log(f"check suspension: user {ALICE} "
                                     "suspended (phishing report 4711)")
    ctl(relay, "lift", ALICE)
    passes(relay, sink)


def test_suppression_add_and_remove(relay, sink):
    passes(relay, sink, to=BOB)
    ctl(relay, "suppression", "add", BOB, "--tenant", ALICE, "--reason",
        "asked to be removed")
    output = refused(relay.send(to=BOB)[1], "550 5.1.1")
    assert "recipient suppressed since" in output, output
    passes(relay, sink, to="carol@example.net")  # only Bob
    ctl(relay, "suppression", "remove", BOB, "--tenant", ALICE)
    passes(relay, sink, to=BOB)


def test_quota_set_reset_and_clear(relay, sink):
    passes(relay, sink)
    passes(relay, sink)
    ctl(relay, "quota", "set", ALICE, "hourly", "2")
    refused(relay.send()[1], "hourly exceeded")
    ctl(relay, "quota", "reset", ALICE, "hourly")
    passes(relay, sink)
    passes(relay, sink)
    refused(relay.send()[1], "hourly exceeded")
    ctl(relay, "quota", "clear", ALICE, "hourly")
    passes(relay, sink)
