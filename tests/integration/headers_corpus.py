"""Malformed messages for waypost-headers, one per rule and case.

Each case is the header block a legacy system or app would send (the
test adds To, a token and a body), how it goes in (swaks over SMTP, or
the sendmail command as PHP's mail() does), and what must come out:
accepted with these headers, or refused with this text. test_headers.py
sends every one through a private Postfix with waypost-headers and
waypost-dkim, and checks the result with python3-dkim too.
"""
from dataclasses import dataclass, field

LONG_WORDS = b" ".join(b"word%03d" % i for i in range(150))
MANY_ADDRESSES = b", ".join(b"user%03d@example.net" % i for i in range(60))
REFERENCES = b" ".join(b"<ref%03d.abcdefghij@example.com>" % i
                       for i in range(40))
PRIVATE_RECEIVED = (b"Received: from laptop (unknown [192.168.1.20])\r\n"
                    b"\tby app.internal with SMTP id 77\r\n")
PUBLIC_RECEIVED = (b"Received: from mx.example.org (mx.example.org "
                   b"[203.0.113.5])\r\n\tby app.internal with ESMTP id 78\r\n")
FROM = b"From: App <app@example.com>\r\n"
DATE = b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
MESSAGE_ID = b"Message-ID: <m1@example.com>\r\n"
SUBJECT = b"Subject: report\r\n"
BASE = FROM + DATE + MESSAGE_ID + SUBJECT


@dataclass
class Case:
    name: str
    headers: bytes
    refused: str = None            # text of the 5xx reply, if refused
    changes: tuple = ()            # words the log line must have
    values: dict = field(default_factory=dict)   # name: exact values
    contains: dict = field(default_factory=dict)  # name: substring
    absent: tuple = ()             # headers that must be gone
    via: str = "swaks"
    settings: str = ""             # extra [headers] lines
    long_lines: bool = False       # check every line is at most 998
    decoded: dict = field(default_factory=dict)  # name: RFC 2047 decoded


