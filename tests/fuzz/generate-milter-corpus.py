#!/usr/bin/python3
"""Write the seed corpus of fuzz_milter_engine: milter sessions as an MTA
sends them, each file prefixed by one byte (the fuzz target's chunk size).
Run from the top of the tree; the files are committed."""
import os
import struct

OUT = "tests/fuzz/corpus/milter_engine"


def packet(command, data=b""):
    return struct.pack(">I", len(data) + 1) + command.encode() + data


def negotiate(offered=0x1FFFFF, actions=0x1FF):
    return packet("O", struct.pack(">III", 6, actions, offered))


def message(headers, body, queue_id=b"4Xyz"):
    out = packet("D", b"M{mail_addr}\0a@example.com\0")
    out += packet("M", b"<a@example.com>\0SIZE=100\0")
    for name, value in headers:
        out += packet("L", name + b"\0" + value + b"\0")
    out += packet("D", b"Ni\0" + queue_id + b"\0")
    out += packet("N")
    out += packet("B", body)
    out += packet("D", b"Ei\0" + queue_id + b"\0")
    out += packet("E")
    return out


SESSIONS = {
    "01-session": negotiate()
    + packet("D", b"Cj\0relay.example\0{daemon_name}\0smtpd\0")
    + packet("C", b"client.example\0" + b"4" + struct.pack(">H", 25)
             + b"192.0.2.1\0")
    + message([(b"From", b" a@example.com"), (b"Subject", b" hi")],
              b"body\r\n")
    + packet("Q"),
    "02-held-reject": negotiate()
    + packet("C", b"h\0U")
    + message([(b"Reject", b" no thanks")], b"x")
    + packet("Q"),
    "03-tempfail-at-eoh": negotiate()
    + packet("C", b"h\0" + b"6" + struct.pack(">H", 25) + b"IPv6:2001:db8::1\0")
    + message([(b"From", b" b@example.com")], b"", queue_id=b"tmp1"),
    "04-abort-and-quit-nc": negotiate()
    + packet("C", b"h\0L" + struct.pack(">H", 0) + b"/run/sock\0")
    + packet("D", b"M{auth_authen}\0user\0")
    + packet("M", b"<x@example.com>\0") + packet("A")
    + packet("K") + negotiate(0x1FFFFF, 0x01)
    + message([(b"From", b" c@example.com")], b"d" * 3000),
    "05-eom-with-body": negotiate()
    + packet("M", b"<>\0") + packet("N") + packet("E", b"last chunk\r\n"),
    "06-bad-address": negotiate() + packet("C", b"h\0" + b"4" + b"\0\0"
                                           + b"not-an-address\0"),
    "07-no-negotiation": packet("M", b"<a@b>\0"),
    "08-oversized": struct.pack(">I", 0x7FFFFFFF) + b"L",
}

os.makedirs(OUT, exist_ok=True)
for name, data in SESSIONS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([7]) + data)
