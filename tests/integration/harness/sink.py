"""An SMTP sink that keeps every message it is given (python3-aiosmtpd).

Postfix relays to it as its relayhost; tests then read exactly what left the
relay: envelope, and the message bytes as received on the wire (CRLF line
ends, dot-unstuffed). Given a certificate, it offers STARTTLS, and each
delivery says whether it came over TLS.
"""
import ssl
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from . import ports


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list
    content: bytes
    peer: tuple = field(default=None)
    mail_options: list = field(default_factory=list)
    tls: bool = False

    @property
    def headers(self):
        """The header block, as bytes, without the empty line."""
        return self.content.split(b"\r\n\r\n", 1)[0]

    @property
    def body(self):
        parts = self.content.split(b"\r\n\r\n", 1)
        return parts[1] if len(parts) == 2 else b""

    def header_values(self, name):
        """Unfolded values of every header called name, in order."""
        values = []
        lowered = name.lower().encode() + b":"
        for line in unfold(self.headers):
            if line.lower().startswith(lowered):
                values.append(line[len(lowered):].strip().decode(
                    "utf-8", "replace"))
        return values


def unfold(header_block):
    lines = []
    for line in header_block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and lines:
            lines[-1] += b"\r\n" + line
        else:
            lines.append(line)
    return lines


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        self.sink._store(Delivery(envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content or envelope.content,
                                  session.peer, list(envelope.mail_options),
                                  session.ssl is not None))
        return "250 2.0.0 Ok: kept by the Waypost test sink"


class Sink:
    def __init__(self, certificate=None):
        """certificate: (cert file, key file) to offer STARTTLS with."""
        self.port = ports.free_port()
        self.deliveries = []
        self._condition = threading.Condition()
        tls = {}
        if certificate:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            tls = {"tls_context": context}
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port,
            enable_SMTPUTF8=True, data_size_limit=64 * 1024 * 1024,
            ready_timeout=10, **tls)

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self._controller.stop()

    def _store(self, delivery):
        with self._condition:
            self.deliveries.append(delivery)
            self._condition.notify_all()

    def wait_for(self, count=1, timeout=30.0):
        """The first count deliveries; TimeoutError if fewer arrive."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.deliveries) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(self.deliveries)} of {count} messages reached "
                        f"the sink in {timeout}s")
                self._condition.wait(remaining)
            return list(self.deliveries[:count])

    def holds(self, needle):
        """Whether a delivery whose content contains needle (bytes) has
        arrived, now."""
        with self._condition:
            return any(needle in delivery.content
                       for delivery in self.deliveries)

    def find(self, needle, timeout=30.0):
        """The first delivery whose content contains needle (bytes)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for delivery in self.deliveries:
                    if needle in delivery.content:
                        return delivery
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no message with {needle!r} reached "
                                       f"the sink in {timeout}s")
                self._condition.wait(remaining)
