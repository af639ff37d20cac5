"""The Postfix fragments of contrib/postfix, each run as written.

For each of the three ways to use Waypost (a smarthost for internal
applications, authenticated submission on 587, signing added to a relay
that already works) a private Postfix takes the fragment's lines with all
three Waypost daemons behind it (harness/relay.py), and real mail goes
through it with swaks and sendmail(1): what should arrive normalized and
signed does, with every signature verified by python3-dkim; what should
be refused or deferred is, with the code the fragments promise. Mail to
the large providers goes through their own transports (providers.*).
Submission is also on 465 with implicit TLS; outbound.* gives TLS towards
every next hop offering it, TLS required where its policy says, and a
backup route.
"""
import grp
import os
import socket
import stat
import subprocess
import sys
import uuid

import pytest

from conftest import BUILD_DIR
from harness import ports, tempdir
from harness.dovecot import Dovecot
from harness.relay import WholeRelay, fragment, main_cf, make_certificate
from harness.sink import Sink
from harness.smtp_clients import accepted, swaks

ALICE = "alice@example.com"


def legacy_message(token, sender="billing@example.com",
                   to="customer@example.net"):
    """As an old application writes it: no Date, no Message-ID, an
    X-Mailer that leaks what it runs."""
    return (f"From: Billing <{sender}>\r\nTo: {to}\r\n"
            f"Subject: invoice {token}\r\nX-Mailer: LegacyERP 4.2\r\n\r\n"
            f"Dear customer,\r\n\r\ninvoice {token}.\r\n").encode()


def new_token():
    return "setup-" + uuid.uuid4().hex


def arrived_clean_and_signed(relay, token, message):
    """The delivery of token: normalized, signed twice (python3-dkim
    checks both), its body as sent."""
    delivery = relay.sink.find(token.encode(), timeout=40)
    assert len(delivery.header_values("Message-ID")) == 1
    assert len(delivery.header_values("Date")) == 1
    assert delivery.header_values("X-Mailer") == []
    assert relay.keys.verify(delivery.content) == [True, True]
    assert delivery.body == message.split(b"\r\n\r\n", 1)[1]
    return delivery


@pytest.fixture
def whole_relay(sink, redis_server):
    relays = []

    def make(setup, next_hop=None, **options):
        """next_hop: another sink than the fixture's."""
        relay = WholeRelay(BUILD_DIR, setup, next_hop or sink, redis_server,
                           **options)
        relays.append(relay)
        return relay.start()

    yield make
    for relay in relays:
        relay.stop()


