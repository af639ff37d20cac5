"""waypost-headers through a real Postfix, in front of waypost-dkim.

The corpus (headers_corpus.py) goes through one Postfix with both
milters, headers first, over SMTP (swaks) or the sendmail command: the
sink must receive the normalized message, the log must name each change
with Postfix's queue ID, and python3-dkim must verify the signature,
whose h= covers the Date and Message-ID waypost-headers may have added.
"""
import email.header
import os
import re
import signal
import smtplib
import subprocess
import time
import uuid

import pytest

from conftest import program
from harness import dkim_keys, tempdir
from harness.metrics_scrape import (check_with_promtool, family_samples,
                                     get, sample, wait_for_sample)
from harness.ports import free_port
from harness.postfix import PrivatePostfix
from harness.sink import Sink
from harness.smtp_clients import accepted, swaks
from harness.waypost import DkimSetup, HeadersSetup, postfix_milter_settings
from headers_corpus import CASES

HEADERS = "milters/headers/waypost-headers"
DKIM = "milters/dkim/waypost-dkim"


class Stack:
    """Sink, both milters and Postfix, shared by the corpus cases."""

    def __init__(self):
        self.directory = tempdir.make_dir("headers")
        self.keys = dkim_keys.KeyStore(self.directory)
        self.sink = Sink().start()
        self.headers = HeadersSetup(program(HEADERS), self.directory)
        self.dkim = DkimSetup(program(DKIM), self.directory, self.keys)
        rsa = self.keys.generate("s1", "example.com", "rsa")
        self.dkim.write_tables([self.dkim.key_line("rsa", rsa)],
                               ["*@example.com rsa"])
        self.settings = None
        self.reloads = 0
        self.headers.start()
        self.dkim.start()
        settings = postfix_milter_settings(
            f"{self.headers.milter}, {self.dkim.milter}")
        # Postfix adds Date and Message-ID itself for clients on its own
        # interfaces; here the milter must.
        settings["local_header_rewrite_clients"] = ""
        self.postfix = PrivatePostfix(self.sink.port, settings).start()

    def use(self, settings):
        """The [headers] lines for the next message: SIGHUP to change."""
        if settings == self.settings:
            return
        self.headers.daemon.write_config(self.headers.config_text(settings))
        self.headers.daemon.signal(signal.SIGHUP)
        self.reloads += 1
        self.headers.daemon.wait_for_log("reloaded", count=self.reloads)
        self.settings = settings

    def stop(self):
        self.postfix.stop()
        self.headers.stop()
        self.dkim.stop()
        self.sink.stop()
        tempdir.remove_dir(self.directory)


@pytest.fixture(scope="module")
def stack():
    running = Stack()
    running.use("")
    yield running
    running.stop()


def new_token():
    return "hdr-" + uuid.uuid4().hex


def message(headers, token):
    return (headers + b"To: user@example.net\r\n\r\n"
            b"body of " + token.encode() + b"\r\n")


def sendmail(postfix, data, sender="app@example.com"):
    return subprocess.run(
        ["sendmail", "-f", sender, "user@example.net"],
        input=data.replace(b"\r\n", b"\n"),
        env={**os.environ, "MAIL_CONFIG": postfix.config_directory},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)


def unfolded(delivery, name):
    return [re.sub(r"\r\n(?=[ \t])", "", value)
            for value in delivery.header_values(name)]


def signed_headers(delivery):
    signature = delivery.header_values("DKIM-Signature")[0]
    tags = dict(part.strip().split("=", 1) for part in
                "".join(signature.split()).split(";") if "=" in part)
    return tags["h"].split(":")


def queue_id(delivery):
    """Postfix's queue ID, from its own Received header (the first)."""
    return re.search(r"\sid ([0-9A-F]+)", unfolded(delivery, "Received")[0]
                     ).group(1)


def check_delivery(stack, case, delivery):
    assert stack.keys.verify(delivery.content) == [True]
    covered = signed_headers(delivery)
    assert "date" in covered and "message-id" in covered
    for name, values in case.values.items():
        assert unfolded(delivery, name) == values, name
    for name, text in case.contains.items():
        assert any(text in value for value in unfolded(delivery, name)), \
            (name, unfolded(delivery, name))
    for name in case.absent:
        assert unfolded(delivery, name) == [], name
    for name, text in case.decoded.items():
        value = unfolded(delivery, name)[0]
        assert str(email.header.make_header(
            email.header.decode_header(value))) == text
    for line in delivery.headers.split(b"\r\n"):
        assert len(line) <= 998
        assert max(line) < 128, line
    for name in ("Date", "Message-ID", "From", "Subject"):
        assert len(unfolded(delivery, name)) <= 1, name
    if case.changes:
        line = f"{queue_id(delivery)}: normalized: "
        stack.headers.daemon.wait_for_log(line)
        logged = [entry for entry in stack.headers.daemon.read_log()
                  .splitlines() if line in entry][0]
        for change in case.changes:
            assert change in logged, logged


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_corpus(stack, case):
    stack.use(case.settings)
    token = new_token()
    data = message(case.headers, token)
    if case.via == "sendmail":
        result = sendmail(stack.postfix, data)
        assert result.returncode == 0, result.stdout
    else:
        result = swaks(stack.postfix.port, data=data)
        output = result.stdout.decode("utf-8", "replace")
        if case.refused:
            assert not accepted(result)
            assert f"550 {case.refused}" in output, output
            stack.headers.daemon.wait_for_log(f"rejected: 550 {case.refused}")
            return
        assert accepted(result), output
    check_delivery(stack, case, stack.sink.find(token.encode(), timeout=40))


