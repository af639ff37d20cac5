"""waypost-dkim through a real Postfix: what is signed, with which keys, and
verified by an independent verifier (python3-dkim) every time."""
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import program
from harness.metrics_scrape import (check_with_promtool, family_samples,
                                     get, sample, wait_for_sample)
from harness.milter_wire import NR_FLAGS, OFFERED, MilterConnection
from harness.ports import free_port
from harness.smtp_clients import accepted, swaks
from harness.waypost import Daemon, DkimSetup, postfix_milter_settings

DKIM = "milters/dkim/waypost-dkim"


def message(token, sender="alice@example.com", extra=b""):
    return (b"From: Alice <" + sender.encode() + b">\r\n"
            b"To: Bob <bob@example.net>\r\n"
            b"Subject: DKIM test\r\n  with a folded subject\r\n"
            b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + token.encode() + b"@example.com>\r\n"
            + extra +
            b"\r\n"
            b"Hello,\r\n\r\n  body with  spaces \t\r\nand a last line\r\n\r\n")


def new_token():
    return "dkim-" + uuid.uuid4().hex


@pytest.fixture
def dkim(workdir, keys):
    setup = DkimSetup(program(DKIM), workdir, keys)
    rsa = keys.generate("s1", "example.com", "rsa")
    ed = keys.generate("e1", "example.com", "ed25519")
    relay = keys.generate("relay", "relay.example", "rsa")
    setup.write_tables(
        [setup.key_line("rsa", rsa), setup.key_line("ed", ed),
         setup.key_line("relay", relay)],
        ["*@example.com rsa", "*@example.com ed"])
    yield setup
    setup.stop()


@pytest.fixture
def relay(dkim, postfix_factory):
    return postfix_factory(postfix_milter_settings(dkim.milter))


def send(postfix, token, **options):
    result = swaks(postfix.port, data=message(token, **{
        k: v for k, v in options.items() if k in ("sender", "extra")}),
        sender=options.get("sender", "alice@example.com"),
        extra=options.get("swaks", ()))
    return result


def signatures(delivery):
    return delivery.header_values("DKIM-Signature")


def tags(signature):
    return dict(part.strip().split("=", 1) for part in
                "".join(signature.split()).split(";") if "=" in part)


def test_internal_mail_is_signed_with_rsa_and_ed25519(dkim, relay, sink,
                                                      keys):
    dkim.start()
    token = new_token()
    assert accepted(send(relay, token))
    delivery = sink.find(token.encode())
    found = signatures(delivery)
    assert [tags(s)["a"] for s in found] == ["rsa-sha256", "ed25519-sha256"]
    assert keys.verify(delivery.content) == [True, True]
    first = tags(found[0])
    assert first["d"] == "example.com" and first["s"] == "s1"
    assert first["c"] == "relaxed/relaxed"
    assert "x" not in first
    assert first["h"].split(":")[:2] == ["from", "from"], "From oversigned"
    assert "date:date" in first["h"] and "reply-to" in first["h"]
    # Folded at 78 columns, as it is on the wire.
    for line in delivery.headers.split(b"\r\n"):
        if line.startswith(b"DKIM-Signature") or line.startswith(b"\t"):
            assert len(line) <= 78, line
    dkim.daemon.wait_for_log(
        "signed: d=example.com s=s1 a=rsa-sha256 h=5; d=example.com s=e1 "
        "a=ed25519-sha256 h=5")
    queue_id = relay.wait_for_log(r"postfix/smtpd\[\d+\]: ([0-9A-F]+): "
                                  r"client=").group(1)
    assert f"{queue_id}: signed: " in dkim.daemon.read_log()


