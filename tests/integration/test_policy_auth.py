"""waypost-policyd's authentication checks behind a real Postfix.

A private Postfix with real SMTP AUTH (a private Dovecot's auth service,
users in a passwd-file) asks waypost-policyd at RCPT, first in
smtpd_relay_restrictions, and at END-OF-DATA, as the README's
"Protecting your relay" does; one test gives Postfix a mynetworks too
wide by mistake, so the relay check is all that stands between a stranger
and an open relay. Mail goes
with swaks, from 127.0.0.1 (mynetworks, an internal application) or from
127.0.0.2..7 (strangers, or users logging in from elsewhere); the
operator's commands are run with redis-cli, as the README shows them.
"""
import pytest

from harness.dovecot import Dovecot
from harness.relay import AuthRelay
from harness.smtp_clients import accepted

ALICE = "alice@example.com"


@pytest.fixture
def users():
    server = Dovecot({ALICE: "secret1", "bob@example.com": "secret2"}).start()
    yield server
    server.stop()


@pytest.fixture
def relay_with(policyd, redis_server, postfix_factory, users, sink):
    def make(mynetworks, limits=None, policy_extra=""):
        policy = policyd(limits or {}, policy_extra=(policy_extra +
            "trusted_networks = 127.0.0.1/32\n"
            "local_domains = example.net\n"
            "check_sender_ownership = yes\n"
            "detect_compromise = yes\n"
            "compromise_max_addresses = 5\n"),
            sections='[warmup "new"]\ndomains = new.example\n'
                     'schedule = 3\n')
        service = f"check_policy_service {policy.service}"
        relay = AuthRelay(postfix_factory, users, redis_server, sink,
                          policy=policy)
        relay.start(postfix={
            "mynetworks": mynetworks,
            "relay_domains": "example.net",
            "smtpd_relay_restrictions": f"{service}, permit_mynetworks, "
                                        "permit_sasl_authenticated, "
                                        "reject_unauth_destination",
            "smtpd_end_of_data_restrictions": service,
            "smtpd_policy_service_default_action": "451 4.3.5 policy "
                                                   "service unavailable"})
        redis_server.client.sadd(f"waypost:senders:{{{ALICE}}}", ALICE,
                                 "@alice.example")
        return relay

    return make


@pytest.fixture
def relay(relay_with):
    return relay_with("127.0.0.1/32")


def refused(result, text):
    output = result.stdout.decode()
    assert not accepted(result), output
    assert text in output, output
    return output


@pytest.mark.parametrize("mynetworks", ["127.0.0.1/32", "127.0.0.0/8"])
def test_no_open_relay_even_when_postfix_would_relay(relay_with, sink,
                                                     mynetworks):
    relay = relay_with(mynetworks)
    token, result = relay.send(to="x@elsewhere.com", user=None)
    refused(result, "554 5.7.1 <x@elsewhere.com>: Recipient address "
                    "rejected: Relay access denied")
    relay.policy.daemon.wait_for_log("check relay: recipient not in "
                                     "local_domains, client 127.0.0.2")
    # Mail for a local domain is welcome; so is anything from a user who
    # logged in, or from the trusted network.
    token, result = relay.send(sender="x@elsewhere.com", user=None)
    assert accepted(result), result.stdout.decode()
    sink.find(token.encode())
    for extra in ({}, {"user": None, "client": "127.0.0.1",
                       "sender": "app@example.com"}):
        token, result = relay.send(to="x@elsewhere.com", **extra)
        assert accepted(result), result.stdout.decode()
        sink.find(token.encode())


def test_sender_ownership(relay, sink):
    token, result = relay.send(sender="ceo@example.com")
    refused(result, "Sender address <ceo@example.com> not owned by user "
                    "alice@example.com")
    for sender in (ALICE, "news@alice.example"):
        token, result = relay.send(sender=sender)
        assert accepted(result), result.stdout.decode()
        sink.find(token.encode())
    # A user with no grant at all owns nothing; bounces only from the
    # trusted network.
    token, result = relay.send(sender="bob@example.com",
                               user="bob@example.com", password="secret2")
    refused(result, "not owned by user bob@example.com")
    token, result = relay.send(sender="<>")  # swaks: the null sender
    refused(result, "Sender address <> not owned")


def test_suspension_by_one_command_takes_effect_on_the_next_message(
        relay, sink):
    token, result = relay.send()
    assert accepted(result), result.stdout.decode()
    relay.redis_cli("SET", f"waypost:suspended:user:{{{ALICE}}}",
                    "phishing report")
    token, result = relay.send()
    refused(result, "Account suspended")
    relay.policy.daemon.wait_for_log(f"check suspension: user {ALICE} "
                                     "suspended (phishing report)")
    relay.redis_cli("DEL", f"waypost:suspended:user:{{{ALICE}}}")
    token, result = relay.send()
    assert accepted(result), result.stdout.decode()
    sink.find(token.encode())


def test_six_client_addresses_trip_the_detector_at_five(relay, sink):
    for n in range(2, 7):
        token, result = relay.send(client=f"127.0.0.{n}")
        assert accepted(result), result.stdout.decode()
        sink.find(token.encode())
    token, result = relay.send(client="127.0.0.7")
    refused(result, "Account suspended")
    relay.policy.daemon.wait_for_log(
        f"warning: check compromise: user {ALICE} suspended automatically: "
        f"6 client addresses in 1h (maximum 5)")
    assert relay.redis_cli("GET", f"waypost:suspended:user:{{{ALICE}}}") == \
        "auto: 6 client addresses in 1h"
    # Suspended: from her usual address too, until the operator lifts it.
    token, result = relay.send(client="127.0.0.2")
    refused(result, "Account suspended")


def test_warmup_cap_of_three_defers_the_fourth_message(relay, sink):
    app = {"user": None, "client": "127.0.0.1", "sender": "hello@new.example"}
    for _ in range(3):
        token, result = relay.send(**app)
        assert accepted(result), result.stdout.decode()
        sink.find(token.encode())
    token, result = relay.send(**app)
    output = refused(result, "warm-up cap for new.example reached")
    assert "450 4.7.1" in output, output
    # Another domain is not held back.
    token, result = relay.send(**dict(app, sender="app@example.com"))
    assert accepted(result), result.stdout.decode()


def test_a_trailing_dot_passes_no_domain_suspension(relay, sink):
    """MAIL FROM:<x@example.org.> from a trusted application: Postfix
    would deliver it as x@example.org, so example.org's suspension
    holds."""
    relay.redis_cli("SET", "waypost:suspended:domain:example.org",
                    "abuse report")
    for sender in ("x@example.org.", "x@Example.ORG"):
        token, result = relay.send(sender=sender, user=None,
                                   client="127.0.0.1")
        refused(result, "Account suspended")
    relay.policy.daemon.wait_for_log("check suspension: domain example.org "
                                     "suspended (abuse report)", count=2)
    relay.redis_cli("DEL", "waypost:suspended:domain:example.org")
    token, result = relay.send(sender="x@example.org.", user=None,
                               client="127.0.0.1")
    assert accepted(result), result.stdout.decode()
    sink.find(token.encode())
