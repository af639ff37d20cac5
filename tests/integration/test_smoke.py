"""The harness works: swaks -> private Postfix -> sink, body byte-identical.

And it can fail: the same check against a Postfix whose relayhost is wrong
sees nothing arrive.
"""
import uuid

from harness.smtp_clients import accepted, smtp_source, swaks


def make_message(token):
    body = (b"Hello through a real Postfix.\r\n"
            b"\r\n"
            b".a line that starts with a dot\r\n"
            b"..and one with two\r\n"
            b"trailing spaces   \r\n"
            b"\ttab first\r\n"
            + b"x" * 900 + b"\r\n"
            b"last line\r\n")
    headers = (b"From: App <app@example.com>\r\n"
               b"To: <user@example.net>\r\n"
               b"Subject: smoke test\r\n"
               b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
               b"Message-ID: <" + token.encode() + b"@example.com>\r\n")
    return headers + b"\r\n" + body, body


def test_message_reaches_sink_byte_identical(postfix, sink):
    token = "smoke-" + uuid.uuid4().hex
    message, body = make_message(token)
    result = swaks(postfix.port, data=message)
    assert accepted(result), result.stdout.decode()
    delivery = sink.find(token.encode(), timeout=30)
    assert delivery.body == body
    assert delivery.mail_from == "app@example.com"
    assert delivery.rcpt_tos == ["user@example.net"]
    assert delivery.header_values("Subject") == ["smoke test"]
    # Postfix added its Received header on top; the rest is ours.
    assert delivery.headers.startswith(b"Received: from ")
    assert delivery.headers.endswith(message.split(b"\r\n\r\n")[0])
    postfix.wait_for_log(r"status=sent \(250 2\.0\.0 Ok: kept by the Waypost")


def test_wrong_relayhost_makes_the_smoke_check_fail(postfix_factory, sink):
    from harness.ports import free_port

    broken = postfix_factory(relay_port=free_port())
    token = "broken-" + uuid.uuid4().hex
    message, _ = make_message(token)
    assert accepted(swaks(broken.port, data=message))
    broken.wait_for_log(r"status=deferred .*Connection refused")
    assert not sink.holds(token.encode())
    assert broken.queue_ids(), "the message should wait in the queue"


def test_smtp_source_load_reaches_sink(postfix, sink):
    result = smtp_source(postfix.port, sessions=4, messages=40, size=2048)
    assert result.returncode == 0, result.stdout.decode()
    deliveries = sink.wait_for(40, timeout=60)
    assert {d.mail_from for d in deliveries} == {"load@example.com"}
    assert all(len(d.body) >= 2048 for d in deliveries)
