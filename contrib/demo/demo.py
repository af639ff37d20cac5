#!/usr/bin/python3
"""The Waypost demo: a whole relay on loopback, real mail, a short report.

Starts a private redis-server, an SMTP sink standing in for the next hop,
a DNS server (dnsmasq) for the DKIM records, waypost-dkim with an RSA and
an Ed25519 key made by waypost-dkim-keygen, and a private Postfix instance
relaying to the sink through the milter (its own directories under /tmp,
loopback ports only). Then it sends mail with swaks and shows what arrived,
with its DKIM signatures checked by python3-dkim against the records in
DNS. Each Waypost daemon adds its story here as it lands. Everything is
stopped at the end unless --keep is given; the demo can be re-run.

Run it through contrib/demo/demo.sh, which installs and builds first.
"""
import argparse
import os
import re
import subprocess
import sys
import time
import uuid

import dkim
import dns.resolver

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))

from harness import tempdir  # noqa: E402
from harness.dns_server import DnsServer  # noqa: E402
from harness.postfix import PrivatePostfix  # noqa: E402
from harness.redis_server import RedisServer  # noqa: E402
from harness.sink import Sink  # noqa: E402
from harness.smtp_clients import accepted, swaks  # noqa: E402
from harness.waypost import (DAEMON_USER, Daemon,  # noqa: E402
                             postfix_milter_settings)

BUILD_DIR = os.environ.get("top_builddir") or os.path.join(
    HERE, "..", "..", "build", "demo")
DOMAIN = "app.example.com"


def program(relative_path):
    path = os.path.join(BUILD_DIR, relative_path)
    if not os.access(path, os.X_OK):
        sys.exit(f"demo.py: {path} is not built: run contrib/demo/demo.sh")
    return path