def test_corpus_size():
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


def test_smtputf8_mail_keeps_utf8_headers(stack):
    """A client that asks for SMTPUTF8 may send UTF-8 headers: nothing to
    encode (RFC 6532), and the next hop is asked for SMTPUTF8 too."""
    stack.use("")
    token = new_token()
    data = message(BASE_UTF8, token)
    with smtplib.SMTP("127.0.0.1", stack.postfix.port, timeout=30) as smtp:
        smtp.sendmail("app@example.com", ["user@example.net"], data,
                      mail_options=["SMTPUTF8"])
    delivery = stack.sink.find(token.encode(), timeout=40)
    assert "Grüße".encode() in delivery.headers
    assert "SMTPUTF8" in delivery.mail_options
    assert stack.keys.verify(delivery.content) == [True]


BASE_UTF8 = ("From: App <app@example.com>\r\n"
             "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
             "Message-ID: <u1@example.com>\r\n"
             "Subject: Grüße\r\n").encode()


def test_sendmail_utf8_is_still_smtputf8_after_encoding(stack):
    """What Postfix 3.7 does with sendmail-submitted UTF-8 headers that the
    milter encoded: the queue file keeps the SMTPUTF8 request it set on
    submission (smtputf8_autodetect_classes), so the next hop is still
    asked for SMTPUTF8, though the headers are ASCII now. Documented in
    waypost-headers(8); this test says when Postfix changes it."""
    stack.use("")
    token = new_token()
    result = sendmail(stack.postfix, message(BASE_UTF8, token))
    assert result.returncode == 0, result.stdout
    delivery = stack.sink.find(token.encode(), timeout=40)
    assert max(delivery.headers) < 128
    assert "SMTPUTF8" in delivery.mail_options


def test_report_only_changes_nothing(stack):
    stack.use("report_only = yes\ndiffering_duplicates = reject")
    token = new_token()
    headers = (b"From: App <app@example.com>\r\nSubject: report\r\n"
               b"X-Mailer: PHPMailer\r\nCc: a@example.net\r\n"
               b"Cc: b@example.net\r\n")
    result = swaks(stack.postfix.port, data=message(headers, token))
    assert accepted(result)
    delivery = stack.sink.find(token.encode(), timeout=40)
    assert len(unfolded(delivery, "Cc")) == 2
    assert unfolded(delivery, "X-Mailer") == ["PHPMailer"]
    assert unfolded(delivery, "Date") == []
    stack.headers.daemon.wait_for_log(
        f"{queue_id(delivery)}: report only: would have rejected: 550 5.7.1 "
        "Message has more than one Cc header")
    token = new_token()
    result = swaks(stack.postfix.port, data=message(headers[:-22], token))
    delivery = stack.sink.find(token.encode(), timeout=40)
    assert unfolded(delivery, "X-Mailer") == ["PHPMailer"]
    stack.headers.daemon.wait_for_log(
        f"{queue_id(delivery)}: report only: would have added Message-ID, "
        "added Date, removed X-Mailer")
    stack.use("")


def test_added_headers_are_signed_and_sit_below_the_top(stack):
    """Inserted at index 1: just below Postfix's own Received header,
    which milters do not see, so it stays first."""
    stack.use("")
    token = new_token()
    result = swaks(stack.postfix.port, data=message(
        b"From: App <app@example.com>\r\nSubject: s\r\n", token))
    assert accepted(result)
    delivery = stack.sink.find(token.encode(), timeout=40)
    names = [line.split(b":", 1)[0].decode() for line in
             delivery.headers.split(b"\r\n") if line[:1] not in (b" ", b"\t")]
    assert names[:5] == ["DKIM-Signature", "Received", "Message-ID",
                         "Date", "From"], names
    assert signed_headers(delivery).count("date") >= 1
    assert signed_headers(delivery).count("message-id") >= 1


RULES = ["syntax", "duplicates", "check_from", "from_ownership", "message_id",
         "date", "privacy", "trust_headers", "list_unsubscribe",
         "encode_8bit", "fold_long_lines"]