def test_sendmail_submission_is_signed(dkim, relay, sink, keys):
    dkim.start()
    token = new_token()
    result = subprocess.run(
        ["sendmail", "-f", "alice@example.com", "bob@example.net"],
        input=message(token).replace(b"\r\n", b"\n"),
        env={**os.environ, "MAIL_CONFIG": relay.config_directory},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert result.returncode == 0, result.stdout
    delivery = sink.find(token.encode(), timeout=40)
    assert keys.verify(delivery.content) == [True, True]


def test_external_client_is_not_signed(dkim, relay, sink):
    dkim.start("internal_networks = 127.0.0.1/32\n")
    token = new_token()
    assert accepted(send(relay, token,
                         swaks=("--local-interface", "127.0.0.2")))
    delivery = sink.find(token.encode())
    assert signatures(delivery) == []
    queue_id = relay.wait_for_log(r"postfix/smtpd\[\d+\]: ([0-9A-F]+): "
                                  r"client=\S+\[127\.0\.0\.2\]").group(1)
    dkim.daemon.wait_for_log(f"{queue_id}: not signing: client 127.0.0.2 is "
                             "neither authenticated nor in internal_networks")


@pytest.fixture
def auth_relay(dkim, postfix_factory, dovecot):
    """A relay where 127.0.0.2 is not in mynetworks: it must log in."""
    return postfix_factory({**postfix_milter_settings(dkim.milter),
                            **dovecot.settings(),
                            "mynetworks": "127.0.0.1/32"})


def send_from_outside(relay, token, *login):
    return send(relay, token, swaks=("--local-interface", "127.0.0.2",
                                     *login))


ALICE = ("--auth", "PLAIN", "--auth-user", "alice@example.com",
         "--auth-password", "secret1")


def test_authenticated_client_is_signed(dkim, auth_relay, sink, keys):
    dkim.start("internal_networks = 127.0.0.1/32\n")
    token = new_token()
    result = send_from_outside(auth_relay, token, *ALICE)
    assert "235 2.7.0 Authentication successful" in result.stdout.decode()
    assert accepted(result)
    delivery = sink.find(token.encode())
    assert keys.verify(delivery.content) == [True, True]
    dkim.daemon.wait_for_log("signed: d=example.com s=s1")
    # Without the login the same client may not even relay.
    result = send_from_outside(auth_relay, new_token())
    assert not accepted(result)
    assert "Relay access denied" in result.stdout.decode()


def test_sign_authenticated_no_leaves_logged_in_client_unsigned(
        dkim, auth_relay, sink):
    dkim.start("internal_networks = 127.0.0.1/32\n"
               "sign_authenticated = no\n")
    token = new_token()
    assert accepted(send_from_outside(auth_relay, token, *ALICE))
    delivery = sink.find(token.encode())
    assert signatures(delivery) == []
    dkim.daemon.wait_for_log("not signing: client 127.0.0.2 is "
                             "authenticated, but sign_authenticated = no")


def test_milter_down_means_tempfail_and_nothing_unsigned(dkim, relay, sink):
    dkim.start()
    assert dkim.daemon.stop() == 0
    token = new_token()
    result = send(relay, token)
    output = result.stdout.decode()
    assert not accepted(result)
    assert "<** 451 4.7.1" in output or "<** 421 4.3.0" in output or \
        "<** 4" in output, output
    # Refused: Postfix took nothing it could deliver later.
    assert not sink.holds(token.encode())


@pytest.mark.parametrize("canonicalization", [
    "relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple"])
def test_every_canonicalization_verifies(dkim, relay, sink, keys,
                                         canonicalization):
    dkim.start(f"canonicalization = {canonicalization}\n")
    token = new_token()
    assert accepted(send(relay, token))
    delivery = sink.find(token.encode())
    assert [tags(s)["c"] for s in signatures(delivery)] == \
        [canonicalization] * 2
    assert keys.verify(delivery.content) == [True, True]


def test_signature_ttl_sets_x(dkim, relay, sink, keys):
    dkim.start("signature_ttl = 7d\n")
    token = new_token()
    assert accepted(send(relay, token))
    delivery = sink.find(token.encode())
    found = tags(signatures(delivery)[0])
    assert int(found["x"]) - int(found["t"]) == 7 * 86400
    assert keys.verify(delivery.content) == [True, True]


LONG_LINES = b"".join(b"%c" % letter * length + b"\r\n" for letter, length
                     in ((65, 998), (66, 999), (67, 3000)))


@pytest.mark.parametrize("canonicalization", ["relaxed/relaxed",
                                              "simple/simple"])
def test_long_lines_are_signed_as_postfix_breaks_them(dkim, relay, sink,
                                                      keys, canonicalization):
    dkim.start(f"canonicalization = {canonicalization}\n")
    token = new_token()
    assert accepted(swaks(relay.port, data=message(token).replace(
        b"and a last line\r\n", LONG_LINES)))
    delivery = sink.find(token.encode())
    # Postfix broke them on the way out: 998 octets, then CRLF SP.
    assert b"\r\n" + b"A" * 998 + b"\r\n" + b"B" * 998 + b"\r\n B\r\n" + \
        b"C" * 998 + b"\r\n " + b"C" * 997 + b"\r\n " in delivery.body
    assert keys.verify(delivery.content) == [True, True]


def test_long_lines_hashed_whole_fail_and_limit_one_is_refused(
        dkim, relay, sink, keys):
    dkim.start("smtp_line_length_limit = 0\n")
    token = new_token()
    assert accepted(swaks(relay.port, data=message(token).replace(
        b"and a last line\r\n", LONG_LINES)))
    delivery = sink.find(token.encode())
    assert keys.verify(delivery.content) == [False, False]
    dkim.stop()
    status, _, errors = Daemon(program(DKIM), dkim.directory,
                               dkim.config_text("smtp_line_length_limit = "
                                                "1\n"), "check").check()
    assert status == 1
    assert "smtp_line_length_limit: 1: expected 0 (no limit) or at least 2" \
        in errors


def test_fallback_key_signs_foreign_domains(dkim, relay, sink, keys):
    dkim.start("fallback_key = relay\n")
    token = new_token()
    assert accepted(send(relay, token, sender="app@customer.example"))
    delivery = sink.find(token.encode())
    found = signatures(delivery)
    assert len(found) == 1
    assert tags(found[0])["d"] == "relay.example"
    assert keys.verify(delivery.content) == [True]


def test_no_key_and_no_fallback_passes_unsigned(dkim, relay, sink):
    dkim.start()
    token = new_token()
    assert accepted(send(relay, token, sender="app@customer.example"))
    assert signatures(sink.find(token.encode())) == []
    dkim.daemon.wait_for_log("not signing: no SigningTable entry for "
                             "app@customer.example and no fallback_key")


@pytest.mark.parametrize("on_error", ["tempfail", "accept"])
def test_two_from_headers(dkim, relay, sink, on_error):
    dkim.start(f"on_error = {on_error}\n")
    token = new_token()
    result = send(relay, token, extra=b"From: mallory@example.com\r\n")
    if on_error == "tempfail":
        assert "<** 451 4.7.0 Message could not be DKIM-signed" in \
            result.stdout.decode()
        assert not sink.holds(token.encode())
        dkim.daemon.wait_for_log("not signed: more than one From header; "
                                 "temporary failure (on_error = tempfail)")
    else:
        assert accepted(result)
        assert signatures(sink.find(token.encode())) == []
        dkim.daemon.wait_for_log("not signed: more than one From header; "
                                 "passed unsigned (on_error = accept)")


def test_reload_swaps_the_key_set(dkim, relay, sink, keys):
    dkim.start()
    dkim.write_tables(
        [dkim.key_line("rsa", keys.keys["s1._domainkey.example.com."])],
        ["*@example.com rsa"])
    dkim.daemon.signal(signal.SIGHUP)
    dkim.daemon.wait_for_log("key set loaded: 1 keys")
    token = new_token()
    assert accepted(send(relay, token))
    delivery = sink.find(token.encode())
    assert [tags(s)["s"] for s in signatures(delivery)] == ["s1"]
    assert keys.verify(delivery.content) == [True]


def test_changed_key_file_reloads_by_itself(dkim, relay, sink, keys):
    dkim.start()
    loaded = {path: os.stat(path).st_mtime_ns
              for path in (dkim.key_table, dkim.signing_table)}
    new = keys.generate("e2", "example.com", "ed25519")
    dkim.write_tables(
        [dkim.key_line("rsa", keys.keys["s1._domainkey.example.com."]),
         dkim.key_line("ed", new)],
        ["*@example.com rsa", "*@example.com ed"])
    # Rewritten within the clock's tick, a file keeps its mtime: move it.
    for path, mtime in loaded.items():
        os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    dkim.daemon.wait_for_log("a table or key file changed", timeout=10)
    dkim.daemon.wait_for_log("key set loaded: 2 keys")
    token = new_token()
    assert accepted(send(relay, token))
    delivery = sink.find(token.encode())
    assert [tags(s)["s"] for s in signatures(delivery)] == ["s1", "e2"]
    assert keys.verify(delivery.content) == [True, True]


def test_broken_reload_keeps_the_keys(dkim, relay, sink, keys):
    dkim.start()
    with open(dkim.key_table, "a") as f:
        f.write("broken example.com:x1:/nonexistent/key.pem\n")
    dkim.daemon.signal(signal.SIGHUP)
    dkim.daemon.wait_for_log("reload of")
    assert "/nonexistent/key.pem: cannot open" in dkim.daemon.read_log()
    token = new_token()
    assert accepted(send(relay, token))
    assert keys.verify(sink.find(token.encode()).content) == [True, True]


def test_the_key_set_is_built_once_per_load(dkim, keys):
    """Each load reads the keys once: the warning of a short key comes
    once at start and once per reload, not once for the check and once
    for the key set."""
    short = keys.generate("short", "example.com", "rsa", bits=1024)
    dkim.write_tables([dkim.key_line("short", short)],
                      ["*@example.com short"])
    warning = "key short has 1024 bits"
    dkim.start()
    dkim.daemon.wait_for_log("key set loaded: 1 keys")
    assert dkim.daemon.read_log().count(warning) == 1
    dkim.daemon.signal(signal.SIGHUP)
    dkim.daemon.wait_for_log("key set loaded: 1 keys", count=2)
    assert dkim.daemon.read_log().count(warning) == 2


def test_check_reports_table_errors(dkim):
    dkim.write_tables(["rsa example.com:s1:/nonexistent/key.pem"],
                      ["*@example.com rsa", "*@example.org nokey"])
    status, _, errors = Daemon(program(DKIM), dkim.directory,
                               dkim.config_text(), "check").check()
    assert status == 1
    assert f"{dkim.key_table}:1: /nonexistent/key.pem: cannot open" in errors
    assert f"{dkim.signing_table}:2: no key named \"nokey\"" in errors \
        or "cannot open" in errors


def test_stop_finishes_the_message_in_flight_and_refuses_the_next(dkim):
    """SIGTERM in the middle of a message: a message that starts while
    it is in flight (on another MTA connection, opened before the stop)
    gets 451 4.3.2, the one in flight is still signed, then the daemon
    exits by itself."""
    dkim.start("stop_timeout = 30s\n")
    # A message begins with its first header (the milter skips MAIL
    # FROM). Without SMFIP_NR_HDR it answers each header: once it has,
    # the message is in flight for sure.
    first = MilterConnection(dkim.socket, offered=OFFERED & ~NR_FLAGS["L"])
    second = MilterConnection(dkim.socket)
    first.connect_from()
    second.connect_from()
    headers = [("From", " Alice <alice@example.com>"), ("Subject", " stop")]
    first.start_message("AAA111", headers)
    dkim.daemon.signal(signal.SIGTERM)
    dkim.daemon.wait_for_log("stopping on signal")

    second.start_message("BBB222", headers)
    replies = second.finish_message()
    assert [command for command, _ in replies] == ["y"], replies
    assert replies[0][1].startswith(b"451 4.3.2 "), replies
    assert dkim.daemon.process.poll() is None, "exited with work in flight"

    try:
        replies = first.finish_message()
    except ConnectionError as error:
        raise AssertionError(f"{error}; the log:\n"
                             f"{dkim.daemon.read_log()}") from error
    assert replies[-1][0] == "c", replies
    inserted = [data for command, data in replies if command == "i"]
    assert len(inserted) == 2 and b"DKIM-Signature" in inserted[0]
    dkim.daemon.wait_for_log("AAA111: signed: d=example.com s=s1")
    assert dkim.daemon.process.wait(timeout=15) == 0
    assert "abandoning" not in dkim.daemon.read_log()
    first.close()
    second.close()


def test_stop_timeout_abandons_a_stuck_message(dkim):
    dkim.start("stop_timeout = 500ms\n")
    # Answered headers: in flight once start_message() returns.
    milter = MilterConnection(dkim.socket, offered=OFFERED & ~NR_FLAGS["L"])
    milter.connect_from()
    milter.start_message("CCC333", [("From", " alice@example.com")])
    started = time.monotonic()
    dkim.daemon.signal(signal.SIGTERM)
    assert dkim.daemon.process.wait(timeout=15) == 0
    assert time.monotonic() - started < 10
    assert "stop timeout: abandoning 1 messages in flight" \
        in dkim.daemon.read_log()
    milter.close()


def signed(domain, algorithm):
    return ("waypost_dkim_signatures_total"
            f'{{domain="{domain}",algorithm="{algorithm}"}}')


def unsigned(reason):
    return f'waypost_dkim_unsigned_total{{reason="{reason}"}}'


def messages(result):
    return f'waypost_milter_messages_total{{result="{result}"}}'


UNSIGNED_REASONS = ["shutting_down", "not_ready", "untrusted_client",
                    "authenticated_client", "header_limit", "no_from",
                    "multiple_from", "bad_from", "no_key", "signing_error",
                    "mta_refused", "connection_lost"]


def test_metrics_count_signatures_and_unsigned_mail(dkim, postfix_factory,
                                                    sink, keys):
    """Every configured domain and algorithm, every reason and result at
    0 in the first scrape; then 3 messages signed with RSA, 2 with
    Ed25519 and 1 left unsigned for want of a key move exactly those."""
    org = keys.generate("e1", "example.org", "ed25519")
    dkim.write_tables(
        [dkim.key_line("rsa", keys.keys["s1._domainkey.example.com."]),
         dkim.key_line("ed", org),
         dkim.key_line("any", keys.keys["relay._domainkey.relay.example."],
                       domain="%")],
        ["*@example.com rsa", "*@example.org ed"])
    port = free_port()
    dkim.start(f"metrics = inet:{port}@127.0.0.1\n")
    status, _, before = get(port, "/metrics")
    assert status == 200
    check_with_promtool(before)
    assert family_samples(before, "waypost_dkim_signatures_total") == {
        signed("example.com", "rsa-sha256"): 0,
        signed("example.org", "ed25519-sha256"): 0,
        signed("%", "rsa-sha256"): 0}
    assert family_samples(before, "waypost_dkim_unsigned_total") == {
        unsigned(reason): 0 for reason in UNSIGNED_REASONS}
    for result in ("accept", "reject", "tempfail", "discard"):
        assert sample(before, messages(result)) == 0
    for name in ("waypost_milter_connections_total",
                 "waypost_milter_connections_open",
                 "waypost_milter_message_duration_seconds_count",
                 'waypost_dkim_key_reloads_total{result="ok"}',
                 'waypost_dkim_key_reloads_total{result="error"}'):
        assert sample(before, name) == 0, name
    assert get(port, "/readyz")[::2] == (200, "ready\n")

    # Postfix starts after the milter: the SMTP session of its start-up
    # probe (harness/ports.py) opens a milter connection, counted here.
    relay = postfix_factory(postfix_milter_settings(dkim.milter))
    wait_for_sample(port, "waypost_milter_connections_total", 1)
    wait_for_sample(port, "waypost_milter_connections_open", 0)
    senders = ["alice@example.com"] * 3 + ["bob@example.org"] * 2 + \
        ["app@customer.example"]
    tokens = [new_token() for _ in senders]
    for sender, token in zip(senders, tokens):
        assert accepted(send(relay, token, sender=sender))
    for token, count in zip(tokens, [1] * 5 + [0]):
        assert len(signatures(sink.find(token.encode()))) == count

    # Postfix closes its milter connection with the SMTP session.
    after = wait_for_sample(port, "waypost_milter_connections_open", 0)
    check_with_promtool(after)
    assert family_samples(after, "waypost_dkim_signatures_total") == {
        signed("example.com", "rsa-sha256"): 3,
        signed("example.org", "ed25519-sha256"): 2,
        signed("%", "rsa-sha256"): 0}
    assert family_samples(after, "waypost_dkim_unsigned_total") == {
        unsigned(reason): 1 if reason == "no_key" else 0
        for reason in UNSIGNED_REASONS}
    assert sample(after, messages("accept")) == 6
    for result in ("reject", "tempfail", "discard"):
        assert sample(after, messages(result)) == 0
    assert sample(after, "waypost_milter_connections_total") == 1 + 6
    assert sample(after,
                  "waypost_milter_message_duration_seconds_count") == 6
    assert sample(after,
                  'waypost_milter_message_duration_seconds_bucket{le="+Inf"}'
                  ) == 6
    assert "@" not in "".join(line for line in after.splitlines()
                              if line.startswith("waypost_"))


def test_readiness_waits_for_a_key_and_key_reloads_count(dkim, keys):
    """An empty KeyTable loads, but nothing can sign: /readyz says so
    until a key file change brings a key, which counts a key reload."""
    dkim.write_tables([], [])
    port = free_port()
    dkim.start(f"metrics = inet:{port}@127.0.0.1\n")
    assert get(port, "/readyz")[0] == 503
    assert "keys" in get(port, "/readyz")[2]
    assert get(port, "/healthz")[0] == 200
    mtime = os.stat(dkim.key_table).st_mtime_ns
    dkim.write_tables(
        [dkim.key_line("rsa", keys.keys["s1._domainkey.example.com."])],
        ["*@example.com rsa"])
    os.utime(dkim.key_table, ns=(mtime + 10**9, mtime + 10**9))
    body = wait_for_sample(port, 'waypost_dkim_key_reloads_total'
                                 '{result="ok"}', 1)
    assert sample(body, 'waypost_dkim_key_reloads_total{result="error"}') \
        == 0
    assert sample(body, signed("example.com", "rsa-sha256")) == 0
    assert get(port, "/readyz")[::2] == (200, "ready\n")
