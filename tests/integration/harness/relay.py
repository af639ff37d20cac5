"""A relay for a test: the whole one from contrib/postfix, or Postfix with
SMTP AUTH in front of the daemons a test starts.

WholeRelay starts Redis, waypost-headers, waypost-dkim (an RSA-2048 and an
Ed25519 key for example.com), waypost-policyd and a private Postfix whose
main.cf and master.cf take the lines of the contrib/postfix fragments
named, as written there. Only what cannot be the same in a test is
replaced, and each replacement must find its text in the fragment, so a
fragment that changes under the tests fails them instead of going
untested: the socket directory (waypost-policyd's unix socket is there
too, in Postfix's group, as contrib/waypost.conf has it), the submission
port, the certificate and SASL socket paths, the providers' next hop (the
sink) and, where a test needs an outside client, mynetworks.

AuthRelay is a private Postfix with SMTP AUTH (a private Dovecot's users)
in front of the Waypost daemons a test gives it, and the client side of
such a test: mail sent with swaks, logged in or not, an operator's
redis-cli, a delivery whose signature python3-dkim checks.
"""
import os
import re
import subprocess
import uuid

from . import dkim_keys, ports, tempdir
from .postfix import PrivatePostfix
from .smtp_clients import swaks
from .waypost import (DkimSetup, HeadersSetup, PolicySetup,
                      postfix_milter_settings)

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..",
                                          "..", ".."))
FRAGMENTS = os.path.join(SOURCE_DIR, "contrib", "postfix")
SOCKET_DIR = "/run/waypost/"
POLICY_SERVICE = "unix:/run/waypost/policy.sock"
PROVIDERS = ("google", "outlook", "yahoo")


def fragment(name, replacements=None):
    """The text of contrib/postfix/NAME, each replacement made (and each
    required to match)."""
    with open(os.path.join(FRAGMENTS, name)) as f:
        text = f.read()
    for old, new in (replacements or {}).items():
        if old not in text:
            raise AssertionError(f"{name} no longer has {old!r}")
        text = text.replace(old, new)
    return text


def main_cf(text):
    """{name: value} of a main.cf fragment: comments and blank lines
    skipped, continuation lines (leading white space) joined."""
    settings = {}
    name = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            name = None
            continue
        if line[0].isspace() and name:
            settings[name] += " " + line.strip()
            continue
        match = re.match(r"^([A-Za-z0-9_-]+)\s*=\s*(.*)$", line)
        if not match:
            raise AssertionError(f"not a main.cf line: {line!r}")
        name = match.group(1)
        settings[name] = match.group(2).strip()
    return settings


def master_cf(text):
    """The service lines of a master.cf fragment, comments left out."""
    return "".join(line + "\n" for line in text.splitlines()
                   if line.strip() and not line.lstrip().startswith("#"))


def make_certificate(directory):
    """A self-signed certificate for STARTTLS: (cert file, key file)."""
    cert = os.path.join(directory, "relay.pem")
    key = os.path.join(directory, "relay.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-subj", "/CN=relay.waypost.test", "-days",
                    "2", "-keyout", key, "-out", cert],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True, timeout=60)
    os.chmod(key, 0o600)
    return cert, key