REFUSAL_REASONS = RULES + ["oversize", "shutting_down", "not_ready",
                           "mta_refused", "identities_unavailable"]


def repairs(rule):
    return f'waypost_headers_repairs_total{{rule="{rule}"}}'


def refusals(reason):
    return f'waypost_headers_refusals_total{{reason="{reason}"}}'


def messages(result):
    return f'waypost_milter_messages_total{{result="{result}"}}'


@pytest.fixture
def metrics_relay(workdir, postfix_factory):
    """waypost-headers alone, with metrics, then a Postfix that uses it:
    (setup, port, postfix)."""
    setup = HeadersSetup(program(HEADERS), workdir)
    port = free_port()
    setup.start(f"metrics = inet:{port}@127.0.0.1\n")
    yield setup, port, lambda: postfix_factory({
        **postfix_milter_settings(setup.milter),
        "local_header_rewrite_clients": ""})
    setup.stop()


def test_metrics_count_repairs_by_rule_and_refusals(metrics_relay, sink):
    """Every rule and reason at 0 in the first scrape; then a message that
    two rules repair (Message-ID and Date added), a clean one, and one
    refused for a second From move exactly those counters."""
    setup, port, start_postfix = metrics_relay
    status, _, before = get(port, "/metrics")
    assert status == 200
    check_with_promtool(before)
    assert family_samples(before, "waypost_headers_repairs_total") == {
        repairs(rule): 0 for rule in RULES}
    assert family_samples(before, "waypost_headers_refusals_total") == {
        refusals(reason): 0 for reason in REFUSAL_REASONS}
    assert sample(before, "waypost_milter_connections_total") == 0
    # Without Redis for identities, nothing to wait for.
    assert get(port, "/readyz")[::2] == (200, "ready\n")

    postfix = start_postfix()
    # Its start-up probe (harness/ports.py) is an SMTP session, which
    # opens a milter connection.
    wait_for_sample(port, "waypost_milter_connections_total", 1)
    wait_for_sample(port, "waypost_milter_connections_open", 0)
    repaired, clean = new_token(), new_token()
    assert accepted(swaks(postfix.port, data=message(
        b"From: App <app@example.com>\r\nSubject: two rules\r\n",
        repaired)))
    assert accepted(swaks(postfix.port, data=message(BASE_UTF8.replace(
        "Grüße".encode(), b"clean"), clean)))
    refused = swaks(postfix.port, data=message(
        b"From: App <app@example.com>\r\nFrom: ceo@example.com\r\n"
        b"Subject: two From\r\n", new_token()))
    assert "550 5.7.1 Message has more than one From header" in \
        refused.stdout.decode()
    delivery = sink.find(repaired.encode(), timeout=40)
    assert len(unfolded(delivery, "Message-ID")) == 1
    assert len(unfolded(delivery, "Date")) == 1
    sink.find(clean.encode(), timeout=40)

    after = wait_for_sample(port, "waypost_milter_connections_open", 0)
    check_with_promtool(after)
    assert family_samples(after, "waypost_headers_repairs_total") == {
        repairs(rule): 1 if rule in ("message_id", "date") else 0
        for rule in RULES}
    assert family_samples(after, "waypost_headers_refusals_total") == {
        refusals(reason): 1 if reason == "duplicates" else 0
        for reason in REFUSAL_REASONS}
    assert sample(after, messages("accept")) == 2
    assert sample(after, messages("reject")) == 1
    assert sample(after, messages("tempfail")) == 0
    assert sample(after, "waypost_milter_connections_total") == 1 + 3
    assert sample(after,
                  "waypost_milter_message_duration_seconds_count") == 3


def wait_for_readiness(port, status, timeout=20):
    """The /readyz body once it answers status."""
    deadline = time.monotonic() + timeout
    while True:
        answer = get(port, "/readyz")
        if answer[0] == status:
            return answer[2]
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz is not {status}: {answer}")
        time.sleep(0.05)


def test_readiness_follows_redis(workdir, redis_server):
    """With sender identities in Redis, /readyz says whether Redis
    answers, without mail to ask it."""
    setup = HeadersSetup(program(HEADERS), workdir)
    port = free_port()
    try:
        setup.start(f"metrics = inet:{port}@127.0.0.1\n"
                    "from_ownership = reject\n"
                    f"[redis]\naddress = {redis_server.address}\n"
                    "connect_timeout = 1s\ntimeout = 1s\n")
        assert wait_for_readiness(port, 200) == "ready\n"
        redis_server.process.send_signal(signal.SIGKILL)
        redis_server.process.wait()
        assert "redis" in wait_for_readiness(port, 503)
        assert get(port, "/healthz")[0] == 200
        redis_server.restart()
        assert wait_for_readiness(port, 200) == "ready\n"
    finally:
        setup.stop()