CASES = [
    # 1: single-instance headers
    Case("second_from", BASE + b"From: ceo@example.com\r\n",
         refused="5.7.1 Message has more than one From header"),
    Case("second_sender", BASE + b"Sender: a@example.com\r\n"
         b"Sender: b@example.com\r\n",
         refused="5.7.1 Message has more than one Sender header"),
    Case("copied_subject", BASE + SUBJECT,
         changes=("removed Subject (a copy)",),
         values={"Subject": ["report"]}),
    Case("php_second_to_and_subject", BASE +
         b"To: user@example.net\r\nSubject: other\r\n",
         changes=("removed Subject (a second, different one)",),
         values={"Subject": ["report"]}, via="sendmail"),
    Case("differing_cc_refused", BASE + b"Cc: a@example.net\r\n"
         b"Cc: b@example.net\r\n",
         refused="5.7.1 Message has more than one Cc header",
         settings="differing_duplicates = reject"),
    # 2: From
    Case("no_from", DATE + MESSAGE_ID + SUBJECT,
         refused="5.7.1 Message has no From header"),
    Case("two_authors_no_sender", b"From: a@example.com, b@example.com\r\n"
         + DATE + MESSAGE_ID + SUBJECT,
         refused="5.7.1 The From header names 2 mailboxes and there is no Sender"),
    Case("two_authors_with_sender", b"From: app@example.com, "
         b"b@example.com\r\nSender: app@example.com\r\n" + DATE +
         MESSAGE_ID + SUBJECT, values={"Sender": ["app@example.com"]}),
    Case("from_empty_group", b"From: undisclosed:;\r\n" + DATE +
         MESSAGE_ID + SUBJECT,
         refused="5.7.1 The From header names no mailbox"),
    # 3: Message-ID
    Case("no_message_id", FROM + DATE + SUBJECT,
         changes=("added Message-ID",),
         contains={"Message-ID": "@relay.example>"}),
    Case("sendmail_no_message_id", FROM + DATE + SUBJECT, via="sendmail",
         contains={"Message-ID": "@"}),
    Case("message_id_no_brackets", FROM + DATE + SUBJECT +
         b"Message-ID: 1234.5678@legacy\r\n",
         changes=("replaced invalid Message-ID",),
         values={"X-Original-Message-ID": ["1234.5678@legacy"]},
         contains={"Message-ID": "@relay.example>"}),
    Case("message_id_spaces", FROM + DATE + SUBJECT +
         b"Message-ID: <12 34@legacy>\r\n",
         changes=("replaced invalid Message-ID",),
         values={"X-Original-Message-ID": ["<12 34@legacy>"]}),
    Case("message_id_no_at", FROM + DATE + SUBJECT +
         b"Message-ID: <123456789>\r\n",
         changes=("replaced invalid Message-ID",)),
    # 4: Date
    Case("no_date", FROM + MESSAGE_ID + SUBJECT, changes=("added Date",),
         contains={"Date": " +0000"}),
    Case("date_iso8601", FROM + MESSAGE_ID + SUBJECT +
         b"Date: 2026-11-23T10:00:00Z\r\n", changes=("repaired Date",),
         values={"Date": ["Mon, 23 Nov 2026 10:00:00 +0000"],
                 "X-Original-Date": ["2026-11-23T10:00:00Z"]}),
    Case("date_colon_zone", FROM + MESSAGE_ID + SUBJECT +
         b"Date: Mon, 23 Nov 2026 12:00:00 +02:00\r\n",
         values={"Date": ["Mon, 23 Nov 2026 12:00:00 +0200"]}),
    Case("date_no_comma", FROM + MESSAGE_ID + SUBJECT +
         b"Date: Mon 23 Nov 2026 10:00:00 +0000\r\n",
         values={"Date": ["Mon, 23 Nov 2026 10:00:00 +0000"]}),
    Case("date_two_digit_year", FROM + MESSAGE_ID + SUBJECT +
         b"Date: 23 Nov 26 10:00 -0500\r\n",
         values={"Date": ["Mon, 23 Nov 2026 10:00:00 -0500"]}),
    Case("date_garbage", FROM + MESSAGE_ID + SUBJECT +
         b"Date: sometime yesterday\r\n",
         changes=("replaced invalid Date with the arrival time",),
         values={"X-Original-Date": ["sometime yesterday"]}),
    # 5: long lines
    Case("long_subject", FROM + DATE + MESSAGE_ID + b"Subject: " +
         LONG_WORDS + b"\r\n", changes=("refolded Subject",),
         values={"Subject": [LONG_WORDS.decode()]}, long_lines=True),
    Case("long_cc", BASE + b"Cc: " + MANY_ADDRESSES + b"\r\n",
         changes=("refolded Cc",),
         values={"Cc": [MANY_ADDRESSES.decode()]}, long_lines=True),
    Case("unfoldable_token", BASE + b"X-Token: " + b"a" * 1100 + b"\r\n",
         refused="5.6.0 Header X-Token cannot be folded"),
    Case("references_capped", BASE + b"References: " + REFERENCES +
         b"\r\n", settings="references_max = 5",
         changes=("shortened References (40 to 6 IDs)",),
         contains={"References": "<ref000.abcdefghij@example.com> "
                   "<ref035.abcdefghij@example.com>"}),
    # 6: 8-bit
    Case("utf8_subject", FROM + DATE + MESSAGE_ID +
         "Subject: Grüße aus Köln\r\n".encode(),
         changes=("encoded Subject (RFC 2047)",),
         contains={"Subject": "=?UTF-8?"},
         decoded={"Subject": "Grüße aus Köln"}),
    Case("utf8_subject_sendmail", FROM + DATE + MESSAGE_ID +
         "Subject: Grüße aus Köln\r\n".encode(), via="sendmail",
         contains={"Subject": "=?UTF-8?"},
         decoded={"Subject": "Grüße aus Köln"}),
    Case("utf8_display_name", "From: Jörg Müller <app@example.com>\r\n"
         .encode() + DATE + MESSAGE_ID + SUBJECT,
         changes=("encoded From (RFC 2047)",),
         contains={"From": "<app@example.com>"},
         decoded={"From": "Jörg Müller <app@example.com>"}),
    Case("utf8_address", BASE + "Cc: jörg@example.net\r\n".encode(),
         refused="5.6.7 Header Cc has a non-ASCII address"),
    Case("latin1_subject", FROM + DATE + MESSAGE_ID +
         b"Subject: caf\xe9 cr\xe8me\r\n",
         changes=("encoded Subject (RFC 2047, from ISO-8859-1)",),
         decoded={"Subject": "café crème"}),
    # 7: privacy (the test client, 127.0.0.1, is internal)
    Case("privacy_headers", BASE + b"X-Originating-IP: [10.1.2.3]\r\n"
         b"X-PHP-Originating-Script: 1000:mailer.php\r\n"
         b"X-Mailer: PHPMailer 6.8\r\nUser-Agent: Thunderbird\r\n"
         b"X-Enigmail: Version 2.0\r\n",
         absent=("X-Originating-IP", "X-PHP-Originating-Script",
                 "X-Mailer", "User-Agent", "X-Enigmail"),
         changes=("removed X-Originating-IP", "removed X-Mailer")),
    Case("private_received", PRIVATE_RECEIVED + PUBLIC_RECEIVED + BASE,
         changes=("removed Received (a private hop)",),
         contains={"Received": "[203.0.113.5]"}),
    # 8: stale trust headers
    Case("own_authentication_results", BASE +
         b"Authentication-Results: relay.example; dkim=pass\r\n"
         b"Authentication-Results: mx.other.net; spf=pass\r\n",
         changes=("removed Authentication-Results (our authserv-id)",),
         values={"Authentication-Results": ["mx.other.net; spf=pass"]}),
    Case("spam_flag", BASE + b"X-Spam-Flag: NO\r\nX-Spam-Status: No\r\n",
         absent=("X-Spam-Flag", "X-Spam-Status")),
    # 9: List-Unsubscribe
    Case("two_list_unsubscribe", BASE +
         b"List-Unsubscribe: <https://example.com/u/1>\r\n"
         b"List-Unsubscribe: <https://example.com/u/2>\r\n",
         values={"List-Unsubscribe": ["<https://example.com/u/1>"]}),
    Case("one_click_without_https", BASE +
         b"List-Unsubscribe: <mailto:u@example.com>\r\n"
         b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
         absent=("List-Unsubscribe-Post",)),
    Case("one_click_wrong_case", BASE +
         b"List-Unsubscribe: <https://example.com/u/1>\r\n"
         b"List-Unsubscribe-Post: list-unsubscribe=one-click\r\n",
         values={"List-Unsubscribe-Post": ["List-Unsubscribe=One-Click"]}),
    # 10: syntax. Postfix 3.7 itself drops white space before the colon
    # and turns a bare CR into a space before a milter sees the header;
    # rule 10's own repairs are unit-tested for other paths.
    Case("space_before_colon", BASE + b"X-Legacy : value\r\n",
         values={"X-Legacy": ["value"]}),
    Case("bare_cr", BASE + b"X-Legacy: one\rtwo\r\n",
         values={"X-Legacy": ["one two"]}),
    # Clean mail passes untouched.
    Case("clean", BASE + b"X-Clean: yes\r\n", values={"X-Clean": ["yes"]}),
]
