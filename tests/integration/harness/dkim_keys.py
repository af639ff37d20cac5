"""DKIM keys made for a test, and an independent verifier (python3-dkim).

Keys are generated with the openssl command line into a directory; the
verifier resolves selector._domainkey.domain from those keys, never from
DNS, so every test is offline and deterministic.
"""
import base64
import os
import subprocess
from dataclasses import dataclass

import dkim


@dataclass
class DkimKey:
    selector: str
    domain: str
    algorithm: str  # "rsa" or "ed25519"
    path: str       # PEM private key
    public_der: bytes
    private_der: bytes

    @property
    def dns_name(self):
        return f"{self.selector}._domainkey.{self.domain}."

    @property
    def txt_record(self):
        if self.algorithm == "rsa":
            public = base64.b64encode(self.public_der).decode()
            return f"v=DKIM1; k=rsa; p={public}"
        # RFC 8463: the raw 32-byte key, the tail of the DER encoding.
        public = base64.b64encode(self.public_der[-32:]).decode()
        return f"v=DKIM1; k=ed25519; p={public}"

    @property
    def dkimpy_private_key(self):
        """The private key in the form dkim.sign() takes."""
        if self.algorithm == "rsa":
            with open(self.path, "rb") as f:
                return f.read()
        return base64.b64encode(self.private_der[-32:])


def _openssl(*arguments):
    return subprocess.run(["openssl", *arguments], check=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE).stdout


class KeyStore:
    def __init__(self, directory):
        self.directory = directory
        self.keys = {}

    def generate(self, selector, domain, algorithm="rsa", bits=2048):
        path = os.path.join(self.directory, f"{selector}.{domain}.pem")
        if algorithm == "rsa":
            _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                     f"rsa_keygen_bits:{bits}", "-out", path)
        elif algorithm == "ed25519":
            _openssl("genpkey", "-algorithm", "ED25519", "-out", path)
        else:
            raise ValueError(f"unknown DKIM key algorithm {algorithm}")
        os.chmod(path, 0o600)
        key = DkimKey(selector, domain, algorithm, path,
                      _openssl("pkey", "-in", path, "-pubout", "-outform",
                               "DER"),
                      _openssl("pkey", "-in", path, "-outform", "DER"))
        self.keys[key.dns_name] = key
        return key

    def dns(self, name, timeout=5):
        """dkimpy's dnsfunc: TXT records from this store only."""
        if isinstance(name, bytes):
            name = name.decode()
        if not name.endswith("."):
            name += "."
        key = self.keys.get(name.lower())
        return key.txt_record.encode() if key else b""

    def verify(self, message):
        """One result per DKIM-Signature header, in order: True if valid."""
        checker = dkim.DKIM(message)
        count = sum(1 for line in message.split(b"\n")
                    if line.lower().startswith(b"dkim-signature:"))
        return [self._verify_one(checker, index) for index in range(count)]

    def _verify_one(self, checker, index):
        try:
            return bool(checker.verify(idx=index, dnsfunc=self.dns))
        except dkim.DKIMException:
            return False


def sign(message, key, headers=(b"from", b"to", b"subject", b"date",
                                 b"message-id"),
         canonicalization=(b"relaxed", b"relaxed")):
    """Sign with dkimpy, to prove the verifier (not to test Waypost)."""
    algorithm = b"rsa-sha256" if key.algorithm == "rsa" else b"ed25519-sha256"
    signature = dkim.sign(message, key.selector.encode(), key.domain.encode(),
                          key.dkimpy_private_key, include_headers=list(headers),
                          canonicalize=canonicalization,
                          signature_algorithm=algorithm)
    return signature + message
