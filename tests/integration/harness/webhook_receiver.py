"""An HTTP(S) endpoint that checks and keeps Standard Webhooks requests.

waypost-hookd POSTs delivery events to it. Each request is checked as
https://www.standardwebhooks.com/ says (an HMAC-SHA256 "v1" signature of
"{webhook-id}.{webhook-timestamp}.{body}", a timestamp within 5 minutes)
and kept with its answer. The answer is programmable: a fixed status, a
status for some seconds, a function of the request, or none at all
(hang). With tls=True it serves HTTPS with a certificate for 127.0.0.1
from a test CA that openssl makes in the given directory.
"""
import base64
import binascii
import collections
import hashlib
import hmac
import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from . import ports

TOLERANCE = 5 * 60  # seconds a webhook-timestamp may be off the clock
SECRET_PREFIX = "whsec_"


@dataclass
class WebhookRequest:
    """One request as it reached the receiver, and how it was answered."""
    received: float  # time.time()
    received_monotonic: float  # time.monotonic()
    method: str
    path: str
    headers: dict  # lower-case names
    body: bytes
    events: list = field(default_factory=list)
    webhook_id: str = None
    timestamp: int = None
    signatures: list = field(default_factory=list)
    valid: bool = False  # a v1 signature matched, the timestamp is fresh
    reason: str = None  # why the request was refused (401, 400, 405)
    status: int = None  # None: held by hang(), never answered
    connection: int = 0  # which connection it came on: 1, 2, ...

    @property
    def signature_count(self):
        return len(self.signatures)

    @property
    def accepted(self):
        return (self.valid and self.status is not None
                and 200 <= self.status < 300)


def secret_key(secret):
    """The HMAC key of a secret: whsec_<base64> is its decoded bytes,
    other text its UTF-8 bytes, bytes themselves."""
    if isinstance(secret, bytes):
        return secret
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    return secret.encode()


def check_signature(webhook_id, timestamp, signature_header, body, keys,
                    now=None):
    """(valid, reason, signatures) for a request's three webhook- headers
    (str or None, as received) and raw body, against the HMAC keys."""
    signatures = (signature_header or "").split()
    if not webhook_id:
        return False, "no webhook-id header", signatures
    if not timestamp or not re.fullmatch(r"[0-9]+", timestamp):
        return False, f"webhook-timestamp {timestamp!r} is not unix " \
                      "seconds", signatures
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE:
        return False, f"webhook-timestamp {timestamp} is " \
                      f"{now - int(timestamp):.0f}s from now, more than " \
                      f"{TOLERANCE}s", signatures
    if not signatures:
        return False, "no webhook-signature header", signatures
    if not keys:
        return False, "the receiver has no secrets", signatures
    signed = (webhook_id.encode("iso-8859-1") + b"."
              + timestamp.encode("iso-8859-1") + b"." + body)
    expected = [hmac.new(key, signed, hashlib.sha256).digest()
                for key in keys]
    for signature in signatures:
        version, _, encoded = signature.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        for mac in expected:
            if hmac.compare_digest(given, mac):
                return True, None, signatures
    return False, f"none of {len(signatures)} signature(s) matches the " \
                  f"receiver's {len(keys)} secret(s)", signatures


def parse_events(body):
    """The events of a body: one JSON object, or a JSON array of them."""
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"the body is not JSON: {error}") from None
    if isinstance(parsed, dict):
        return [parsed]
    if isinstance(parsed, list):
        return parsed
    raise ValueError("the body is neither a JSON object nor an array")


def _openssl(*arguments):
    result = subprocess.run(["openssl", *arguments], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {arguments[0]} failed: "
                           + result.stderr.strip())


