#!/usr/bin/python3
"""Capture real Postfix 3.7 log lines: the shapes make-postfix-log.py copies.

A private Postfix on 127.0.0.1 (the integration harness's PrivatePostfix,
maillog_file, STARTTLS offered on both sides with a throw-away self-signed
certificate) relays to a python3-aiosmtpd server that answers by the
recipient's local part: ok (250), defer (450 4.2.1 once, then 250),
unknown (550 5.1.1 at RCPT), blocked (550 5.7.1 at RCPT), full (552 5.2.2
at RCPT); the domain slow.example goes to a port that accepts and never
answers. Sent with swaks (one with STARTTLS): one message per outcome, a
multi-recipient message with mixed outcomes, one to slow.example that
expires (maximal_queue_lifetime 20s) and one there removed with postsuper
-d, a client dropping the connection after EHLO, a relay attempt from
127.0.0.2 (NOQUEUE reject); then a few messages with long queue IDs. The
maillog, host name, process IDs and ports as they came (the
configuration directory shown as /etc/postfix), is printed on standard
output: tests/bench/data/postfix-3.7-sample.log was made with

    /usr/bin/python3 tests/bench/capture-postfix-sample.py \\
        > tests/bench/data/postfix-3.7-sample.log

as root on Debian 12 (Postfix 3.7.11). Takes about a minute.
"""
import asyncio
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

from aiosmtpd.controller import Controller

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness import ports, tempdir  # noqa: E402
from harness.postfix import PrivatePostfix  # noqa: E402

REPLIES = {
    "unknown": "550 5.1.1 <{0}>: Recipient address rejected: User unknown "
               "in virtual mailbox table",
    "blocked": "550 5.7.1 Service unavailable, Client host [127.0.0.1] "
               "blocked using zen.spamhaus.org",
    "full": "552 5.2.2 <{0}>: Recipient address rejected: Mailbox full",
}


class Answering:
    """Answers RCPT TO by the recipient's local part; defer once."""

    def __init__(self):
        self.deferred = set()

    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@")[0].split("+")[0]
        if local in REPLIES:
            return REPLIES[local].format(address)
        if local == "defer" and address not in self.deferred:
            self.deferred.add(address)
            return "450 4.2.1 The user you are trying to contact is " \
                   "receiving mail too quickly"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: queued as " + os.urandom(6).hex().upper()


def silent_server():
    """A port that accepts and never says a word; its socket."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener


def keep_accepting(listener, held):
    """Accept and hold every connection, until the listener is closed."""
    try:
        while True:
            held.append(listener.accept()[0])
    except OSError:
        pass


def certificate(directory):
    key = os.path.join(directory, "tls.key")
    cert = os.path.join(directory, "tls.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=relay.waypost.test",
                    "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(key, 0o644)
    return key, cert


def swaks(port, recipients, *extra):
    subprocess.run(["swaks", "-s", "127.0.0.1", "-p", str(port), "-f",
                    "app@example.com", "-t", ",".join(recipients),
                    "--header", "Subject: sample", *extra],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)


def lost_connection(port):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.recv(512)
        s.sendall(b"EHLO client.example\r\n")
        time.sleep(0.3)
        s.recv(4096)


def main():
    if os.geteuid() != 0:
        sys.exit("capture-postfix-sample: run as root")
    work = tempdir.make_dir("capture")
    key, cert = certificate(work)
    sink_port = ports.free_port()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    controller = Controller(Answering(), hostname="127.0.0.1", port=sink_port,
                            tls_context=tls, ready_timeout=10)
    controller.start()
    silent = silent_server()
    held = []
    threading.Thread(target=keep_accepting, args=(silent, held),
                     daemon=True).start()
    postfix = PrivatePostfix(sink_port, settings={
        "mynetworks": "127.0.0.1/32",
        "transport_maps": "inline:{slow.example=smtp:[127.0.0.1]:%d}"
                          % silent.getsockname()[1],
        "smtpd_tls_security_level": "may",
        "smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key,
        "smtpd_tls_loglevel": "1",
        "smtp_tls_security_level": "may", "smtp_tls_loglevel": "1",
        "maximal_queue_lifetime": "20s", "bounce_queue_lifetime": "20s",
        "smtp_helo_timeout": "4s", "anvil_status_update_time": "10s",
    })
    try:
        postfix.start()
        port = postfix.port
        for local in ("ok", "defer", "unknown", "blocked", "full"):
            swaks(port, [f"{local}@example.net"])
        swaks(port, ["ok@example.net"], "-tls")
        swaks(port, ["ok+1@example.net", "defer+2@example.org",
                     "unknown+3@example.net", "blocked+4@example.com",
                     "full+5@example.net", "ok+6@example.org"])
        swaks(port, ["late@slow.example"])
        swaks(port, ["dropped@slow.example"])
        lost_connection(port)
        swaks(port, ["ok@example.net"], "--local-interface", "127.0.0.2")
        queued = postfix.wait_for_log(
            r"([0-9A-F]+): to=<dropped@slow\.example>.*status=deferred")
        subprocess.run(["postsuper", "-c", postfix.config_directory, "-d",
                        queued.group(1)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        postfix.wait_for_log(r"status=expired, returned to sender", 60)
        postfix.postconf(enable_long_queue_ids="yes")
        time.sleep(1)
        for local in ("ok", "unknown", "defer"):
            swaks(port, [f"{local}+long@example.net"])
        postfix.wait_for_log(
            r"to=<defer\+long@example\.net>.*status=sent", 30)
        postfix.wait_for_log(r"anvil\[\d+\]: statistics", 30)
        time.sleep(2)
        # The private instance's temporary path, as a system's would be.
        sys.stdout.write(postfix.log().replace(postfix.config_directory,
                                               "/etc/postfix"))
    finally:
        postfix.stop()
        controller.stop()
        silent.close()
        tempdir.remove_dir(work)


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    main()
