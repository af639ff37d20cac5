"""waypost-headers given bad input over the milter protocol, as an MTA
other than Postfix (or a broken one) could send it: no crash, memory
bounded, the documented action, one log line; and the daemon still
normalizes the next message."""
import pytest

from conftest import program
from harness import milter_wire, processes
from harness.waypost import HeadersSetup

HEADERS = "milters/headers/waypost-headers"
GOOD = [("From", " App <app@example.com>"), ("To", " user@example.net"),
        ("Subject", " fine"), ("Date", " Mon, 23 Nov 2026 10:00:00 +0000"),
        ("Message-ID", " <1@example.com>")]


@pytest.fixture
def headers(workdir, monkeypatch):
    processes.measure_memory_under_asan(monkeypatch)
    setup = HeadersSetup(program(HEADERS), workdir)
    yield setup
    setup.stop()


def connect(setup):
    connection = milter_wire.MilterConnection(
        setup.socket, actions=milter_wire.ADD_HEADERS
        | milter_wire.CHANGE_HEADERS)
    connection.connect_from("127.0.0.1")
    return connection


def run_message(setup, queue_id, headers, body=b"hello\r\n"):
    connection = connect(setup)
    try:
        connection.start_message(queue_id, headers)
        return connection.finish_message(body)
    finally:
        connection.close()



def assert_still_works(setup):
    replies = run_message(setup, "GOOD1", GOOD[:4])
    assert replies[-1][0] == "a", replies
    assert ("i", b"\0\0\0\x01Message-ID\0") == (
        replies[0][0], replies[0][1][:15]), replies
    setup.daemon.wait_for_log("GOOD1: normalized: added Message-ID")


def reply_text(replies):
    return b"".join(payload for command, payload in replies
                    if command == "y").decode()


@pytest.mark.parametrize("shape", ["one_mb_header", "ten_thousand_headers"])
def test_oversized_headers_are_refused_in_bounded_memory(headers, shape):
    headers.start()
    if shape == "one_mb_header":
        block = GOOD + [("X-Big", " " + "a" * (1024 * 1024 - 16))]
    else:
        block = GOOD + [("X-N", f" {i}") for i in range(10000)]
    before = processes.peak_memory_kb(headers.daemon.process)
    replies = run_message(headers, "BIG1", block)
    assert replies[-1][0] == "y", replies
    assert "552 5.3.4 Message header too large" in reply_text(replies)
    log = headers.daemon.read_log()
    assert log.count("BIG1: ") == 1, log
    assert ("BIG1: warning: more than 1000 headers or 524288 bytes of headers: "
            "rejected (on_oversize = reject)") in log
    # The headers kept are bounded (512 KiB); the rest is not stored.
    assert processes.peak_memory_kb(headers.daemon.process) - before < 8 * 1024
    assert_still_works(headers)


def test_oversized_headers_can_pass_unchanged(headers):
    headers.start("on_oversize = accept\n")
    block = GOOD[:1] + [("X-N", f" {i}") for i in range(1001)]
    replies = run_message(headers, "BIG2", block)
    assert replies == [("a", b"")], replies
    headers.daemon.wait_for_log("BIG2: warning: more than 1000 headers or "
                                "524288 "
                                "bytes of headers: passed unchanged")


def test_bare_lf_in_a_value_becomes_a_space(headers):
    headers.start()
    replies = run_message(headers, "LF1", GOOD + [("X-Bad", " a\nb")])
    assert ("m", b"\0\0\0\x01X-Bad\0 a b\0") in replies, replies
    headers.daemon.wait_for_log("LF1: normalized: repaired X-Bad (bare CR "
                                "or LF)")


def test_nul_in_a_header_closes_only_that_connection(headers):
    """A header packet cannot carry a NUL: the milter protocol's strings
    end at one. The engine ends that connection, logged; the MTA applies
    milter_default_action (tempfail) to that message."""
    headers.start()
    connection = connect(headers)
    connection.macros("M", {"i": "NUL1"})
    connection.step("M", b"<a@example.com>\0")
    connection.send("L", b"X-Nul\0a\0b\0")
    with pytest.raises(ConnectionError):
        connection.receive()
    headers.daemon.wait_for_log("closing an MTA connection: malformed "
                                "header packet")
    assert_still_works(headers)


def test_header_block_with_no_body(headers):
    headers.start()
    replies = run_message(headers, "NOBODY1", GOOD[:4], body=b"")
    assert replies[-1][0] == "a", replies
    headers.daemon.wait_for_log("NOBODY1: normalized: added Message-ID")


def test_refusal_reaches_the_mta(headers):
    headers.start()
    replies = run_message(headers, "DUP1", GOOD + [("From", " b@x.org")])
    assert replies[-1][0] == "y"
    assert reply_text(replies).startswith(
        "550 5.7.1 Message has more than one From header")