def make_ca(directory, name, common_name):
    """A CA key and self-signed certificate, name.key and name.crt in
    directory; the certificate's path."""
    config = os.path.join(directory, name + ".cnf")
    with open(config, "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n"
                "x509_extensions = ca\n"
                f"[dn]\nCN = {common_name}\n"
                "[ca]\nbasicConstraints = critical, CA:TRUE\n"
                "keyUsage = critical, keyCertSign, cRLSign\n"
                "subjectKeyIdentifier = hash\n")
    certificate = os.path.join(directory, name + ".crt")
    _openssl("req", "-x509", "-new", "-nodes", "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:prime256v1", "-days", "2",
             "-config", config, "-keyout", os.path.join(directory,
                                                        name + ".key"),
             "-out", certificate)
    return certificate


def make_server_certificate(directory, name, ca_name):
    """A key and certificate for 127.0.0.1 and localhost, name.key and
    name.crt in directory, signed by the CA ca_name made there."""
    key = os.path.join(directory, name + ".key")
    request = os.path.join(directory, name + ".csr")
    extensions = os.path.join(directory, name + ".ext")
    certificate = os.path.join(directory, name + ".crt")
    with open(extensions, "w") as f:
        f.write("basicConstraints = critical, CA:FALSE\n"
                "keyUsage = critical, digitalSignature\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                "subjectKeyIdentifier = hash\n"
                "authorityKeyIdentifier = keyid\n")
    _openssl("req", "-new", "-nodes", "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", request)
    _openssl("x509", "-req", "-in", request, "-days", "2",
             "-CA", os.path.join(directory, ca_name + ".crt"),
             "-CAkey", os.path.join(directory, ca_name + ".key"),
             "-set_serial", str(int.from_bytes(os.urandom(8), "big")),
             "-extfile", extensions, "-out", certificate)
    return certificate, key


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WaypostWebhookReceiver/1"

    def log_message(self, format, *args):
        pass

    def _serve(self):
        self.server.receiver._serve(self)

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, receiver, tls_context):
        self.receiver = receiver
        self.tls_context = tls_context
        super().__init__(address, _Handler)

    def server_bind(self):
        # HTTPServer's would look the address up in the DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        """Runs in the connection's thread: the TLS handshake too, so that
        a slow client holds up no other."""
        connection = request
        if self.tls_context is not None:
            request.settimeout(10)
            try:
                connection = self.tls_context.wrap_socket(request,
                                                          server_side=True)
            except OSError:
                self.receiver._tls_failed()
                return
            connection.settimeout(None)
        try:
            if self.receiver._opened(connection):
                self.RequestHandlerClass(connection, client_address, self)
        finally:
            self.receiver._closed(connection)
            if connection is not request:
                connection.close()

    def handle_error(self, request, client_address):
        # A client gone, a connection closed by stop(): nothing to report.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class WebhookReceiver:
    def __init__(self, directory, secrets, tls=False, host="127.0.0.1"):
        """directory: where the TLS files go (the caller's; kept);
        secrets: those a signature may match (whsec_<base64>, text or
        bytes)."""
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.host = host
        self.port = ports.free_port()
        self.tls = tls
        self.ca_file = None
        self._other_ca_file = None
        self._keys = [secret_key(secret) for secret in secrets]
        self._condition = threading.Condition()
        self._requests = []
        self._answer = lambda request: 200
        self._hanging = False
        self._release = 0  # counts the ends of hang()
        self._stopping = False
        self._connections = {}  # open connection: its number
        self._connection_count = 0
        self._tls_failures = 0
        self._server = None
        self._thread = None
        self._tls_context = None
        if tls:
            self.ca_file = make_ca(directory, "webhook-ca",
                                   "Waypost test CA")
            certificate, key = make_server_certificate(
                directory, "webhook-server", "webhook-ca")
            self._tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls_context.load_cert_chain(certificate, key)
            self._tls_context.set_alpn_protocols(["http/1.1"])

    def start(self):
        """Listen; after a stop(), again on the same port."""
        with self._condition:
            self._stopping = False
        self._server = _Server((self.host, self.port), self,
                               self._tls_context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"webhook-receiver-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening and close every connection, the held ones
        unanswered. The requests stay readable."""
        if self._server is None:
            return
        with self._condition:
            self._stopping = True
            connections = list(self._connections)
            self._condition.notify_all()
        self._server.shutdown()
        self._server.server_close()
        for connection in connections:
            _cut(connection)
        self._thread.join(5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path="/hook"):
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def other_ca_file(self):
        """A second CA's certificate, which signed nothing of this
        receiver's: a client trusting only it refuses the server."""
        if self._other_ca_file is None:
            self._other_ca_file = make_ca(self.directory, "webhook-other-ca",
                                          "Waypost other test CA")
        return self._other_ca_file

    def set_secrets(self, secrets):
        """Secrets a signature may match from the next request on."""
        keys = [secret_key(secret) for secret in secrets]
        with self._condition:
            self._keys = keys

    # The answers to later requests. Each ends a hang(). Refused requests
    # get 401 (signature), 400 (body) or 405 (not a POST) whatever is set.

    def answer(self, status):
        """Answer status to every later request (200 at first)."""
        _check_status(status)
        self._set_answer(lambda request: status)

    def answer_until(self, status, seconds):
        """Answer status for that many seconds from now, then 200."""
        _check_status(status)
        until = time.monotonic() + seconds
        self._set_answer(
            lambda request: status if time.monotonic() < until else 200)

    def answer_with(self, function):
        """function(request) gives each request's status, or (status,
        {header: value}) to add headers such as Retry-After."""
        self._set_answer(function)

    def hang(self):
        """Answer no later request: each waits for the next answer*() or
        stop(), which close its connection without an answer."""
        with self._condition:
            self._hanging = True

    def _set_answer(self, function):
        with self._condition:
            self._answer = function
            if self._hanging:
                self._hanging = False
                self._release += 1
                self._condition.notify_all()

    # What came.

    def requests(self):
        with self._condition:
            return list(self._requests)

    def events(self):
        """Every event of the requests accepted (valid and answered 2xx),
        in the order they came."""
        with self._condition:
            return self._accepted_events()

    def event_ids(self):
        """The "id" of each of events() (None for an event without)."""
        return [event.get("id") if isinstance(event, dict) else None
                for event in self.events()]

    def duplicates(self):
        """{event id: times accepted} for the ids accepted more than
        once."""
        counts = collections.Counter(i for i in self.event_ids()
                                     if i is not None)
        return {i: n for i, n in counts.items() if n > 1}

    def connection_count(self):
        """How many connections were accepted (and got through TLS)."""
        with self._condition:
            return self._connection_count

    def open_connections(self):
        """How many connections are open, a handler thread on each."""
        with self._condition:
            return len(self._connections)

    def tls_failures(self):
        """How many connections failed their TLS handshake (a client that
        refused the certificate, or left)."""
        with self._condition:
            return self._tls_failures

    def wait_for_events(self, count, timeout=30.0):
        """The first count events accepted; TimeoutError, with what came,
        if fewer are in timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                events = self._accepted_events()
                if len(events) >= count:
                    return events[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(events)} of {count} events accepted in "
                        f"{timeout}s; " + self._summary())
                self._condition.wait(remaining)

    def wait_for_requests(self, count, timeout=30.0):
        """The first count requests, whatever their answer; TimeoutError
        if fewer come in timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self._requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(self._requests)} of {count} requests came "
                        f"in {timeout}s; " + self._summary())
                self._condition.wait(remaining)
            return self._requests[:count]

    def _accepted_events(self):
        return [event for request in self._requests if request.accepted
                for event in request.events]

    def _summary(self):
        last = self._requests[-5:]
        answers = ", ".join(
            "no answer" if r.status is None else
            f"{r.status}" + (f" ({r.reason})" if r.reason else "")
            for r in last)
        return (f"{len(self._requests)} requests"
                + (f", the last answered: {answers}" if last else "")
                + (f", {self._tls_failures} TLS handshakes failed"
                   if self._tls_failures else ""))

    # The connections' threads.

    def _opened(self, connection):
        with self._condition:
            if self._stopping:
                return False
            self._connection_count += 1
            self._connections[connection] = self._connection_count
            return True

    def _closed(self, connection):
        with self._condition:
            self._connections.pop(connection, None)

    def _tls_failed(self):
        with self._condition:
            self._tls_failures += 1
            self._condition.notify_all()

    def _serve(self, handler):
        request = WebhookRequest(
            received=time.time(), received_monotonic=time.monotonic(),
            method=handler.command, path=handler.path,
            headers=_header_dict(handler.headers), body=b"")
        with self._condition:
            request.connection = self._connections.get(handler.connection, 0)
        headers = {}
        try:
            request.body = _read_body(handler)
        except ValueError as error:
            request.reason = str(error)
            request.status = 400
            handler.close_connection = True
        if request.status is None:
            with self._condition:
                keys = list(self._keys)
            request.webhook_id = handler.headers.get("webhook-id")
            stamp = handler.headers.get("webhook-timestamp")
            if stamp and re.fullmatch(r"[0-9]+", stamp):
                request.timestamp = int(stamp)
            request.valid, request.reason, request.signatures = \
                check_signature(request.webhook_id, stamp, " ".join(
                    handler.headers.get_all("webhook-signature", [])),
                    request.body, keys)
            if request.method != "POST":
                request.status = 405
                request.reason = f"{request.method}, not POST"
                headers["Allow"] = "POST"
            elif not request.valid:
                request.status = 401
        if request.status is None:
            try:
                request.events = parse_events(request.body)
            except ValueError as error:
                request.reason = str(error)
                request.status = 400
        if request.status is None:
            with self._condition:
                hanging, release = self._hanging, self._release
                function = self._answer
            if hanging:
                self._hold(handler, request, release)
                return
            try:
                answer = function(request)
                if isinstance(answer, tuple):
                    answer, extra = answer
                    headers.update(extra)
                _check_status(answer)
                request.status = answer
            except Exception as error:  # the test's function: show it
                request.status = 500
                request.reason = f"the answer function failed: {error!r}"
        with self._condition:
            self._requests.append(request)
            self._condition.notify_all()
        _respond(handler, request.status, headers, request.reason)

    def _hold(self, handler, request, release):
        with self._condition:
            self._requests.append(request)
            self._condition.notify_all()
            while self._release == release and not self._stopping:
                self._condition.wait()
        handler.close_connection = True
        _cut(handler.connection)