def postfix_config(parts, directory, policy_service=None, sink_port=None,
                   sasl_socket=None, outbound=None):
    """(main.cf settings, master.cf lines, {service: port} of the
    submission services, or {}) from the fragments of parts ("smarthost",
    "submission", "signing-only", "providers", "outbound"), the sockets in
    directory, as are the files a part needs (a certificate, the
    providers' table, the TLS policy table); the providers' next hop is
    the sink on sink_port, the submission services' SASL socket
    sasl_socket. policy_service: another policy service than
    waypost-policyd's socket in directory (a benchmark's anchor).
    outbound: for "outbound", {"fallback_port": the backup relay's port on
    127.0.0.1, "tls_policy": {a destination of outbound.tls-policy: the
    next hop it stands for here}}."""
    sockets = {SOCKET_DIR: directory + "/"}
    # Before the socket directory's, which would change it.
    policy = {POLICY_SERVICE: policy_service} if policy_service else {}
    # Postfix writes Date and Message-ID itself for clients on its own
    # interfaces; the applications here stand for remote ones.
    settings = {"local_header_rewrite_clients": ""}
    master = ""
    submission = {}
    if "smarthost" in parts:
        settings.update(main_cf(fragment("smarthost.main.cf", {
            **policy, **sockets,
            "mynetworks = 127.0.0.0/8": "mynetworks = 127.0.0.1/32"})))
    if "submission" in parts:
        cert, key = make_certificate(directory)
        settings.update(main_cf(fragment("submission.main.cf", {
            **policy, **sockets,
            "/etc/ssl/certs/ssl-cert-snakeoil.pem": cert,
            "/etc/ssl/private/ssl-cert-snakeoil.key": key})))
        submission = {name: ports.free_port()
                      for name in ("submission", "submissions")}
        master += master_cf(fragment("submission.master.cf", {
            **{f"\n{name} inet": f"\n127.0.0.1:{port} inet"
               for name, port in submission.items()},
            "smtpd_sasl_path=private/auth":
                f"smtpd_sasl_path={sasl_socket}"}))
    if "signing-only" in parts:
        settings.update(main_cf(fragment("signing-only.main.cf", sockets)))
    if "providers" in parts:
        transport = os.path.join(directory, "waypost-providers")
        with open(transport, "w") as f:
            f.write(fragment("providers.transport", {
                f"{name}:": f"{name}:[127.0.0.1]:{sink_port}"
                for name in PROVIDERS}))
        settings.update(main_cf(fragment("providers.main.cf", {
            "/etc/postfix/waypost-providers": transport})))
        master += master_cf(fragment("providers.master.cf"))
    if "outbound" in parts:
        tls_policy = os.path.join(directory, "waypost-tls-policy")
        with open(tls_policy, "w") as f:
            f.write(fragment("outbound.tls-policy", {
                f"\n{name} ": f"\n{hop} "
                for name, hop in outbound["tls_policy"].items()}))
        settings.update(main_cf(fragment("outbound.main.cf", {
            "/etc/postfix/waypost-tls-policy": tls_policy,
            "[backup.example.net]:25":
                f"[127.0.0.1]:{outbound['fallback_port']}"})))
    return settings, master, submission


class WholeRelay:
    """setup: "smarthost", "submission" or "signing-only"; the providers'
    fragments are added to each."""

    def __init__(self, build_dir, setup, sink, redis, dovecot=None,
                 limits=None, policy_extra="", redis_extra="",
                 metrics=False, outbound=None, next_hop_port=None):
        self.build_dir = build_dir
        self.setup = setup
        self.sink = sink
        self.redis = redis
        self.dovecot = dovecot
        self.limits = limits or {}
        self.policy_extra = policy_extra
        self.redis_extra = redis_extra
        self.directory = tempdir.make_dir("relay")
        self.keys = dkim_keys.KeyStore(self.directory)
        self.submission_port = self.submissions_port = None
        # outbound: postfix_config()'s; next_hop_port: the relayhost's
        # port on 127.0.0.1, if not the sink's.
        self.outbound = outbound
        self.next_hop_port = next_hop_port or sink.port
        self.headers = HeadersSetup(self._program(
            "milters/headers/waypost-headers"), self.directory)
        self.dkim = DkimSetup(self._program("milters/dkim/waypost-dkim"),
                              self.directory, self.keys)
        self.policy = PolicySetup(self._program("policy/waypost-policyd"),
                                  self.directory, redis.address)
        self.postfix = None
        # metrics: each daemon serves its metrics on a port of its own.
        self.metrics_ports = ({name: ports.free_port() for name in
                               ("headers", "dkim", "policy")}
                              if metrics else {})

    def _metrics(self, name):
        port = self.metrics_ports.get(name)
        return f"metrics = inet:{port}@127.0.0.1\n" if port else ""

    def _program(self, relative_path):
        return os.path.join(self.build_dir, relative_path)

    def start(self):
        rsa = self.keys.generate("s1", "example.com", "rsa")
        ed = self.keys.generate("e1", "example.com", "ed25519")
        self.dkim.write_tables(
            [self.dkim.key_line("rsa", rsa), self.dkim.key_line("ed", ed)],
            ["*@example.com rsa", "*@example.com ed"])
        self.headers.start("internal_networks = 127.0.0.1/32\n"
                           + self._metrics("headers"))
        self.dkim.start("internal_networks = 127.0.0.1/32\n"
                        + self._metrics("dkim"))
        if self.setup != "signing-only":
            self.policy.start(
                self.limits, redis_extra=self.redis_extra,
                policy_extra=("trusted_networks = 127.0.0.1/32\n"
                              "local_domains = example.com\n"
                              + self._metrics("policy")
                              + self.policy_extra))
        settings, master = self.postfix_config()
        self.postfix = PrivatePostfix(self.next_hop_port, settings, master)
        self.postfix.start()
        for port in (self.submission_port, self.submissions_port):
            if port:
                ports.wait_for_port(port, timeout=20)
        return self

    def postfix_config(self):
        """main.cf settings and master.cf lines from the fragments."""
        settings, master, submission = postfix_config(
            [self.setup, "providers", *(["outbound"] if self.outbound
                                        else [])], self.directory,
            sink_port=self.sink.port,
            sasl_socket=self.dovecot.socket if self.dovecot else None,
            outbound=self.outbound)
        self.submission_port = submission.get("submission")
        self.submissions_port = submission.get("submissions")
        return settings, master

    def stop(self):
        if self.postfix:
            self.postfix.stop()
        self.policy.stop()
        self.dkim.stop()
        self.headers.stop()
        tempdir.remove_dir(self.directory)


