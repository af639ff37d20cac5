"""python3-dkim, the second independent verifier, over the DKIM corpus.

Every message of tests/dkim/corpus is signed by waypost-dkim's engine
(through tests/dkim/dkim_sign_file) with RSA and with Ed25519 under each
canonicalization, and python3-dkim must verify each signature; with one
body byte changed it must not. The libopendkim half of the differential
test is tests/dkim/test_dkim_opendkim.c.
"""
import os
import subprocess

import dkim
import pytest

from conftest import SOURCE_DIR, program
from harness import dkim_keys, tempdir

CORPUS = os.path.join(SOURCE_DIR, "tests", "dkim", "corpus")
CANONICALIZATIONS = ["relaxed/relaxed", "relaxed/simple", "simple/relaxed",
                     "simple/simple"]
# python3-dkim's parser refuses RFC 5322's obsolete "Name : value" syntax
# (libopendkim verifies those signatures; see test_dkim_opendkim.c).
UNPARSEABLE_FOR_DKIMPY = {"24-space-before-colon.eml"}


@pytest.fixture(scope="module")
def corpus_keys():
    directory = tempdir.make_dir("corpus-keys")
    store = dkim_keys.KeyStore(directory)
    store.generate("s1", "example.com", "rsa")
    store.generate("e1", "example.com", "ed25519")
    yield store
    tempdir.remove_dir(directory)


def sign(key, canonicalization, message):
    result = subprocess.run(
        [program("tests/dkim/dkim_sign_file"), key.path, key.selector,
         key.domain, canonicalization],
        input=message, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_corpus_is_complete():
    assert len(os.listdir(CORPUS)) >= 40


@pytest.mark.parametrize("name", sorted(os.listdir(CORPUS)))
def test_python_dkim_verifies(name, corpus_keys):
    with open(os.path.join(CORPUS, name), "rb") as f:
        message = f.read()
    for canonicalization in CANONICALIZATIONS:
        for key in corpus_keys.keys.values():
            signed = sign(key, canonicalization, message)
            if name in UNPARSEABLE_FOR_DKIMPY:
                with pytest.raises(dkim.MessageFormatError):
                    dkim.DKIM(signed).verify(dnsfunc=corpus_keys.dns)
                continue
            # Ours is the first signature; 29 carries a bogus upstream one.
            assert corpus_keys.verify(signed)[0], \
                f"{name} {canonicalization} {key.algorithm}"
            tampered = change_one_body_byte(signed)
            if tampered is not None:
                assert not corpus_keys.verify(tampered)[0], \
                    f"{name}: a changed body still verifies"


def change_one_body_byte(message):
    """The message with its first body byte that counts (not white space)
    flipped, or None when the body has no such byte."""
    separator = b"\r\n\r\n" if b"\r\n\r\n" in message else b"\n\n"
    start = message.find(separator)
    if start < 0:
        return None
    for spot in range(start + len(separator), len(message)):
        if message[spot:spot + 1] not in (b"\r", b"\n", b" ", b"\t"):
            return message[:spot] + bytes([message[spot] ^ 1]) + \
                message[spot + 1:]
    return None