def test_smarthost_relays_normalized_and_signed_within_quota(whole_relay,
                                                             redis_server):
    relay = whole_relay("smarthost", limits={
        "hourly": "subject = sender\nwindow = 1h\nmax = 1000"})
    token = new_token()
    message = legacy_message(token)
    assert accepted(swaks(relay.postfix.port, sender="billing@example.com",
                          to="customer@example.net", data=message))
    arrived_clean_and_signed(relay, token, message)
    relay.headers.daemon.wait_for_log("added Message-ID")

    # Mail a cron job hands to sendmail(1) goes through non_smtpd_milters.
    token = new_token()
    message = legacy_message(token)
    result = subprocess.run(
        ["sendmail", "-f", "billing@example.com", "customer@example.net"],
        input=message.replace(b"\r\n", b"\n"),
        env={**os.environ, "MAIL_CONFIG": relay.postfix.config_directory},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert result.returncode == 0, result.stdout
    arrived_clean_and_signed(relay, token, message)

    # A client outside mynetworks may not relay: waypost-policyd, first in
    # smtpd_relay_restrictions, says so.
    result = swaks(relay.postfix.port, to="customer@example.net",
                   data=legacy_message(new_token()),
                   extra=("--local-interface", "127.0.0.2"))
    assert not accepted(result)
    assert "554 5.7.1" in result.stdout.decode()
    relay.policy.daemon.wait_for_log("Relay access denied")

    # A plan of 3 messages an hour for one sender: the 4th waits (4.7.1)
    # in the application's queue, charged at END-OF-DATA.
    redis_server.client.hset("waypost:override:{quota@example.com}",
                             "hourly", 3)
    for number in range(3):
        assert accepted(swaks(relay.postfix.port, sender="quota@example.com",
                              data=legacy_message(new_token(),
                                                  "quota@example.com")))
    result = swaks(relay.postfix.port, sender="quota@example.com",
                   data=legacy_message(new_token(), "quota@example.com"))
    assert not accepted(result)
    assert "<** 450 4.7.1" in result.stdout.decode(), result.stdout.decode()


@pytest.mark.parametrize("setup", ["smarthost", "signing-only"])
def test_providers_get_their_own_transport(whole_relay, setup):
    relay = whole_relay(setup, limits={
        "hourly": "subject = sender\nwindow = 1h\nmax = 1000"})
    for provider, domain in (("google", "gmail.com"),
                             ("outlook", "hotmail.com"),
                             ("yahoo", "yahoo.com")):
        token = new_token()
        message = legacy_message(token, to=f"someone@{domain}")
        assert accepted(swaks(relay.postfix.port, to=f"someone@{domain}",
                              data=message))
        arrived_clean_and_signed(relay, token, message)
        relay.postfix.wait_for_log(rf"postfix/{provider}/smtp\[\d+\]: \w+: "
                                   rf"to=<someone@{domain}>.*status=sent")
    settings = main_cf(fragment("providers.main.cf"))
    result = subprocess.run(
        ["postconf", "-c", relay.postfix.config_directory, "-h",
         "yahoo_destination_rate_delay", "google_destination_concurrency_"
         "limit"], stdout=subprocess.PIPE, text=True, check=True)
    assert result.stdout.split() == [
        settings["yahoo_destination_rate_delay"],
        settings["google_destination_concurrency_limit"]]


@pytest.fixture
def users():
    server = Dovecot({ALICE: "secret1"}).start()
    yield server
    server.stop()


def submit(relay, sender, *extra, token=None, port=None):
    """port: the submission service's on 587 unless given."""
    token = token or new_token()
    message = legacy_message(token, sender)
    result = swaks(port or relay.submission_port, sender=sender,
                   data=message,
                   extra=("--local-interface", "127.0.0.2", *extra))
    return token, message, result


LOGIN = ("--tls", "--auth", "PLAIN", "--auth-user", ALICE,
         "--auth-password", "secret1")


def test_submission_requires_tls_and_login_and_owned_senders(
        whole_relay, users, redis_server):
    relay = whole_relay("submission", dovecot=users, limits={
        "hourly": "subject = sasl_username\nwindow = 1h\nmax = 1000"},
        policy_extra="check_sender_ownership = yes\n")
    redis_server.client.sadd(f"waypost:senders:{{{ALICE}}}", ALICE)

    _, _, result = submit(relay, ALICE)
    assert not accepted(result)
    assert "530 5.7.0 Must issue a STARTTLS command first" in \
        result.stdout.decode()
    _, _, result = submit(relay, ALICE, "--tls")
    assert not accepted(result)
    assert "554 5.7.1" in result.stdout.decode()

    token, message, result = submit(relay, ALICE, *LOGIN)
    output = result.stdout.decode()
    assert "235 2.7.0 Authentication successful" in output
    assert accepted(result), output
    arrived_clean_and_signed(relay, token, message)

    _, _, result = submit(relay, "ceo@example.com", *LOGIN)
    assert not accepted(result)
    assert (f"5.7.1 <ceo@example.com>: Sender address rejected: Sender "
            f"address <ceo@example.com> not owned by user {ALICE}"
            ) in result.stdout.decode(), result.stdout.decode()


def test_submissions_on_465_is_tls_from_the_first_byte(
        whole_relay, users, redis_server):
    """The "submissions" service (smtpd_tls_wrappermode): swaks with
    implicit TLS (--tlsc) and a login is accepted, normalized and signed,
    under the same restrictions as 587; a client speaking plain text gets
    no greeting, and is cut off."""
    relay = whole_relay("submission", dovecot=users, limits={
        "hourly": "subject = sasl_username\nwindow = 1h\nmax = 1000"},
        policy_extra="check_sender_ownership = yes\n")
    redis_server.client.sadd(f"waypost:senders:{{{ALICE}}}", ALICE)
    implicit = ("--tlsc", *LOGIN[1:])
    token, message, result = submit(relay, ALICE, *implicit,
                                    port=relay.submissions_port)
    output = result.stdout.decode()
    assert "TLS started" in output and "<~  220 " in output, output
    assert "235 2.7.0 Authentication successful" in output
    assert accepted(result), output
    arrived_clean_and_signed(relay, token, message)
    relay.postfix.wait_for_log(r"postfix/submissions/smtpd\[\d+\]: \w+: "
                               rf"client=\S+, sasl_method=PLAIN, "
                               rf"sasl_username={ALICE}")

    # TLS but no login, or a sender not owned: refused as on 587.
    _, _, result = submit(relay, ALICE, "--tlsc",
                          port=relay.submissions_port)
    assert not accepted(result)
    assert "554 5.7.1" in result.stdout.decode()
    _, _, result = submit(relay, "ceo@example.com", *implicit,
                          port=relay.submissions_port)
    assert not accepted(result)
    assert "not owned by user" in result.stdout.decode()

    # Plain text: no "220" greeting; the TLS handshake fails on it and
    # smtpd closes the connection.
    received = b""
    with socket.create_connection(("127.0.0.1", relay.submissions_port),
                                  timeout=30) as peer:
        peer.sendall(b"EHLO plain.example\r\n")
        try:
            while chunk := peer.recv(4096):
                received += chunk
        except ConnectionResetError:
            pass  # closed with our EHLO unread: as good as EOF
    assert b"220" not in received, received
    relay.postfix.wait_for_log(r"postfix/submissions/smtpd\[\d+\]: "
                               r"SSL_accept error from")


def outbound_relay(whole_relay, sink, next_hop_port=None, backup=None,
                   encrypt_to=None):
    """A smarthost relay with outbound.main.cf: its next hop next_hop_port
    (the sink's by default); the backup relay on the port of backup (a
    port nothing listens on by default), which outbound.tls-policy
    requires TLS of; and its partner.example standing for the next hop
    [127.0.0.1]:encrypt_to (a port nothing listens on by default)."""
    backup_port = backup.port if backup else ports.free_port()
    hop = f"[127.0.0.1]:{encrypt_to or ports.free_port()}"
    return whole_relay("smarthost", next_hop=sink,
                       next_hop_port=next_hop_port, outbound={
                           "fallback_port": backup_port,
                           "tls_policy": {
                               "partner.example": hop,
                               "[backup.example.net]:25":
                                   f"[127.0.0.1]:{backup_port}"}},
                       limits={"hourly": "subject = sender\nwindow = 1h\n"
                                         "max = 1000"})


@pytest.fixture
def tls_sink():
    """A sink that offers STARTTLS, with a self-signed certificate."""
    directory = tempdir.make_dir("tls-sink")
    server = Sink(make_certificate(directory)).start()
    yield server
    server.stop()
    tempdir.remove_dir(directory)


def test_outbound_tls_whenever_the_next_hop_offers_it(whole_relay, tls_sink):
    """smtp_tls_security_level = may: a next hop offering STARTTLS gets
    the mail over TLS, and the log says so."""
    relay = outbound_relay(whole_relay, tls_sink)
    token = new_token()
    message = legacy_message(token)
    assert accepted(swaks(relay.postfix.port, sender="billing@example.com",
                          data=message))
    delivery = arrived_clean_and_signed(relay, token, message)
    assert delivery.tls
    relay.postfix.wait_for_log(
        rf"TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:"
        rf"{tls_sink.port}: TLSv1\.[23]")


def kept_back_for_tls(relay, sink):
    """A message relay accepts is not sent to sink, which offers no
    STARTTLS where the TLS policy requires it: deferred, in the queue."""
    token = new_token()
    assert accepted(swaks(relay.postfix.port, sender="billing@example.com",
                          data=legacy_message(token)))
    relay.postfix.wait_for_log(
        r"TLS is required, but was not offered by host "
        r"127\.0\.0\.1\[127\.0\.0\.1\]")
    relay.postfix.wait_for_log(r"to=<user@example\.net>.*status=deferred")
    assert not sink.holds(token.encode())


def test_outbound_encrypt_defers_towards_a_server_without_tls(
        whole_relay, sink):
    """outbound.tls-policy's "encrypt": towards a next hop that offers no
    STARTTLS (the sink) the mail is not sent, and waits in the queue (the
    backup relay, which must have TLS too, does not answer here)."""
    kept_back_for_tls(outbound_relay(whole_relay, sink, encrypt_to=sink.port),
                      sink)


def test_outbound_backup_route_when_the_next_hop_does_not_answer(
        whole_relay, sink, tls_sink):
    """smtp_fallback_relay: the next hop refuses connections; the mail
    goes to the backup relay at once, signed, over the TLS its policy
    requires. A backup without TLS gets nothing: mail is never sent in
    clear to it."""
    relay = outbound_relay(whole_relay, tls_sink,
                           next_hop_port=ports.free_port(), backup=tls_sink)
    token = new_token()
    message = legacy_message(token)
    assert accepted(swaks(relay.postfix.port, sender="billing@example.com",
                          data=message))
    assert arrived_clean_and_signed(relay, token, message).tls
    relay.postfix.wait_for_log(
        rf"relay=127\.0\.0\.1\[127\.0\.0\.1\]:{tls_sink.port},.*"
        rf"status=sent")

    kept_back_for_tls(outbound_relay(whole_relay, sink,
                                     next_hop_port=ports.free_port(),
                                     backup=sink), sink)


def test_signing_only_keeps_the_restrictions_and_tempfails_without_milter(
        whole_relay):
    settings = main_cf(fragment("signing-only.main.cf"))
    assert [name for name in settings if "restrictions" in name] == []
    relay = whole_relay("signing-only")
    token = new_token()
    message = legacy_message(token)
    assert accepted(swaks(relay.postfix.port, data=message))
    arrived_clean_and_signed(relay, token, message)

    # waypost-dkim down: the client is told to come back, nothing leaves
    # unsigned; back up, the same message goes through signed.
    relay.dkim.daemon.stop()
    token = new_token()
    message = legacy_message(token)
    result = swaks(relay.postfix.port, data=message)
    assert not accepted(result)
    assert "<** 451 4.7.1" in result.stdout.decode(), result.stdout.decode()
    assert not relay.sink.holds(token.encode())
    relay.dkim.daemon.start()
    assert accepted(swaks(relay.postfix.port, data=message))
    arrived_clean_and_signed(relay, token, message)


def test_the_policy_socket_is_for_postfix_alone(whole_relay, sink):
    """contrib/ puts waypost-policyd on a unix socket in Postfix's group,
    which Postfix reaches from the fragments as written; another local
    user cannot connect to it and forge requests, as it could to a TCP
    port (spending others' quotas, tripping the compromise detector)."""
    with open(os.path.join(BUILD_DIR, "contrib", "waypost.conf")) as f:
        example = f.read()
    policy = example[example.index("[policy]"):]
    assert "socket = unix:/run/waypost/policy.sock\n" in policy
    assert "socket_group = postfix\n" in policy
    relay = whole_relay("smarthost", limits={
        "hourly": "subject = sender\nwindow = 1h\nmax = 1000"})
    assert relay.policy.service == f"unix:{relay.directory}/policy.sock"
    token = new_token()
    message = legacy_message(token)
    assert accepted(swaks(relay.postfix.port, sender="billing@example.com",
                          to="customer@example.net", data=message))
    sink.find(token.encode(), timeout=40)
    assert relay.redis.client.hget("waypost:limit:hourly:{billing@example.com}",
                                   "sum") == b"1"
    status = os.stat(relay.policy.socket)
    assert stat.S_IMODE(status.st_mode) == 0o660
    assert status.st_gid == grp.getgrnam("postfix").gr_gid
    connect = ("import socket; s = socket.socket(socket.AF_UNIX); "
               f"s.connect({relay.policy.socket!r})")
    result = subprocess.run([sys.executable, "-c", connect], user="daemon",
                            group="daemon", extra_groups=[], cwd="/",
                            stderr=subprocess.PIPE, text=True, timeout=30)
    assert result.returncode != 0
    assert "PermissionError" in result.stderr, result.stderr
    result = subprocess.run([sys.executable, "-c", connect], user="daemon",
                            group="postfix", extra_groups=[], cwd="/",
                            stderr=subprocess.PIPE, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_a_suppressed_recipient_is_refused_at_rcpt_through_postfix(
        whole_relay, sink):
    """The smarthost fragments as written: a recipient suppressed for the
    sending application is refused at RCPT with 550 5.1.1 and the reason,
    the other recipient of the same message is delivered, and nothing is
    charged for the refused one; a recipient suppressed for another
    tenant is delivered."""
    relay = whole_relay("smarthost", limits={
        "recipients": "subject = sender\ncount = recipients\nwindow = 1h\n"
                      "max = 1000"})
    r = relay.redis.client
    r.set("waypost:suppressed:{billing@example.com}:gone@example.net",
          "1764547200 bounced: 550 5.1.1 user unknown", ex=3600)
    r.set("waypost:suppressed:{other@example.com}:kept@example.net",
          "1764547200 bounced: 550 5.1.1 user unknown", ex=3600)
    token = new_token()
    result = swaks(relay.postfix.port, sender="billing@example.com",
                   to="Gone@Example.NET,kept@example.net",
                   data=legacy_message(token))
    output = result.stdout.decode()
    assert accepted(result), output
    assert ("<** 550 5.1.1 <Gone@Example.NET>: Recipient address rejected: "
            "recipient suppressed since 2025-12-01 (bounced: 550 5.1.1 user "
            "unknown)") in output, output
    sink.find(token.encode(), timeout=40)
    relay.policy.daemon.wait_for_log(
        "check suppression: <gone@example.net> suppressed for tenant "
        "billing@example.com (bounced: 550 5.1.1 user unknown)")
    assert r.hget("waypost:limit:recipients:{billing@example.com}",
                  "sum") == b"1"