def _check_status(status):
    if not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError(f"{status!r} is no final HTTP status")


def _header_dict(message):
    headers = {}
    for name, value in message.items():
        name = name.lower()
        headers[name] = headers[name] + ", " + value if name in headers \
            else value
    return headers


def _read_body(handler):
    """The request's body, framed by Content-Length or chunked;
    ValueError if the framing is wrong or the client left before its
    end."""
    rfile = handler.rfile
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            line = rfile.readline(65537)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ValueError(f"bad chunk size line {line!r}") from None
            if size == 0:
                while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunk = rfile.read(size)
            if len(chunk) < size:
                raise ValueError("the body ends inside a chunk")
            chunks.append(chunk)
            rfile.readline(3)
    length = handler.headers.get("Content-Length")
    if length is None:
        return b""
    if not re.fullmatch(r"[0-9]+", length.strip()):
        raise ValueError(f"bad Content-Length {length!r}")
    body = rfile.read(int(length))
    if len(body) < int(length):
        raise ValueError(f"{len(body)} of {length} body bytes came")
    return body


def _respond(handler, status, headers, reason):
    if 200 <= status < 300:
        text = b"ok\n"
    else:
        text = f"{status} {reason or 'as the test answers'}\n".encode()
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if status in (204, 304):
        handler.end_headers()
        return
    handler.send_header("Content-Type", "text/plain; charset=utf-8")
    handler.send_header("Content-Length", str(len(text)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(text)


def _cut(connection):
    """Shut a connection down under the thread that reads it (TLS or
    not, without a TLS close_notify)."""
    try:
        socket.socket.shutdown(connection, socket.SHUT_RDWR)
    except OSError:
        pass
