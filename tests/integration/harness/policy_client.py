"""A Postfix policy client: what smtpd sends to check_policy_service.

PolicyClient keeps one connection, as smtpd does, and asks one request at
a time. request() builds the attributes Postfix 3.7 sends, with the
caller's changes.
"""
import socket
import time
import uuid

BASE = {
    "request": "smtpd_access_policy",
    "protocol_state": "END-OF-MESSAGE",
    "protocol_name": "ESMTP",
    "client_address": "127.0.0.2",
    "client_name": "localhost",
    "helo_name": "app.example.com",
    "sender": "alice@example.com",
    "recipient": "",
    "recipient_count": "1",
    "queue_id": "",
    "size": "1000",
    "sasl_method": "PLAIN",
    "sasl_username": "alice@example.com",
}


def request(**changes):
    """The attributes of one request; a new instance unless given."""
    attributes = dict(BASE, instance=uuid.uuid4().hex[:20])
    attributes["queue_id"] = uuid.uuid4().hex[:10].upper()
    attributes.update({k: str(v) for k, v in changes.items()})
    return attributes


def encode(attributes):
    return ("".join(f"{k}={v}\n" for k, v in attributes.items())
            + "\n").encode()


class PolicyClient:
    """address: a loopback port, or the path of a unix socket."""

    def __init__(self, address, timeout=10):
        if isinstance(address, str):
            self.socket = socket.socket(socket.AF_UNIX)
            self.socket.settimeout(timeout)
            self.socket.connect(address)
        else:
            self.socket = socket.create_connection(("127.0.0.1", address),
                                                   timeout=timeout)
        self.file = self.socket.makefile("rb")

    def send_raw(self, data):
        self.socket.sendall(data)

    def answer(self):
        """The action of the next answer; None if the daemon closed."""
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                return None
            if line == b"\n":
                break
            lines.append(line.decode().rstrip("\n"))
        assert len(lines) == 1 and lines[0].startswith("action="), lines
        return lines[0][len("action="):]

    def ask(self, **changes):
        attributes = request(**changes)
        self.send_raw(encode(attributes))
        return self.answer()

    def timed_ask(self, **changes):
        """(action, seconds the answer took)."""
        start = time.monotonic()
        action = self.ask(**changes)
        return action, time.monotonic() - start

    def close(self):
        self.file.close()
        self.socket.close()
