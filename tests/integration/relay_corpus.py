"""Awkward messages for the whole relay, beyond tests/dkim/corpus.

test_relay_corpus.py sends every message of tests/dkim/corpus through
the whole relay, and these too: what the DKIM corpus leaves out because
its files must stay small (a huge body, attachments, nested multipart),
what legacy applications send that waypost-headers changes before
waypost-dkim signs it, and lines too long for SMTP, which Postfix breaks
on the way out and waypost-dkim signs broken. Each is (name, message
bytes, refusal): refusal is the text of the 5xx reply when the relay must
refuse the message, None when it must deliver it signed.
"""
import base64
import random

FROM = b"From: Alice Example <alice@example.com>\r\n"
TO = b"To: Bob <bob@example.net>\r\n"
DATE = b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
MESSAGE_ID = b"Message-ID: <relay-corpus@example.com>\r\n"
BASE = FROM + TO + b"Subject: relay corpus\r\n" + DATE + MESSAGE_ID


def _base64_lines(data):
    encoded = base64.b64encode(data)
    return b"".join(encoded[start:start + 76] + b"\r\n"
                    for start in range(0, len(encoded), 76))


def _random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


def huge_body():
    """About 6 MB of text lines: under Postfix's default 10 MB limit."""
    line = b"The quick brown fox jumps over the lazy dog, line %07d.\r\n"
    return BASE + b"\r\n" + b"".join(line % n for n in range(110000))


def attachment():
    """A text part and a 300 KB binary file, base64 encoded."""
    return (BASE + b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"This is a multi-part message in MIME format.\r\n"
            b"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            b"The report is attached.\r\n"
            b"--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"r.pdf\"\r\n\r\n" +
            _base64_lines(_random_bytes(300 * 1024, 1)) + b"--b1--\r\n")


def nested_multipart():
    """mixed > (alternative > text, html), a forwarded message, an image;
    8-bit text in one part, quoted-printable in another."""
    forwarded = (b"From: Carol <carol@example.org>\r\nTo: alice@example.com"
                 b"\r\nSubject: the original\r\n" + DATE +
                 b"\r\nThe forwarded body.\r\n.\r\n..two dots\r\n")
    return (BASE + b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed;\r\n\tboundary=\"outer\"\r\n\r\n"
            b"--outer\r\n"
            b"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
            b"\r\n--inner\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n"
            b"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\n"
            b"--inner\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"<p>Gr=C3=BC=C3=9Fe aus K=C3=B6ln, a long line that is soft=\r\n"
            b" broken</p>\r\n--inner--\r\n"
            b"--outer\r\nContent-Type: message/rfc822\r\n\r\n" + forwarded +
            b"--outer\r\nContent-Type: image/png; name=\"logo.png\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            _base64_lines(_random_bytes(20 * 1024, 2)) + b"--outer--\r\n"
            b"epilogue\r\n")


def unwrapped_base64():
    """An attachment whose base64 is one line of 40 KB, as some
    applications write it: Postfix breaks it on the way out."""
    return (BASE + b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n"
            b"--b2\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
            b"--b2\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.b64encode(_random_bytes(30 * 1024, 3)) + b"\r\n--b2--\r\n")


def _legacy(headers, body=b"Sent by an old application.\r\n"):
    return headers + b"\r\n" + body


MESSAGES = [
    ("huge-body", huge_body(), None),
    ("attachment", attachment(), None),
    ("nested-multipart", nested_multipart(), None),
    ("unwrapped-base64", unwrapped_base64(), None),
    # Lines of 998 octets pass; 999 and 1995 + 1 octets get a break.
    ("lines-at-the-limit", BASE + b"\r\n" + b"a" * 998 + b"\r\n" +
     b"b" * 999 + b"\r\n" + b"c" * 1996 + b"\r\n" + b"d" * 1995, None),
    # waypost-headers adds Date and Message-ID; the signature covers them.
    ("no-date-no-message-id", _legacy(FROM + TO + b"Subject: legacy\r\n"),
     None),
    # waypost-headers folds the line; the body is not touched.
    ("unfolded-subject-2000", _legacy(
        FROM + TO + DATE + MESSAGE_ID + b"Subject: " +
        b" ".join(b"word%04d" % n for n in range(220)) + b"\r\n"), None),
    ("8bit-subject", _legacy(FROM + TO + DATE + MESSAGE_ID +
                             b"Subject: Gr\xc3\xbc\xc3\x9fe \xe2\x9c\x93\r\n"),
     None),
    ("privacy-headers", _legacy(
        BASE + b"X-Mailer: LegacyERP 4.2\r\nX-Originating-IP: "
        b"[192.168.1.20]\r\nReceived: from pc (unknown [192.168.1.20])\r\n"
        b"\tby app.internal with SMTP id 1\r\n"), None),
    ("duplicate-to-and-received", _legacy(
        b"Received: from a by b\r\nReceived: from c by d\r\n" + BASE +
        b"To: Carol <carol@example.net>\r\n"), None),
    ("mixed-line-ends", BASE + b"\r\nfirst, CRLF\r\nsecond, bare LF\n"
     b"third, CRLF\r\n\nblank above was bare LF\r\n", None),
    ("body-of-dots", BASE + b"\r\n.\r\n..\r\n...\r\n. \r\n", None),
    ("second-from-refused", _legacy(BASE + b"From: ceo@example.com\r\n"),
     "5.7.1 Message has more than one From header"),
]
