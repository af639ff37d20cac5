"""The DKIM verifier the suite trusts: it accepts good signatures of both
algorithms, and refuses tampered mail and unknown keys."""
from harness.dkim_keys import sign

MESSAGE = (b"From: Alice <alice@example.com>\r\n"
           b"To: bob@example.net\r\n"
           b"Subject: signed\r\n"
           b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
           b"Message-ID: <dkim-harness@example.com>\r\n"
           b"\r\n"
           b"A body.\r\n")


def test_rsa_signature_verifies(keys):
    key = keys.generate("s1", "example.com", "rsa")
    assert keys.verify(sign(MESSAGE, key)) == [True]


def test_ed25519_signature_verifies(keys):
    key = keys.generate("e1", "example.com", "ed25519")
    signed = sign(MESSAGE, key)
    assert b"a=ed25519-sha256" in signed
    assert keys.verify(signed) == [True]


def test_rsa_and_ed25519_together(keys):
    rsa = keys.generate("s1", "example.com", "rsa")
    ed = keys.generate("e1", "example.com", "ed25519")
    assert keys.verify(sign(sign(MESSAGE, rsa), ed)) == [True, True]


def test_tampered_body_fails(keys):
    key = keys.generate("s1", "example.com", "rsa")
    signed = sign(MESSAGE, key).replace(b"A body.", b"A b0dy.")
    assert keys.verify(signed) == [False]


def test_tampered_signed_header_fails(keys):
    key = keys.generate("e1", "example.com", "ed25519")
    signed = sign(MESSAGE, key).replace(b"Subject: signed",
                                        b"Subject: changed")
    assert keys.verify(signed) == [False]


def test_unknown_key_fails(keys):
    key = keys.generate("s1", "example.com", "rsa")
    signed = sign(MESSAGE, key)
    keys.keys.clear()
    assert keys.verify(signed) == [False]


def test_unsigned_message_has_no_results(keys):
    assert keys.verify(MESSAGE) == []
