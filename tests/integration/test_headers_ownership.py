"""Rule 2's second half: an authenticated user's From must be its own.

Through a real Postfix with SMTP AUTH (a private Dovecot), a real
redis-server holding the sender identities (the set waypost-policyd
reads too), waypost-headers with from_ownership on and waypost-dkim
after it: every accepted message must arrive signed, and python3-dkim
must verify it. The client logs in from 127.0.0.2, outside mynetworks.
"""
import signal

import pytest

from conftest import program
from harness.dovecot import Dovecot
from harness.relay import AuthRelay
from harness.smtp_clients import accepted
from harness.waypost import DkimSetup, HeadersSetup, identities_file

HEADERS = "milters/headers/waypost-headers"
DKIM = "milters/dkim/waypost-dkim"
ALICE = "alice@example.com"
ALICE_KEY = "waypost:senders:{alice@example.com}"


@pytest.fixture
def users():
    server = Dovecot({ALICE: "secret1", "bob": "secret2"}).start()
    yield server
    server.stop()


@pytest.fixture
def relay(workdir, keys, redis_server, postfix_factory, users, sink):
    """waypost-headers, then waypost-dkim (signing example.com and
    alice.example), in front of Postfix; the test starts waypost-headers
    and Postfix with relay.start(its [headers] lines)."""
    relay = AuthRelay(postfix_factory, users, redis_server, sink, keys=keys,
                      headers=HeadersSetup(program(HEADERS), workdir),
                      dkim=DkimSetup(program(DKIM), workdir, keys))
    rsa = keys.generate("s1", "example.com", "rsa")
    relay.dkim.write_tables([relay.dkim.key_line("rsa", rsa)],
                            ["*@example.com rsa", "*@alice.example rsa"])
    try:
        relay.dkim.start("internal_networks = 127.0.0.1/32\n")
        yield relay
    finally:
        relay.stop()


def refused_with(result, text):
    output = result.stdout.decode()
    assert not accepted(result), output
    assert text in output, output


def test_reject_unowned_from_redis_grants(relay):
    relay.redis.client.sadd(ALICE_KEY, ALICE, "@alice.example")
    relay.start("from_ownership = reject")
    # Her own address, in any case, and any address of a granted domain.
    for from_header in (f"Alice <{ALICE.upper()}>", "news@alice.example"):
        token, result = relay.send(from_header)
        assert accepted(result), result.stdout.decode()
        assert relay.delivered(token).header_values("From") == [from_header]
    token, result = relay.send("The CEO <ceo@example.com>")
    refused_with(result, "550 5.7.1 From address <ceo@example.com> not "
                         "owned by user alice@example.com")
    relay.headers.daemon.wait_for_log(
        "rejected: 550 5.7.1 From address <ceo@example.com> not owned")
    # A Sender counts too.
    token, result = relay.send(ALICE, extra_headers="Sender: x@example.org\r\n")
    refused_with(result, "<x@example.org> not owned")
    # Granting is one Redis command, effective on the next message.
    relay.redis.client.sadd(ALICE_KEY, "ceo@example.com")
    token, result = relay.send("The CEO <ceo@example.com>")
    assert accepted(result), result.stdout.decode()
    relay.delivered(token)
    # A client that did not log in is not checked (it is in
    # internal_networks here; policyd's relay checks are for the rest).
    token, result = relay.send("someone@example.org", user=None,
                               client="127.0.0.1")
    assert accepted(result), result.stdout.decode()


def test_rewrite_moves_the_original_to_reply_to(relay):
    relay.start("from_ownership = rewrite")
    token, result = relay.send('"Shop" <noreply@shop.example>',
                               extra_headers="Sender: x@shop.example\r\n")
    assert accepted(result), result.stdout.decode()
    delivery = relay.delivered(token)
    assert delivery.header_values("From") == [f'"Shop" <{ALICE}>']
    assert delivery.header_values("Reply-To") == [
        '"Shop" <noreply@shop.example>']
    assert delivery.header_values("Sender") == []
    relay.headers.daemon.wait_for_log(
        "rewrote From (noreply@shop.example not owned by user "
        "alice@example.com), original in Reply-To, removed Sender")
    # A user whose login is not an address has nothing to rewrite to.
    token, result = relay.send("ceo@example.com", user="bob",
                               password="secret2")
    refused_with(result, "550 5.7.1 From address <ceo@example.com> not "
                         "owned by user bob")


def test_redis_down_fails_as_configured(relay, workdir):
    grants = identities_file(workdir, f"# user grants\n{ALICE} {ALICE}\n")
    relay.start(f"from_ownership = reject\nidentities_file = {grants}")
    relay.redis.stop()
    # The file answers for what it grants: no Redis needed.
    token, result = relay.send(ALICE)
    assert accepted(result), result.stdout.decode()
    relay.delivered(token)
    # Otherwise: 451, and the client keeps the message.
    token, result = relay.send("ceo@example.com")
    refused_with(result, "451 4.3.0 Sender identities unavailable")
    relay.headers.daemon.wait_for_log(
        "sender identities: Redis: cannot connect")
    # identities_unavailable = accept lets it through, and says so.
    relay.headers.stop()
    relay.headers.start(
        "internal_networks = 127.0.0.1/32\nfrom_ownership = reject\n"
        "identities_unavailable = accept\n"
        f"[redis]\naddress = {relay.redis.address}\n")
    token, result = relay.send("ceo@example.com")
    assert accepted(result), result.stdout.decode()
    relay.delivered(token)
    relay.headers.daemon.wait_for_log("From not checked (Redis: ")


def test_file_only_and_bad_file_refused(relay, workdir):
    grants = identities_file(workdir, "bob @example.org\n")
    relay.start("from_ownership = reject\nidentities_redis = no\n"
                f"identities_file = {grants}")
    token, result = relay.send("b@example.org", user="bob",
                               password="secret2")
    assert accepted(result), result.stdout.decode()
    token, result = relay.send(ALICE)
    refused_with(result, "not owned by user alice@example.com")
    # A bad line: -n names it, and a reload keeps the running file.
    with open(grants, "a") as f:
        f.write("bob not-an-address\n")
    status, out, err = relay.headers.daemon.check()
    error = (f"{grants}:2: \"not-an-address\" is neither an address nor "
             "@domain")
    assert status != 0 and error in out + err, out + err
    relay.headers.daemon.signal(signal.SIGHUP)
    relay.headers.daemon.wait_for_log(error)
    token, result = relay.send("b@example.org", user="bob",
                               password="secret2")
    assert accepted(result), result.stdout.decode()
