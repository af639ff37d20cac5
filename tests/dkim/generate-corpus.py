#!/usr/bin/python3
"""Write tests/dkim/corpus: awkward messages for the DKIM differential tests.

Each file is one message as it would be on the wire (CRLF line ends, except
the files named *-lf.eml, which use bare LF throughout). Run again after
editing this script; the files are committed. Bodies of megabytes are not
files: the tests make them (see message_file.c).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

BASE = [
    "From: Alice Example <alice@example.com>",
    "To: Bob <bob@example.net>",
    "Subject: corpus message",
    "Date: Sun, 22 Nov 2026 10:00:00 +0000",
    "Message-ID: <corpus@example.com>",
]

messages = {}


def add(name, headers, body, ending="\r\n"):
    text = ending.join(headers) + ending + ending + body
    messages[name] = text.encode("utf-8", "surrogateescape")


def body_lines(*lines):
    return "".join(line + "\r\n" for line in lines)


add("01-plain", BASE, body_lines("Hello.", "", "Regards,", "Alice"))
add("02-folded-headers", BASE[:2] + [
    "Subject: a subject that goes on\r\n and on\r\n\tand on",
    "Cc: carol@example.net,\r\n  dave@example.net,\r\n\terin@example.net",
] + BASE[3:], body_lines("Folded headers."))
add("03-header-whitespace", [
    "From:\tAlice   <alice@example.com>  ",
    "To:  bob@example.net\t ",
    "Subject:   many    spaces\t\there   ",
] + BASE[3:], body_lines("x"))
add("04-body-whitespace", BASE, body_lines(
    "trailing spaces   ", "trailing tab\t", "  leading spaces",
    "\tleading tab", "inner   \t  runs", "mixed \t \t"))
add("05-empty-body", BASE, "")
messages["06-headers-only"] = ("\r\n".join(BASE) + "\r\n").encode()
add("07-no-final-crlf", BASE, "last line without CRLF")
add("08-trailing-blank-lines", BASE, body_lines("text", "", "", "", "", ""))
add("09-trailing-whitespace-lines", BASE,
    body_lines("text", "   ", "\t", " \t ", ""))
add("10-long-body-line", BASE, body_lines("x" * 1500, "y" * 998, "z" * 999))
add("11-long-header-line", BASE + ["X-Long: " + "h" * 1200], body_lines("b"))
add("12-utf8-headers", [
    "From: Jörg Müller <joerg@example.com>",
    "To: Zoë <zoe@example.net>",
    "Subject: Grüße aus Köln — ✓",
] + BASE[3:], body_lines("ascii body"))
add("13-utf8-body", BASE, body_lines("Grüße, 你好, привет", "emoji 🎉 ok"))
add("14-odd-case-names", [
    "fRoM: alice@example.com", "TO: bob@example.net", "SUBJECT: case",
    "date: Sun, 22 Nov 2026 10:00:00 +0000", "message-ID: <c@example.com>",
], body_lines("odd case"))
add("15-repeated-headers", [
    "Received: from a", "Received: from b", "Received: from c",
    BASE[0], "To: first@example.net", "To: second@example.net",
    "Cc: one@example.net", "Subject: first", "Cc: two@example.net",
    "Subject: second",
] + BASE[3:], body_lines("repeated"))
add("16-binary-bytes", BASE, "".join(chr(c) for c in range(1, 32)
                                     if c not in (10, 13)) + "\x7f\r\n" +
    "".join(chr(0xdc00 + c) for c in range(0x80, 0x100)) + "\r\n")
add("17-dot-lines", BASE, body_lines(".", "..", ".leading dot", "a", "."))
add("18-multipart", BASE + [
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"b1\"",
], body_lines(
    "--b1", "Content-Type: text/plain; charset=utf-8", "",
    "See attachment.", "", "--b1",
    "Content-Type: application/octet-stream; name=\"a.bin\"",
    "Content-Transfer-Encoding: base64", "",
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v",
    "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f",
    "", "--b1--"))
add("19-whitespace-body", BASE, "   \r\n\t\r\n")
add("20-single-crlf-body", BASE, "\r\n")
add("21-one-byte-body", BASE, "x")
add("22-empty-header-value", BASE + ["X-Empty:", "X-Spaces:   "],
    body_lines("e"))
add("23-no-space-after-colon", [
    "From:alice@example.com", "To:bob@example.net", "Subject:nospace",
] + BASE[3:], body_lines("n"))
add("24-space-before-colon", [
    "From : alice@example.com", "To : bob@example.net",
    "Subject  :  spaced",
] + BASE[3:], body_lines("s"))
add("25-long-references", BASE + [
    "In-Reply-To: <r39@example.com>",
    "References: " + "\r\n ".join(f"<r{i}@example.com>" for i in range(40)),
], body_lines("thread"))
add("26-list-headers", BASE + [
    "List-Id: Example list <list.example.com>",
    "List-Unsubscribe: <mailto:unsub@example.com>, <https://example.com/u>",
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    "List-Help: <mailto:help@example.com>",
    "List-Subscribe: <mailto:sub@example.com>",
    "List-Post: <mailto:list@example.com>",
    "List-Owner: <mailto:owner@example.com>",
    "List-Archive: <https://example.com/archive>",
], body_lines("list mail"))
add("27-resent-headers", BASE + [
    "Resent-Date: Mon, 23 Nov 2026 09:00:00 +0000",
    "Resent-From: carol@example.com", "Resent-Sender: dave@example.com",
    "Resent-To: erin@example.net", "Resent-Cc: frank@example.net",
    "Resent-Message-ID: <resent@example.com>",
], body_lines("resent"))
add("28-odd-date", BASE[:3] + ["Date: 2026-11-22T10:00:00+02:00"] + BASE[4:],
    body_lines("iso date"))
add("29-existing-signature", [
    "DKIM-Signature: v=1; a=rsa-sha256; d=upstream.example; s=x;\r\n"
    "\th=from; bh=AAAA; b=BBBB",
] + BASE, body_lines("already signed upstream"))
add("30-inner-blank-lines", BASE, body_lines("a", "", "", "", "b", "", "c"))
add("31-tab-lines", BASE, body_lines("a", "\t", "\t\t", "b"))
add("32-blank-start", BASE, body_lines("", "", "starts after blank lines"))
add("33-8bit-from", [
    "From: \xe9t\xe9 <ete@example.com>".encode("latin-1").decode(
        "utf-8", "surrogateescape"),
] + BASE[1:], body_lines("latin-1 display name"))
add("34-many-signed-headers", BASE + [
    "Sender: sender@example.com", "Reply-To: reply@example.com",
    "Cc: cc@example.net", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit", "In-Reply-To: <p@example.com>",
    "References: <p@example.com>", "List-Id: <l.example.com>",
], body_lines("every default header present"))
add("35-multiple-folds", BASE[:2] + [
    "Subject: one\r\n two\r\n \r\n\tthree",
] + BASE[3:], body_lines("folds"))
add("36-dot-crlf-in-body", BASE, "before\r\n.\r\nafter\r\n")
add("37-nul-bytes", BASE, "a\x00b\r\n\x00\r\n")
add("38-encoded-words", BASE[:2] + [
    "Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?UTF-8?Q?K=C3=B6ln?=",
] + BASE[3:], body_lines("encoded"))
add("39-quoted-printable", BASE + [
    "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
], body_lines("Gr=C3=BC=C3=9Fe =", "soft break", "trailing=20"))
add("40-crlf-runs", BASE, "a\r\n\r\n\r\nb\r\n\r\n\r\n\r\n")
add("41-many-headers", BASE + [f"X-Header-{i}: value {i}" for i in range(300)],
    body_lines("many headers"))
add("42-bare-lf", BASE + ["X-Folded: a\n b"], "line one\nline  two \n\n\n",
    ending="\n")
add("43-html", BASE + [
    "MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8",
], body_lines("<html><body><p>Hello&nbsp;world</p></body></html>"))
add("44-unfolded-long-to", BASE[:1] + [
    "To: " + ", ".join(f"user{i}@example.net" for i in range(60)),
] + BASE[2:], body_lines("many recipients"))

if __name__ == "__main__":
    os.makedirs(CORPUS, exist_ok=True)
    for name in os.listdir(CORPUS):
        os.unlink(os.path.join(CORPUS, name))
    for name, data in sorted(messages.items()):
        suffix = "-lf" if name == "42-bare-lf" else ""
        path = os.path.join(CORPUS, name.replace("-lf", "") + suffix + ".eml")
        with open(path, "wb") as f:
            f.write(data)
    print(f"{len(messages)} messages in {CORPUS}")
