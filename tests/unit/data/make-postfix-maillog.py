#!/usr/bin/python3
"""Make postfix-3.7.maillog: the log of a private Postfix, real lines.

Run as root from the top of the source tree (it uses the integration
harness): /usr/bin/python3 tests/unit/data/make-postfix-maillog.py OUT

A private Postfix (tests/integration/harness/postfix.py) relays to an SMTP
server on loopback that answers per recipient (its local part says how),
and the script waits in the log for each outcome:
- a multi-recipient message with mixed outcomes: accepted, refused at
  RCPT with 550 5.1.1, 552 5.2.2 and a 550 5.7.1 reply full of
  parentheses, commas and '=', deferred once then delivered, and one to
  a discard: transport; one through sendmail(1) to an error: transport;
- a recipient deferred (450 4.2.1) then bounced (550 5.1.1), with the
  sender's non-delivery notification;
- a recipient that always answers 450 until the message expires
  (maximal_queue_lifetime and bounce_queue_lifetime 20s), after a delay
  notification (delay_warning_time 4s);
- a success notification (NOTIFY=SUCCESS, the server offers no DSN);
- a message held at RCPT and deleted with postsuper -d;
- an XCLIENT login (sasl_method=XCLIENT, sasl_username=) on a second smtpd
  with syslog_name=postfix/submission;
- Message-ID headers without brackets and empty, and none (cleanup adds
  one);
- the same again with enable_long_queue_ids = yes.
"""
import os
import re
import smtplib
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "integration"))
from aiosmtpd.controller import Controller  # noqa: E402
from harness import ports  # noqa: E402
from harness.postfix import PrivatePostfix  # noqa: E402

REPLIES = {
    "unknown": "550 5.1.1 <{a}>: Recipient address rejected: User unknown",
    "full": "552 5.2.2 <{a}>: mailbox full (quota 100%, used=104857600)",
    "block": "550 5.7.1 Service unavailable; client [127.0.0.1] blocked "
             "using zen.example (see https://example.org/q?ip=127.0.0.1, "
             "code=5 (listed))",
    "busy": "450 4.2.1 <{a}>: mailbox busy, try again later",
}


class Handler:
    def __init__(self):
        self.attempts = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@")[0].lower()
        with self.lock:
            self.attempts[address] = self.attempts.get(address, 0) + 1
            attempt = self.attempts[address]
        kind = re.sub(r"[0-9]+$", "", local)
        if kind in REPLIES:
            return REPLIES[kind].format(a=address)
        if kind == "later" and attempt == 1:
            return REPLIES["busy"].format(a=address)
        if kind == "badlater":
            if attempt == 1:
                return REPLIES["busy"].format(a=address)
            return REPLIES["unknown"].format(a=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: queued as test"


def message(subject, message_id="default"):
    lines = ["From: sender@example.com", "To: list@example.net",
             f"Subject: {subject}"]
    if message_id == "default":
        lines.append(f"Message-ID: <{subject.replace(' ', '-')}"
                     "@app.example.com>")
    elif message_id is not None:
        lines.append(f"Message-ID:{message_id}")
    return "\r\n".join(lines) + "\r\n\r\nA test message.\r\n"


def send(port, recipients, subject, message_id="default", login=None,
         notify=None):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("app.example.com")
        if login:
            code, _ = client.docmd("XCLIENT", f"LOGIN={login}")
            assert code == 220, code
            client.ehlo("app.example.com")
        options = [f"NOTIFY={notify}"] if notify else []
        client.mail("sender@example.com")
        for recipient in recipients:
            code, reply = client.rcpt(recipient, options)
            assert code in (250, 251), (recipient, code, reply)
        code, reply = client.data(message(subject, message_id))
        assert code == 250, reply
        return reply.decode().split()[-1]


def sendmail(postfix, recipient, subject):
    """Submit through sendmail(1) and pickup; the queue ID from the log."""
    subprocess.run(["sendmail", "-C", postfix.config_directory, "-f",
                    "sender@example.com", recipient],
                   input=message(subject).replace("\r\n", "\n"), text=True,
                   check=True)
    match = postfix.wait_for_log(
        rf"([0-9A-Za-z]+): message-id=<{subject.replace(' ', '-')}@")
    return match.group(1)


def main():
    out = sys.argv[1]
    handler = Handler()
    server_port = ports.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=server_port)
    controller.start()
    submission_port = ports.free_port()
    postfix = PrivatePostfix(server_port, settings={
        "transport_maps": "inline:{ { nodomain.example = error:5.1.2 "
                          "no such domain here }, { discard.example = "
                          "discard: } }",
        "smtpd_authorized_xclient_hosts": "127.0.0.0/8",
        "smtpd_recipient_restrictions":
            "check_recipient_access inline:{hold@example.net=HOLD}",
        "maximal_queue_lifetime": "20s",
        "bounce_queue_lifetime": "20s",
        "delay_warning_time": "4s",
        "smtp_connection_cache_on_demand": "yes",
    }, master_extra=f"127.0.0.1:{submission_port} inet n - n - - smtpd "
                    "-o syslog_name=postfix/submission\n")
    postfix.start()
    try:
        for long_ids in (False, True):
            if long_ids:
                postfix.postconf(enable_long_queue_ids="yes")
                time.sleep(2)
            tag = "long" if long_ids else "short"
            mixed = send(postfix.port, [
                "ok1@example.net", "unknown@example.net", "full@example.net",
                "block@example.net", "later@example.net",
                "ok2@discard.example"], f"mixed {tag}")
            error = sendmail(postfix, "x@nodomain.example", f"error {tag}")
            send(postfix.port, ["ok3@example.net"], f"no brackets {tag}",
                 message_id=" no-brackets-here@example.com")
            send(postfix.port, ["ok4@example.net"], f"empty id {tag}",
                 message_id="")
            send(postfix.port, ["ok5@example.net"], f"no id {tag}",
                 message_id=None)
            send(submission_port, ["ok6@example.net"], f"login {tag}",
                 login="alice@example.com")
            send(postfix.port, ["ok7@example.net"], f"success {tag}",
                 notify="SUCCESS")
            for n in range(3):
                send(postfix.port, [f"ok{10 + n}@example.net"],
                     f"reuse {tag} {n}")
            bad = send(postfix.port, ["badlater@example.net"],
                       f"deferred then bounced {tag}")
            busy = send(postfix.port, ["busy@example.net"], f"expires {tag}")
            held = send(postfix.port, ["hold@example.net"], f"held {tag}")
            postfix.wait_for_log(rf"{mixed}: removed", timeout=60)
            postfix.wait_for_log(rf"{bad}: removed", timeout=60)
            postfix.wait_for_log(rf"{error}: removed", timeout=60)
            postfix.wait_for_log(rf"{held}: message-id=", timeout=60)
            time.sleep(1)
            subprocess.run(["postsuper", "-c", postfix.config_directory,
                            "-d", held], check=True)
            postfix.wait_for_log(rf"{busy}: from=<[^>]*>, status=expired",
                                 timeout=90)
            postfix.wait_for_log(rf"{busy}: removed", timeout=60)
            time.sleep(3)
    finally:
        log = postfix.log()
        postfix.stop()
        controller.stop()
        # The instance's temp dir is the machine's, not the fixture's.
        with open(out, "w") as f:
            f.write(log.replace(postfix.directory, "/srv/postfix-test"))


if __name__ == "__main__":
    main()
