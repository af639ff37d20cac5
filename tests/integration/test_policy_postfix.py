"""waypost-policyd behind a real Postfix: check_policy_service at RCPT and
at END-OF-DATA, mail sent with swaks, delivered to the sink or not."""
import uuid

import pytest

from harness.smtp_clients import accepted, swaks


@pytest.fixture
def relay_with(policyd, postfix_factory):
    """relay_with(at_rcpt): Postfix asking at END-OF-DATA, and at RCPT
    too when at_rcpt."""
    def make(at_rcpt):
        setup = policyd({
            "messages": "subject = sender\nwindow = 1h\nmax = 2",
            "recipients": "subject = sender_domain\ncount = recipients\n"
                          "window = 1h\nmax = 5"})
        service = f"check_policy_service {setup.service}"
        settings = {
            "smtpd_end_of_data_restrictions": service,
            "smtpd_policy_service_default_action": "451 4.3.5 policy "
                                                   "service unavailable",
        }
        if at_rcpt:
            settings["smtpd_recipient_restrictions"] = \
                f"permit_mynetworks, {service}"
        return postfix_factory(settings), setup

    return make


def send(postfix, sender, recipients):
    token = "pol-" + uuid.uuid4().hex
    data = (f"From: {sender}\r\nTo: {recipients[0]}\r\nSubject: {token}\r\n"
            f"\r\nbody {token}\r\n").encode()
    result = swaks(postfix.port, sender=sender, to=",".join(recipients),
                   data=data)
    return token, result


def over_the_limit(postfix, setup, sink):
    """Two messages from one sender pass, the third's reply."""
    for _ in range(2):
        token, result = send(postfix, "app@example.com", ["u@example.net"])
        assert accepted(result), result.stdout.decode()
        sink.find(token.encode())
    token, result = send(postfix, "app@example.com", ["u@example.net"])
    assert not accepted(result)
    setup.daemon.wait_for_log("limit messages: app@example.com at 2 of 2")
    # Another sender is not held back.
    other, accepted_result = send(postfix, "other@example.org",
                                  ["u@example.net"])
    assert accepted(accepted_result), accepted_result.stdout.decode()
    return result.stdout.decode()


def test_the_message_over_the_limit_is_deferred_at_end_of_data(
        relay_with, sink):
    output = over_the_limit(*relay_with(at_rcpt=False), sink)
    # swaks: "<** 450 4.7.1 ...: End-of-data rejected: DEFER... messages
    # exceeded" after the dot.
    after_dot = output.split("~> .")[-1]
    assert "450 4.7.1" in after_dot, output
    assert "messages exceeded, try again in" in after_dot, output


def test_at_rcpt_a_sender_at_its_maximum_is_refused_early(relay_with, sink):
    output = over_the_limit(*relay_with(at_rcpt=True), sink)
    # The RCPT check (read only) refuses before any DATA is sent.
    assert "~> DATA" not in output, output
    assert "450 4.7.1" in output and "messages exceeded" in output, output


def test_a_message_counts_its_recipients(relay_with, sink):
    postfix, setup = relay_with(at_rcpt=True)
    rcpts = ["a@example.net", "b@example.net", "c@example.net"]
    token, result = send(postfix, "news@example.com", rcpts)
    assert accepted(result), result.stdout.decode()
    sink.find(token.encode())
    # 3 more would make 6 of 5: each RCPT passes the check, end of DATA
    # refuses (450), and the message is not delivered.
    token, result = send(postfix, "alerts@example.com", rcpts)
    output = result.stdout.decode()
    assert not accepted(result)
    assert "450 4.7.1" in output and "recipients exceeded" in output, output
    assert "End-of-data" in output or "end of data" in output.lower(), output
    setup.daemon.wait_for_log("limit recipients: example.com at 3 of 5")
    # Two fit.
    token, result = send(postfix, "alerts@example.com", rcpts[:2])
    assert accepted(result), result.stdout.decode()
