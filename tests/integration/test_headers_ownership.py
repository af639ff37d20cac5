"""Rule 2's second half: an authenticated user's From must be its own.

Through a real Postfix with SMTP AUTH (a private Dovecot), a real
redis-server holding the sender identities (the set waypost-policyd
reads too), waypost-headers with from_ownership on and waypost-dkim
after it: every accepted message must arrive signed, and python3-dkim
must verify it. The client logs in from 127.0.0.2, outside mynetworks.
"""
import os
import signal
import uuid

import pytest

from conftest import program
from harness.dovecot import Dovecot
from harness.smtp_clients import accepted, swaks
from harness.waypost import (DkimSetup, HeadersSetup, identities_file,
                             postfix_milter_settings)

HEADERS = "milters/headers/waypost-headers"
DKIM = "milters/dkim/waypost-dkim"
ALICE = "alice@example.com"
ALICE_KEY = "waypost:senders:alice@example.com"

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="runs a private Postfix as root")


@pytest.fixture
def users():
    server = Dovecot({ALICE: "secret1", "bob": "secret2"}).start()
    yield server
    server.stop()


class Relay:
    def __init__(self, workdir, keys, redis_server, postfix_factory, users,
                 sink):
        self.workdir = workdir
        self.keys = keys
        self.redis = redis_server
        self.sink = sink
        self.headers = HeadersSetup(program(HEADERS), workdir)
        self.dkim = DkimSetup(program(DKIM), workdir, keys)
        rsa = keys.generate("s1", "example.com", "rsa")
        self.dkim.write_tables([self.dkim.key_line("rsa", rsa)],
                               ["*@example.com rsa", "*@alice.example rsa"])
        self.dkim.start("internal_networks = 127.0.0.1/32\n")
        self.postfix_factory = postfix_factory
        self.users = users
        self.postfix = None

    def start(self, settings):
        """waypost-headers with these [headers] lines, then Postfix."""
        self.headers.start(
            "internal_networks = 127.0.0.1/32\n" + settings +
            f"\n[redis]\naddress = {self.redis.address}\n")
        self.postfix = self.postfix_factory({
            **postfix_milter_settings(
                f"{self.headers.milter}, {self.dkim.milter}"),
            **self.users.settings(),
            "mynetworks": "127.0.0.1/32"})
        return self

    def send(self, from_header, *, user=ALICE, password="secret1",
             extra_headers=""):
        token = "own-" + uuid.uuid4().hex
        data = (f"From: {from_header}\r\nTo: user@example.net\r\n"
                f"Subject: {token}\r\n{extra_headers}"
                f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                f"Message-ID: <{token}@example.com>\r\n\r\nbody {token}\r\n"
                ).encode()
        login = ("--auth", "PLAIN", "--auth-user", user, "--auth-password",
                 password) if user else ()
        result = swaks(self.postfix.port, data=data, sender=ALICE,
                       extra=("--local-interface",
                              "127.0.0.2" if user else "127.0.0.1", *login))
        return token, result

    def delivered(self, token):
        delivery = self.sink.find(token.encode())
        assert self.keys.verify(delivery.content) == [True]
        return delivery


@pytest.fixture
def relay(workdir, keys, redis_server, postfix_factory, users, sink):
    setup = Relay(workdir, keys, redis_server, postfix_factory, users, sink)
    yield setup
    setup.headers.stop()
    setup.dkim.stop()


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
    token, result = relay.send("someone@example.org", user=None)
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