# Who AuthRelay.send() logs in as unless told otherwise: the user every
# Dovecot of these tests has.
USER = "alice@example.com"
PASSWORD = "secret1"


class AuthRelay:
    """postfix_factory: conftest's fixture; users: a started Dovecot;
    policy, headers, dkim: a PolicySetup (started), a HeadersSetup (started
    by start()), a DkimSetup (started), or None. Postfix goes in front of
    them with start(); stop() stops the daemons (the fixture stops
    Postfix)."""

    def __init__(self, postfix_factory, users, redis, sink, keys=None,
                 policy=None, headers=None, dkim=None):
        self.postfix_factory = postfix_factory
        self.users = users
        self.redis = redis
        self.sink = sink
        self.keys = keys
        self.policy = policy
        self.headers = headers
        self.dkim = dkim
        self.postfix = None

    def start(self, headers="", postfix=None):
        """waypost-headers, if the relay has it, with these [headers]
        lines (127.0.0.1 internal, Redis the relay's); then Postfix with
        SMTP AUTH, mynetworks 127.0.0.1/32, the milters in front (headers,
        then dkim) and the main.cf settings of postfix."""
        if self.headers:
            self.headers.start(
                "internal_networks = 127.0.0.1/32\n" + headers +
                f"\n[redis]\naddress = {self.redis.address}\n")
        milters = [m.milter for m in (self.headers, self.dkim) if m]
        settings = postfix_milter_settings(", ".join(milters)) \
            if milters else {}
        settings.update(self.users.settings())
        settings["mynetworks"] = "127.0.0.1/32"
        settings.update(postfix or {})
        self.postfix = self.postfix_factory(settings)
        return self

    def send(self, from_header=None, *, sender=USER, to="user@example.net",
             user=USER, password=PASSWORD, client="127.0.0.2",
             extra_headers=""):
        """One message with swaks from client (127.0.0.2: outside
        mynetworks), logged in as user unless user is None; its From is
        from_header, or the envelope sender's address. (token, result)."""
        token = "relay-" + uuid.uuid4().hex
        if from_header is None:
            from_header = ("MAILER-DAEMON@example.com" if sender == "<>"
                           else sender)
        data = (f"From: {from_header}\r\nTo: {to}\r\n"
                f"Subject: {token}\r\n{extra_headers}"
                f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                f"Message-ID: <{token}@example.com>\r\n\r\nbody {token}\r\n"
                ).encode()
        login = ("--auth", "PLAIN", "--auth-user", user, "--auth-password",
                 password) if user else ()
        result = swaks(self.postfix.port, data=data, sender=sender, to=to,
                       extra=("--local-interface", client, *login))
        return token, result

    def delivered(self, token):
        """The delivery of token, its one DKIM signature valid."""
        delivery = self.sink.find(token.encode())
        assert self.keys.verify(delivery.content) == [True]
        return delivery

    def redis_cli(self, *words):
        """An operator's command, as the README writes it."""
        host, port = self.redis.address.rsplit(":", 1)
        result = subprocess.run(["redis-cli", "-h", host, "-p", port,
                                 *words], capture_output=True, text=True,
                                timeout=30)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def stop(self):
        for daemon in (self.policy, self.headers, self.dkim):
            if daemon:
                daemon.stop()
