"""The whole relay, configured from contrib/postfix as a mail admin would.

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
"""
import os
import re
import subprocess

from . import dkim_keys, ports, tempdir
from .postfix import PrivatePostfix
from .waypost import DkimSetup, HeadersSetup, PolicySetup

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
                   sasl_socket=None):
    """(main.cf settings, master.cf lines, submission port or None) from
    the fragments of parts ("smarthost", "submission", "signing-only",
    "providers"), the sockets in directory, as are the files a part needs
    (a certificate, the providers' table); the providers' next hop is the
    sink on sink_port, the submission service's SASL socket sasl_socket.
    policy_service: another policy service than waypost-policyd's socket
    in directory (a benchmark's anchor)."""
    sockets = {SOCKET_DIR: directory + "/"}
    # Before the socket directory's, which would change it.
    policy = {POLICY_SERVICE: policy_service} if policy_service else {}
    # Postfix writes Date and Message-ID itself for clients on its own
    # interfaces; the applications here stand for remote ones.
    settings = {"local_header_rewrite_clients": ""}
    master = ""
    submission = None
    if "smarthost" in parts:
        settings.update(main_cf(fragment("smarthost.main.cf", {
            **policy, **sockets,
            "mynetworks = 127.0.0.0/8": "mynetworks = 127.0.0.1/32"})))
    if "submission" in parts:
        cert, key = make_certificate(directory)
        settings.update(main_cf(fragment("submission.main.cf", {
            **sockets,
            "/etc/ssl/certs/ssl-cert-snakeoil.pem": cert,
            "/etc/ssl/private/ssl-cert-snakeoil.key": key})))
        submission = ports.free_port()
        master += master_cf(fragment("submission.master.cf", {
            **policy, **sockets,
            "submission inet": f"127.0.0.1:{submission} inet",
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
    return settings, master, submission


class WholeRelay:
    """setup: "smarthost", "submission" or "signing-only"; the providers'
    fragments are added to each."""

    def __init__(self, build_dir, setup, sink, redis, dovecot=None,
                 limits=None, policy_extra="", redis_extra=""):
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
        self.submission_port = None
        self.headers = HeadersSetup(self._program(
            "milters/headers/waypost-headers"), self.directory)
        self.dkim = DkimSetup(self._program("milters/dkim/waypost-dkim"),
                              self.directory, self.keys)
        self.policy = PolicySetup(self._program("policy/waypost-policyd"),
                                  self.directory, redis.address)
        self.postfix = None

    def _program(self, relative_path):
        return os.path.join(self.build_dir, relative_path)

    def start(self):
        rsa = self.keys.generate("s1", "example.com", "rsa")
        ed = self.keys.generate("e1", "example.com", "ed25519")
        self.dkim.write_tables(
            [self.dkim.key_line("rsa", rsa), self.dkim.key_line("ed", ed)],
            ["*@example.com rsa", "*@example.com ed"])
        self.headers.start("internal_networks = 127.0.0.1/32\n")
        self.dkim.start("internal_networks = 127.0.0.1/32\n")
        if self.setup != "signing-only":
            self.policy.start(
                self.limits, redis_extra=self.redis_extra,
                policy_extra=("trusted_networks = 127.0.0.1/32\n"
                              "local_domains = example.com\n"
                              + self.policy_extra))
        settings, master = self.postfix_config()
        self.postfix = PrivatePostfix(self.sink.port, settings, master)
        self.postfix.start()
        if self.submission_port:
            ports.wait_for_port(self.submission_port, timeout=20)
        return self

    def postfix_config(self):
        """main.cf settings and master.cf lines from the fragments."""
        settings, master, self.submission_port = postfix_config(
            [self.setup, "providers"], self.directory,
            sink_port=self.sink.port,
            sasl_socket=self.dovecot.socket if self.dovecot else None)
        return settings, master

    def stop(self):
        if self.postfix:
            self.postfix.stop()
        self.policy.stop()
        self.dkim.stop()
        self.headers.stop()
        tempdir.remove_dir(self.directory)
