"""waypost-dkim-keygen: the key file it writes, the DNS record it prints,
and --check against a real DNS server (dnsmasq) on loopback."""
import base64
import os
import pwd
import re
import stat
import subprocess

import dkim
import pytest

from conftest import program
from harness.dns_server import DnsServer

KEYGEN = "milters/dkim/waypost-dkim-keygen"


def keygen(*arguments):
    return subprocess.run([program(KEYGEN), *arguments],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)


def generate(directory, selector, key_type="rsa", bits=None,
             domain="example.com"):
    """Make a key; return (path, {dns name: [TXT strings]}, output)."""
    path = os.path.join(directory, f"{selector}.pem")
    arguments = ["-d", domain, "-s", selector, "-t", key_type, "-o", path]
    if bits:
        arguments += ["-b", str(bits)]
    result = keygen(*arguments)
    assert result.returncode == 0, result.stderr
    return path, parse_zone(result.stdout), result.stdout


def parse_zone(text):
    """The TXT records of zone-file text: {name: [strings]}."""
    records = {}
    for match in re.finditer(r'^(\S+)\s+IN\s+TXT\s+\((.*?)\)', text,
                             re.M | re.S):
        records[match.group(1)] = re.findall(r'"([^"]*)"', match.group(2))
    assert records, f"no TXT record in:\n{text}"
    return records


def check(selector, key_path, server, domain="example.com"):
    return keygen("--check", "-d", domain, "-s", selector, "-k", key_path,
                  "--nameserver", server.address)


@pytest.fixture
def dns():
    servers = []

    def start(records):
        servers.append(DnsServer(records).start())
        return servers[-1]
    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize("key_type,bits", [("rsa", None), ("rsa", 1024),
                                           ("ed25519", None)])
def test_key_file_is_private_and_record_verifies(workdir, key_type, bits):
    path, records, output = generate(workdir, "k1", key_type, bits)
    mode = os.stat(path).st_mode
    assert stat.S_IMODE(mode) == 0o600
    with open(path) as f:
        assert f.read().startswith("-----BEGIN PRIVATE KEY-----")
    assert list(records) == ["k1._domainkey.example.com."]
    strings = records["k1._domainkey.example.com."]
    assert all(len(s) <= 255 for s in strings)
    record = "".join(strings)
    assert record.startswith(f"v=DKIM1; k={key_type}; p=")
    # The KeyTable line names the absolute path of the key.
    assert f"example.com-k1 example.com:k1:{path}" in output
    # A signature made with the private key verifies with the record.
    if key_type == "rsa":
        with open(path, "rb") as f:
            private = f.read()
    else:
        der = subprocess.run(["openssl", "pkey", "-in", path, "-outform",
                              "DER"], check=True,
                             stdout=subprocess.PIPE).stdout
        private = base64.b64encode(der[-32:])
    message = (b"From: a@example.com\r\nTo: b@example.net\r\n"
               b"Subject: keygen\r\n\r\nbody\r\n")
    signature = dkim.sign(message, b"k1", b"example.com", private,
                          signature_algorithm=(b"rsa-sha256"
                                               if key_type == "rsa"
                                               else b"ed25519-sha256"),
                          include_headers=[b"from"])
    assert dkim.verify(signature + message,
                       dnsfunc=lambda name, timeout=5: record.encode())


def test_long_rsa_record_is_split_and_checks(workdir, dns):
    path, records, _ = generate(workdir, "big", "rsa", 4096)
    strings = records["big._domainkey.example.com."]
    assert len(strings) >= 3
    assert all(len(s) <= 255 for s in strings[:-1])
    assert all(len(s) == 255 for s in strings[:-1])
    server = dns(records)
    result = check("big", path, server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches" in result.stdout


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_check_matching_and_mismatching_keys(workdir, dns, key_type):
    path, records, _ = generate(workdir, "good", key_type)
    other, _, _ = generate(workdir, "other", key_type)
    server = dns(records)

    result = check("good", path, server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "good._domainkey.example.com matches the private key" \
        in result.stdout

    result = check("good", other, server)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "does NOT match" in result.stdout


def test_check_record_of_other_type(workdir, dns):
    rsa, rsa_records, _ = generate(workdir, "r", "rsa")
    ed, ed_records, _ = generate(workdir, "e", "ed25519")
    server = dns({**rsa_records, **ed_records})
    result = check("r", ed, server)
    assert result.returncode == 1
    assert "k=rsa" in result.stdout
    result = check("e", rsa, server)
    assert result.returncode == 1
    assert "does NOT match" in result.stdout


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_check_missing_record(workdir, dns, key_type):
    path, records, _ = generate(workdir, "here", key_type)
    server = dns(records)
    result = check("absent", path, server)
    assert result.returncode == 2
    assert "cannot check absent._domainkey.example.com" in result.stdout


def test_check_bad_nameserver_and_bad_key(workdir, dns):
    path, records, _ = generate(workdir, "k", "ed25519")
    result = keygen("--check", "-d", "example.com", "-s", "k", "-k", path,
                    "--nameserver", "not-an-address")
    assert result.returncode == 2
    assert "bad name server" in result.stdout
    junk = os.path.join(workdir, "junk.pem")
    with open(junk, "w") as f:
        f.write("not a key\n")
    server = dns(records)
    result = check("k", junk, server)
    assert result.returncode == 2
    assert "not a PEM private key" in result.stdout + result.stderr


def test_never_overwrites_a_key(workdir):
    path, _, _ = generate(workdir, "once", "rsa")
    with open(path, "rb") as f:
        before = f.read()
    result = keygen("-d", "example.com", "-s", "once", "-o", path)
    assert result.returncode == 2
    assert "File exists" in result.stderr
    with open(path, "rb") as f:
        assert f.read() == before


@pytest.mark.needs_root  # chown
def test_owner_is_the_daemon_user(workdir):
    path = os.path.join(workdir, "owned.pem")
    result = keygen("-d", "example.com", "-s", "owned", "-t", "ed25519",
                    "-o", path, "-u", "nobody")
    assert result.returncode == 0, result.stderr
    assert os.stat(path).st_uid == pwd.getpwnam("nobody").pw_uid


@pytest.mark.parametrize("arguments,error", [
    (["-d", "example.com", "-s", "x", "-b", "512"], "1024 to 4096"),
    (["-d", "example.com", "-s", "x", "-t", "dsa"], "use rsa or ed25519"),
    (["-d", "bad domain", "-s", "x"], "bad domain"),
    (["-d", "example.com", "-s", "x;y"], "bad selector"),
    (["-d", "example.com", "-s", "x", "-u", "no-such-user-here"],
     "no such user"),
    (["--check", "-d", "example.com", "-s", "x"], "usage"),
])
def test_bad_arguments(workdir, arguments, error):
    result = subprocess.run([program(KEYGEN), *arguments], cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert error in result.stderr
    assert not os.listdir(workdir)
