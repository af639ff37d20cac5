"""Awkward messages through the whole relay, each checked on arrival.

One relay for the module (harness/relay.py: the smarthost fragments of
contrib/postfix, waypost-headers, waypost-dkim with an RSA-2048 and an
Ed25519 key, waypost-policyd with Redis) takes every message of
tests/dkim/corpus and of relay_corpus.py from swaks over SMTP, as an
internal application sends it. Each message the relay must deliver
arrives with both signatures valid for python3-dkim and its body as
sent, byte for byte, apart from what SMTP and Postfix do to line ends
(a bare LF goes out as CRLF, a last line gets its CRLF, a line over 998
octets goes out broken, which waypost-dkim signs as it will be sent);
each it must refuse is refused with its 5xx text and never reaches the
sink.
"""
import os
import re
import uuid

import pytest

from conftest import BUILD_DIR, SOURCE_DIR
from harness.redis_server import RedisServer
from harness.relay import WholeRelay
from harness.sink import Sink
from harness.smtp_clients import accepted, swaks
from relay_corpus import MESSAGES

DKIM_CORPUS = os.path.join(SOURCE_DIR, "tests", "dkim", "corpus")
# What the relay refuses of the DKIM corpus, and why.
REFUSED = {
    # waypost-headers folds long lines at white space; this one has none.
    "11-long-header-line.eml":
        "550 5.6.0 Header X-Long cannot be folded into lines of 998 octets",
    # Postfix's smtpd turns a first line starting "From " into an
    # X-Mailbox-Line header (an mbox separator): no From is left.
    "24-space-before-colon.eml": "550 5.7.1 Message has no From header",
}
# Postfix's SMTP client breaks longer lines (smtp_line_length_limit).
LINE_LIMIT = 998


def corpus():
    """(name, message, refusal) of every message to send."""
    cases = []
    for name in sorted(os.listdir(DKIM_CORPUS)):
        with open(os.path.join(DKIM_CORPUS, name), "rb") as f:
            cases.append((name, f.read(), REFUSED.get(name)))
    return cases + MESSAGES


CASES = corpus()


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.fixture(scope="module")
def relay():
    sink = Sink().start()
    redis = RedisServer().start()
    whole = WholeRelay(BUILD_DIR, "smarthost", sink, redis, limits={
        "hourly": "subject = sender\nwindow = 1h\nmax = 100000"})
    try:
        yield whole.start()
    finally:
        whole.stop()
        redis.stop()
        sink.stop()


def smtp_data(message):
    """DATA as a client writes it: every line that starts with a dot
    gets another, a last line without an end gets CRLF, then the dot."""
    stuffed = re.sub(rb"(^|\n)\.", rb"\1..", message)
    if not stuffed.endswith(b"\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def as_postfix_sends(body):
    """The body as Postfix sends it on: CRLF line ends, a last line
    ended, a line over LINE_LIMIT octets broken into LINE_LIMIT, then
    LINE_LIMIT - 1 after CRLF SP (smtp_text_out() in smtp_proto.c)."""
    lines = body.replace(b"\r\n", b"\n").split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    sent = b""
    for line in lines:
        pieces = [line[:LINE_LIMIT]]
        rest = line[LINE_LIMIT:]
        while rest:
            pieces.append(b" " + rest[:LINE_LIMIT - 1])
            rest = rest[LINE_LIMIT - 1:]
        sent += b"\r\n".join(pieces) + b"\r\n"
    return sent


def body_of(message):
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in message:
            return message.split(separator, 1)[1]
    return b""


def sender_of(message):
    """The address of the From header, for the envelope."""
    match = re.search(rb"(?im)^from\s*:.*?([\w.+-]+@[\w.-]+)", message)
    return match.group(1).decode() if match else "app@example.com"


def our_signatures(relay, content):
    """Validity of each signature of d=example.com (ours); an upstream
    signature a message came with is left out."""
    results = relay.keys.verify(content)
    headers = re.findall(rb"(?ims)^dkim-signature:.*?(?=\r\n\S)", content)
    assert len(headers) == len(results)
    return [valid for header, valid in zip(headers, results)
            if re.search(rb"\bd=example\.com;", header)]


@pytest.mark.parametrize("name,message,refusal", CASES,
                         ids=[case[0] for case in CASES])
def test_relay_delivers_signed_and_intact(relay, name, message, refusal):
    recipient = f"corpus-{uuid.uuid4().hex}@example.net"
    result = swaks(relay.postfix.port, sender=sender_of(message),
                   to=recipient, data=smtp_data(message),
                   extra=("--no-data-fixup", "--suppress-data"))
    output = result.stdout.decode("utf-8", "replace")
    if refusal:
        assert not accepted(result), output
        assert refusal in output, output
        relay.postfix.wait_for_log(rf"to=<{recipient}>")
        assert not [d for d in relay.sink.deliveries
                    if recipient in d.rcpt_tos]
        return
    assert accepted(result), output
    delivery = relay.sink.find(recipient.encode(), timeout=60)
    assert our_signatures(relay, delivery.content) == [True, True], \
        delivery.content[:4000].decode("utf-8", "replace")
    assert delivery.body == as_postfix_sends(body_of(message))
