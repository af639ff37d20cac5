"""The webhook receiver waypost-hookd's tests trust: it accepts requests
signed as Standard Webhooks says (signed here with the openssl command),
refuses the others with 401, serves HTTPS under its own CA only, and
answers, hangs and counts as a test programs it."""
import base64
import http.client
import json
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from harness.waiting import wait_until
from harness.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
NEW_SECRET = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()
EVENT_ID = "1A2B3C4D5E.1733050000.1.2"


def event(event_id=EVENT_ID, kind="delivered"):
    return {"id": event_id, "type": kind, "time": "2024-12-01T10:46:40Z",
            "queue_id": event_id.split(".")[0],
            "recipient": "r@example.net", "tenant": "app@example.com"}


def hmac_sha256(secret, content):
    """HMAC-SHA256 of content by openssl, base64: not the receiver's
    code."""
    key = base64.b64decode(secret[len("whsec_"):]).hex()
    mac = subprocess.run(
        ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt",
         f"hexkey:{key}", "-binary"],
        input=content, capture_output=True, check=True).stdout
    assert len(mac) == 32
    return base64.b64encode(mac).decode()


def signed(body, secrets=(SECRET,), webhook_id="msg_" + EVENT_ID,
           timestamp=None):
    """Standard Webhooks headers signing body with each of secrets."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return {"Content-Type": "application/json", "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": " ".join(
                "v1," + hmac_sha256(secret, content) for secret in secrets)}


def post(url, body, headers, context=None, timeout=10):
    """(status, headers, body) of a POST, whatever the status; no proxy."""
    handlers = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, data=body, headers=headers,
                                     method="POST")
    try:
        with urllib.request.build_opener(*handlers).open(
                request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def post_event(receiver, body=None, **signing):
    body = json.dumps(event()).encode() if body is None else body
    return post(receiver.url(), body, signed(body, **signing))[0]


@pytest.fixture
def receiver(workdir):
    with WebhookReceiver(workdir, [SECRET]) as server:
        yield server


def test_signed_post_is_accepted(receiver):
    body = json.dumps(event()).encode()
    before = time.monotonic()
    status, headers, answer = post(receiver.url(), body, signed(body))
    assert (status, answer) == (200, b"ok\n")
    assert headers["Content-Length"] == "3"
    [request] = receiver.requests()
    assert (request.method, request.path, request.body) == ("POST", "/hook",
                                                            body)
    assert request.headers["webhook-id"] == "msg_" + EVENT_ID
    assert request.headers["content-type"] == "application/json"
    assert request.webhook_id == "msg_" + EVENT_ID
    assert abs(request.timestamp - time.time()) < 60
    assert (request.valid, request.reason, request.status) == (True, None,
                                                               200)
    assert request.signature_count == 1
    assert before <= request.received_monotonic <= time.monotonic()
    assert abs(request.received - time.time()) < 60
    assert request.events == [event()]
    assert receiver.events() == [event()]
    assert receiver.event_ids() == [EVENT_ID]
    assert receiver.duplicates() == {}


def test_wrong_secret_is_refused(receiver):
    assert post_event(receiver, secrets=(NEW_SECRET,)) == 401
    [request] = receiver.requests()
    assert (request.valid, request.status) == (False, 401)
    assert "secret" in request.reason
    assert receiver.events() == []


def test_tampered_body_is_refused(receiver):
    body = json.dumps(event()).encode()
    headers = signed(body)
    tampered = body.replace(b"delivered", b"bounced")
    assert post(receiver.url(), tampered, headers)[0] == 401
    assert receiver.requests()[0].body == tampered
    assert receiver.events() == []


@pytest.mark.parametrize("offset", [-301, -3600, 301])
def test_timestamp_off_by_more_than_5_minutes_is_refused(receiver, offset):
    assert post_event(receiver, timestamp=int(time.time()) + offset) == 401
    [request] = receiver.requests()
    assert not request.valid
    assert "timestamp" in request.reason
    assert receiver.events() == []


def test_missing_headers_are_refused(receiver):
    body = json.dumps(event()).encode()
    for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        headers = signed(body)
        del headers[missing]
        assert post(receiver.url(), body, headers)[0] == 401
    assert [r.status for r in receiver.requests()] == [401, 401, 401]
    assert receiver.events() == []


def test_a_later_signature_may_match(receiver):
    body = json.dumps(event()).encode()
    headers = signed(body, secrets=(NEW_SECRET, SECRET))
    assert post(receiver.url(), body, headers)[0] == 200
    assert receiver.requests()[0].signature_count == 2
    assert receiver.event_ids() == [EVENT_ID]


def test_other_signature_versions_are_passed_over(receiver):
    body = json.dumps(event()).encode()
    headers = signed(body)
    headers["webhook-signature"] = ("v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhq "
                                    "v2," + headers["webhook-signature"][3:]
                                    + " " + headers["webhook-signature"])
    assert post(receiver.url(), body, headers)[0] == 200
    assert receiver.requests()[0].signature_count == 3


def test_secret_rotation_at_run_time(receiver):
    receiver.set_secrets([NEW_SECRET])
    assert post_event(receiver, secrets=(SECRET,)) == 401
    assert post_event(receiver, secrets=(SECRET, NEW_SECRET)) == 200
    assert [r.signature_count for r in receiver.requests()] == [1, 2]
    assert receiver.event_ids() == [EVENT_ID]


def test_body_that_is_not_json_is_refused(receiver):
    assert post_event(receiver, body=b"not json") == 400
    assert "not JSON" in receiver.requests()[0].reason
    assert receiver.events() == []


def test_batch_records_each_event(receiver):
    batch = [event(f"1A2B3C4D5E.1733050000.1.{n}") for n in (1, 2, 3)]
    assert post_event(receiver, body=json.dumps(batch).encode()) == 200
    assert len(receiver.requests()) == 1
    assert receiver.requests()[0].events == batch
    assert receiver.wait_for_events(3, timeout=1) == batch
    assert receiver.event_ids() == [e["id"] for e in batch]


def test_duplicates_count_ids_accepted_again(receiver):
    other = "1A2B3C4D5E.1733050000.2.2"
    assert post_event(receiver) == 200
    assert post_event(receiver, body=json.dumps([event(), event(other)])
                      .encode()) == 200
    receiver.answer(500)
    assert post_event(receiver) == 500
    assert receiver.duplicates() == {EVENT_ID: 2}
    assert receiver.event_ids() == [EVENT_ID, EVENT_ID, other]


def test_https_with_the_ca_file(workdir):
    with WebhookReceiver(workdir, [SECRET], tls=True) as receiver:
        assert receiver.url() == f"https://127.0.0.1:{receiver.port}/hook"
        body = json.dumps(event()).encode()
        context = ssl.create_default_context(cafile=receiver.ca_file)
        context.verify_flags |= ssl.VERIFY_X509_STRICT  # a proper chain
        status, _, answer = post(receiver.url(), body, signed(body),
                                 context=context)
        assert (status, answer) == (200, b"ok\n")
        assert receiver.event_ids() == [EVENT_ID]
        assert receiver.tls_failures() == 0


def test_https_refused_by_a_client_trusting_another_ca(workdir):
    with WebhookReceiver(workdir, [SECRET], tls=True) as receiver:
        other = receiver.other_ca_file()
        assert other != receiver.ca_file
        body = json.dumps(event()).encode()
        context = ssl.create_default_context(cafile=other)
        with pytest.raises(urllib.error.URLError) as refused:
            post(receiver.url(), body, signed(body), context=context)
        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
        wait_until(lambda: receiver.tls_failures() == 1, 10,
                   "the receiver saw the failed handshake")
        assert receiver.requests() == []


def test_plain_http_url(receiver):
    assert receiver.url() == f"http://127.0.0.1:{receiver.port}/hook"
    assert receiver.url("/other").endswith(f":{receiver.port}/other")
    assert receiver.ca_file is None


def test_answer_until_then_200(receiver):
    receiver.answer_until(500, 1.0)
    statuses = []

    def flipped():
        statuses.append(post_event(receiver))
        return statuses[-1] == 200

    wait_until(flipped, 30, "answer_until(500, 1.0) came to answer 200")
    assert statuses[0] == 500
    assert set(statuses[:-1]) == {500}
    assert [r.status for r in receiver.requests()] == statuses
    assert receiver.event_ids() == [EVENT_ID]


def test_answer_with_a_function(receiver):
    answers = iter([410, (503, {"Retry-After": "7"}), 202])
    receiver.answer_with(lambda request: next(answers))
    body = json.dumps(event()).encode()
    gone = post(receiver.url(), body, signed(body))
    busy = post(receiver.url(), body, signed(body))
    assert (gone[0], busy[0]) == (410, 503)
    assert busy[1]["Retry-After"] == "7"
    for answer in (gone, busy):
        assert int(answer[1]["Content-Length"]) == len(answer[2]) < 100
    assert post(receiver.url(), body, signed(body))[0] == 202
    assert [r.status for r in receiver.requests()] == [410, 503, 202]
    assert receiver.event_ids() == [EVENT_ID]


def test_keep_alive_and_stop_closes_the_connection(receiver):
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port,
                                            timeout=10)
    body = json.dumps(event()).encode()
    for _ in range(2):
        connection.request("POST", "/hook", body, signed(body))
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"ok\n")
        assert response.getheader("Content-Length") == "3"
        assert not response.will_close
    assert [r.connection for r in receiver.requests()] == [1, 1]
    assert receiver.connection_count() == 1
    assert post_event(receiver) == 200
    assert [r.connection for r in receiver.requests()] == [1, 1, 2]
    receiver.stop()
    with pytest.raises((http.client.HTTPException, OSError)):
        connection.request("POST", "/hook", body, signed(body))
        connection.getresponse()
    connection.close()
    assert len(receiver.requests()) == 3
    wait_until(lambda: receiver.open_connections() == 0, 10,
               "every connection's thread ended")


def test_chunked_body(receiver):
    body = json.dumps([event(), event("1A2B3C4D5E.1733050000.2.2")]).encode()
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port,
                                            timeout=10)
    connection.request("POST", "/hook", iter([body[:10], body[10:]]),
                       signed(body), encode_chunked=True)
    assert connection.getresponse().status == 200
    connection.close()
    assert receiver.requests()[0].headers["transfer-encoding"] == "chunked"
    assert receiver.requests()[0].body == body
    assert len(receiver.events()) == 2


def test_expect_100_continue(receiver):
    body = json.dumps(event()).encode()
    head = "".join(f"{name}: {value}\r\n"
                   for name, value in signed(body).items())
    with socket.create_connection(("127.0.0.1", receiver.port),
                                  timeout=10) as client:
        client.sendall(f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                       f"Content-Length: {len(body)}\r\n"
                       "Expect: 100-continue\r\n\r\n".encode())
        replies = client.makefile("rb")
        assert replies.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert replies.readline() == b"\r\n"
        client.sendall(body)
        assert replies.readline() == b"HTTP/1.1 200 OK\r\n"
    assert receiver.event_ids() == [EVENT_ID]


def test_stopped_then_started_again(receiver):
    assert post_event(receiver) == 200
    receiver.stop()
    with pytest.raises(urllib.error.URLError):
        post_event(receiver)
    receiver.start()
    assert post_event(receiver) == 200
    assert receiver.event_ids() == [EVENT_ID, EVENT_ID]
    assert receiver.duplicates() == {EVENT_ID: 2}


def held_post(receiver, outcome):
    """POST an event in a thread; outcome gets its status or error."""
    def run():
        try:
            outcome.append(post_event(receiver))
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_hang_then_stop_returns_promptly(receiver):
    receiver.hang()
    outcome = []
    thread = held_post(receiver, outcome)
    [request] = receiver.wait_for_requests(1, timeout=10)
    assert request.status is None
    assert outcome == []
    started = time.monotonic()
    receiver.stop()
    assert time.monotonic() - started < 3
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(outcome[0], (http.client.HTTPException, OSError))
    wait_until(lambda: receiver.open_connections() == 0, 10,
               "the held request's thread ended")
    assert receiver.events() == []


def test_answer_ends_the_hang(receiver):
    receiver.hang()
    outcome = []
    thread = held_post(receiver, outcome)
    receiver.wait_for_requests(1, timeout=10)
    receiver.answer(200)
    thread.join(10)
    assert isinstance(outcome[0], (http.client.HTTPException, OSError))
    assert post_event(receiver) == 200
    assert [r.status for r in receiver.requests()] == [None, 200]
    assert receiver.event_ids() == [EVENT_ID]


def test_wait_for_events_says_what_came(receiver):
    receiver.answer(503)
    assert post_event(receiver) == 503
    assert post_event(receiver, secrets=(NEW_SECRET,)) == 401
    with pytest.raises(TimeoutError) as timeout:
        receiver.wait_for_events(1, timeout=0.2)
    message = str(timeout.value)
    assert "0 of 1 events" in message
    assert "503" in message and "401 (none of 1 signature" in message
    with pytest.raises(TimeoutError, match="2 of 3 requests"):
        receiver.wait_for_requests(3, timeout=0.2)
