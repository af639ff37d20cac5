"""waypost-dkim given bad input over the milter protocol: no crash, memory
bounded, the documented action taken, one log line.

Driven with waypost-milter-load, the same tool as the benchmark; the daemon
must still sign a good message afterwards.
"""
import os
import socket
import subprocess

import pytest

from conftest import program
from harness import milter_wire, processes
from harness.waypost import DkimSetup

DKIM = "milters/dkim/waypost-dkim"
LOAD = "milters/client/waypost-milter-load"

HEADERS = (b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
           b"Subject: bad input\r\n")


@pytest.fixture
def dkim(workdir, keys, monkeypatch):
    processes.measure_memory_under_asan(monkeypatch)
    setup = DkimSetup(program(DKIM), workdir, keys)
    rsa = keys.generate("s1", "example.com", "rsa")
    setup.write_tables([setup.key_line("rsa", rsa)], ["*@example.com rsa"])
    setup.start()
    yield setup
    setup.stop()


def load(dkim, workdir, message, *arguments):
    path = os.path.join(workdir, "message.eml")
    with open(path, "wb") as f:
        f.write(message)
    return subprocess.run([program(LOAD), "-p", "-f", path, *arguments,
                           dkim.milter], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=300)



def assert_still_signs(dkim, workdir, keys):
    result = load(dkim, workdir, HEADERS + b"\r\nstill alive\r\n")
    assert result.returncode == 0, result.stderr
    assert keys.verify(result.stdout) == [True]
    assert dkim.daemon.process.poll() is None


def test_header_without_colon_is_signed_around(dkim, workdir, keys):
    result = load(dkim, workdir,
                  HEADERS + b"this line has no colon\r\n\r\nbody\r\n")
    assert result.returncode == 0, result.stderr
    assert b"DKIM-Signature:" in result.stdout
    assert_still_signs(dkim, workdir, keys)


def test_nul_bytes_in_the_body_are_signed(dkim, workdir, keys):
    result = load(dkim, workdir, HEADERS + b"\r\na\x00b\r\n\x00\x00\r\n")
    assert result.returncode == 0, result.stderr
    assert keys.verify(result.stdout) == [True]


def test_bare_lf_is_signed_as_crlf(dkim, workdir, keys):
    message = HEADERS.replace(b"\r\n", b"\n") + \
        b"X-Folded: a\n b\n\nline one\nline  two \n\n"
    result = load(dkim, workdir, message)
    assert result.returncode == 0, result.stderr
    # An MTA sends the message with CRLF line ends.
    signed = result.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert keys.verify(signed) == [True]


@pytest.mark.parametrize("shape", ["one 1 MB header", "10,000 headers"])
def test_oversized_headers_get_on_error(dkim, workdir, keys, shape):
    if shape == "one 1 MB header":
        extra = b"X-Big: " + b"x" * 1000000 + b"\r\n"
    else:
        extra = b"".join(b"X-H%d: v\r\n" % i for i in range(10000))
    result = load(dkim, workdir, HEADERS + extra + b"\r\nbody\r\n")
    assert result.returncode == 0, result.stderr
    assert b"tempfail 1" in result.stderr
    assert b"451 4.7.0 Message could not be DKIM-signed" in result.stderr
    dkim.daemon.wait_for_log("not signed: more than 1000 headers or 262144 "
                             "bytes of headers; temporary failure")
    assert dkim.daemon.read_log().count("not signed:") == 1
    assert processes.peak_memory_kb(dkim.daemon.process) < 32 * 1024
    assert_still_signs(dkim, workdir, keys)


def test_header_beyond_the_packet_limit_drops_only_that_connection(
        dkim, workdir, keys):
    """A packet over 1 MB closes that connection, logged; the MTA then
    applies milter_default_action (tempfail)."""
    extra = b"X-Huge: " + b"x" * (2 * 1024 * 1024) + b"\r\n"
    result = load(dkim, workdir, HEADERS + extra + b"\r\nbody\r\n")
    assert result.returncode == 1
    assert b"error 1" in result.stderr
    dkim.daemon.wait_for_log("closing an MTA connection: packet of")
    assert_still_signs(dkim, workdir, keys)


def test_garbage_closes_only_that_connection(dkim, workdir, keys):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(dkim.socket)
        s.sendall(b"\x00\x00\x00\x05Mnone")  # MAIL before negotiation
        assert s.recv(100) == b""  # closed, nothing answered
    dkim.daemon.wait_for_log("closing an MTA connection: command 0x4d "
                             "before option negotiation")
    assert_still_signs(dkim, workdir, keys)


def test_connections_beyond_the_file_limit_are_refused(workdir, keys):
    """With 200 file descriptors the daemon serves 136 connections (64 are
    kept for itself); the ones beyond are closed on arrival, logged once,
    and the open ones still work."""
    setup = DkimSetup(program(DKIM), workdir, keys)
    rsa = keys.generate("s1", "example.com", "rsa")
    setup.write_tables([setup.key_line("rsa", rsa)], ["*@example.com rsa"])
    setup.start(file_limit=200)
    held = []
    try:
        setup.daemon.wait_for_log("serving up to 136 MTA connections")
        for _ in range(150):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(setup.socket)
            held.append(s)
        refused = 0
        for s in held:  # a negotiation gets an answer, or end of file
            try:
                s.sendall(milter_wire.packet("O", milter_wire.negotiation()))
                refused += s.recv(4) == b""
            except (BrokenPipeError, ConnectionResetError):
                refused += 1
        assert refused == 14
        setup.daemon.wait_for_log("refusing an MTA connection: too many "
                                  "connections")
        for s in held:
            s.close()
        held = []
        assert_still_signs(setup, workdir, keys)
    finally:
        for s in held:
            s.close()
        setup.stop()


def test_50_mb_body_streams_in_bounded_memory(dkim, workdir, keys):
    before = processes.peak_memory_kb(dkim.daemon.process)
    body = (b"0123456789 abcdefghij ABCDEFGHIJ \t klmnopqrst\r\n" * 1100000)
    assert len(body) > 50 * 1000 * 1000
    result = load(dkim, workdir, HEADERS + b"\r\n" + body)
    assert result.returncode == 0, result.stderr
    assert keys.verify(result.stdout) == [True]
    # The body is hashed as it streams: the daemon does not grow with it.
    assert processes.peak_memory_kb(dkim.daemon.process) - before < 8 * 1024