class Signer:
    """waypost-dkim with an RSA and an Ed25519 key for DOMAIN, made by
    waypost-dkim-keygen, and their records served by a DNS server."""

    def __init__(self):
        self.directory = tempdir.make_dir("dkim")
        self.records = {}
        self.keys = []
        self.daemon = None
        self.dns = None

    def make_key(self, selector, key_type):
        path = os.path.join(self.directory, f"{selector}.pem")
        result = subprocess.run(
            [program("milters/dkim/waypost-dkim-keygen"), "-d", DOMAIN,
             "-s", selector, "-t", key_type, "-o", path, "-u", DAEMON_USER],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            check=True)
        zone = re.search(r"^(\S+)\s+IN\s+TXT\s+\((.*?)\)", result.stdout,
                         re.M | re.S)
        strings = re.findall(r'"([^"]*)"', zone.group(2))
        self.records[zone.group(1)] = strings
        self.keys.append((selector, key_type, path))
        print(f"   waypost-dkim-keygen -d {DOMAIN} -s {selector} -t "
              f"{key_type}: {zone.group(1)} TXT "
              f"\"{''.join(strings)[:40]}...\" ({len(strings)} string"
              f"{'s' if len(strings) > 1 else ''})")

    def start(self):
        self.make_key("demo-rsa", "rsa")
        self.make_key("demo-ed", "ed25519")
        self.dns = DnsServer(self.records).start()
        print(f"   dnsmasq on 127.0.0.1:{self.dns.port} serves both records")
        for selector, _, path in self.keys:
            result = subprocess.run(
                [program("milters/dkim/waypost-dkim-keygen"), "--check",
                 "-d", DOMAIN, "-s", selector, "-k", path, "--nameserver",
                 self.dns.address], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True)
            print(f"   waypost-dkim-keygen --check: {result.stdout.strip()}")
        table = os.path.join(self.directory, "KeyTable")
        signing = os.path.join(self.directory, "SigningTable")
        with open(table, "w") as f:
            for selector, _, path in self.keys:
                f.write(f"{selector} {DOMAIN}:{selector}:{path}\n")
        with open(signing, "w") as f:
            for selector, _, _ in self.keys:
                f.write(f"*@{DOMAIN} {selector}\n")
        self.socket = os.path.join(self.directory, "dkim.sock")
        self.daemon = Daemon(
            program("milters/dkim/waypost-dkim"), self.directory,
            f"[log]\nlevel = info\n[dkim]\nsocket = unix:{self.socket}\n"
            f"socket_group = postfix\nuser = {DAEMON_USER}\n"
            f"key_table = {table}\nsigning_table = refile:{signing}\n"
            f"internal_networks = 127.0.0.1/32\n", "dkim").start()
        print(f"   waypost-dkim on unix:{self.socket} (internal_networks = "
              f"127.0.0.1/32)")
        return self

    def resolve(self, name, timeout=5):
        """python3-dkim's dnsfunc: ask our DNS server, nothing else."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.dns.port
        answer = resolver.resolve(name.decode().rstrip("."), "TXT",
                                  lifetime=timeout)
        return b"".join(b"".join(record.strings) for record in answer)

    def stop(self):
        if self.daemon:
            self.daemon.stop()
        if self.dns:
            self.dns.stop()
        tempdir.remove_dir(self.directory)


def verify_all(message, signer):
    """(d=, s=, a=, pass?) for each DKIM-Signature, via real DNS."""
    checker = dkim.DKIM(message)
    results = []
    for index, line in enumerate(re.findall(
            rb"^DKIM-Signature:.*?(?=\r\n\S)", message, re.M | re.S)):
        tags = dict(part.split(b"=", 1) for part in
                    re.sub(rb"\s", b"", line[15:]).split(b";") if b"=" in part)
        try:
            ok = checker.verify(idx=index, dnsfunc=signer.resolve)
        except dkim.DKIMException:
            ok = False
        results.append((tags[b"d"].decode(), tags[b"s"].decode(),
                        tags[b"a"].decode(), ok))
    return results


def title(text):
    print(f"\n== {text}")


def show(block, prefix="   | "):
    for line in block.decode("utf-8", "replace").rstrip("\r\n").split("\r\n"):
        print(prefix + line)


def story_relay(postfix, sink, signer):
    """An internal application hands a message to the relay."""
    title("An internal application sends a message through the relay")
    token = uuid.uuid4().hex[:12]
    message = (b"From: Billing App <billing@app.example.com>\r\n"
               b"To: Customer <customer@example.net>\r\n"
               b"Subject: Your invoice " + token.encode() + b"\r\n"
               b"Date: " + time.strftime(
                   "%a, %d %b %Y %H:%M:%S +0000", time.gmtime()).encode()
               + b"\r\n"
               b"Message-ID: <" + token.encode() + b"@app.example.com>\r\n"
               b"\r\n"
               b"Dear customer,\r\n\r\nyour invoice is attached.\r\n")
    print(f"   swaks -> Postfix smtpd on 127.0.0.1:{postfix.port}")
    result = swaks(postfix.port, sender="billing@app.example.com",
                   to="customer@example.net", data=message)
    if not accepted(result):
        show(result.stdout, "   ! ")
        return False
    delivery = sink.find(token.encode(), timeout=30)
    print(f"   arrived at the next hop (sink on 127.0.0.1:{sink.port}), "
          f"from <{delivery.mail_from}> to {delivery.rcpt_tos}:")
    show(delivery.content)
    same = delivery.body == message.split(b"\r\n\r\n", 1)[1]
    print(f"   body byte-identical to what was sent: {'yes' if same else 'NO'}")
    results = verify_all(delivery.content, signer)
    for domain, selector, algorithm, ok in results:
        print(f"   python3-dkim, key from DNS: d={domain} s={selector} "
              f"a={algorithm}: {'pass' if ok else 'FAIL'}")
    signed = len(results) == 2 and all(ok for *_, ok in results)
    queue_id = postfix.wait_for_log(r"postfix/smtpd\[\d+\]: ([0-9A-F]+): "
                                    r"client=").group(1)
    postfix.wait_for_log(queue_id + ": removed")
    print(f"   Postfix's log for queue ID {queue_id}:")
    for line in postfix.log().splitlines():
        if queue_id in line:
            print("   " + line)
    print(f"   waypost-dkim's log for queue ID {queue_id}:")
    for line in signer.daemon.read_log().splitlines():
        if queue_id in line:
            print("   " + line)
    return same and signed


def story_outsider(postfix, sink, signer):
    """A client outside internal_networks that did not log in."""
    title("A client outside internal_networks (127.0.0.2) is not signed")
    token = uuid.uuid4().hex[:12]
    message = (b"From: Someone <someone@" + DOMAIN.encode() + b">\r\n"
               b"To: Customer <customer@example.net>\r\n"
               b"Subject: unsigned " + token.encode() + b"\r\n\r\nhi\r\n")
    result = swaks(postfix.port, sender=f"someone@{DOMAIN}",
                   to="customer@example.net", data=message,
                   extra=("--local-interface", "127.0.0.2"))
    if not accepted(result):
        show(result.stdout, "   ! ")
        return False
    delivery = sink.find(token.encode(), timeout=30)
    count = len(delivery.header_values("DKIM-Signature"))
    print(f"   arrived with {count} DKIM-Signature headers; waypost-dkim says:")
    signer.daemon.wait_for_log("client 127.0.0.2 is neither")
    for line in signer.daemon.read_log().splitlines():
        if "127.0.0.2" in line:
            print("   " + line)
    return count == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="leave everything running until Ctrl-C")
    options = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo.py: run as root (it starts a private Postfix)")

    started = []
    ok = False
    try:
        title("Starting the components on loopback")
        redis = RedisServer().start()
        started.append(redis)
        print(f"   redis-server on 127.0.0.1:{redis.port}: "
              f"PING -> {'PONG' if redis.client.ping() else '?'}")
        sink = Sink().start()
        started.append(sink)
        print(f"   SMTP sink (the next hop) on 127.0.0.1:{sink.port}")
        signer = Signer()
        started.append(signer)
        signer.start()
        postfix = PrivatePostfix(
            sink.port, postfix_milter_settings(f"unix:{signer.socket}"))
        started.append(postfix)
        postfix.start()
        version = subprocess.run(
            ["postconf", "-c", postfix.config_directory, "-h",
             "mail_version"], stdout=subprocess.PIPE, text=True).stdout
        print(f"   Postfix {version.strip()} on 127.0.0.1:{postfix.port}, "
              f"files in {postfix.directory}")

        ok = story_relay(postfix, sink, signer)
        ok = story_outsider(postfix, sink, signer) and ok

        if options.keep:
            title("Running; press Ctrl-C to stop")
            print(f"   try: swaks --server 127.0.0.1:{postfix.port} "
                  f"--to someone@example.net")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        title("Stopping everything")
        for component in reversed(started):
            component.stop()
    print("\nDemo " + ("succeeded." if ok else "FAILED."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
