#!/usr/bin/python3
"""The Waypost demo: a whole relay on loopback, real mail, a short report.

Starts a private redis-server, an SMTP sink standing in for the next hop,
a DNS server (dnsmasq) for the DKIM records, waypost-dkim with an RSA and
an Ed25519 key made by waypost-dkim-keygen, waypost-headers,
waypost-policyd, Dovecot's auth service for SMTP AUTH, and a private
Postfix configured with the lines of contrib/postfix (smarthost.main.cf,
submission.main.cf, submission.master.cf) relaying to the sink (its own
directories under $TMPDIR, /tmp if unset; loopback ports only). Then it
sends mail with swaks and shows what happened: a message from an internal
application arrives signed (python3-dkim checks both signatures against
the records in DNS), a sloppy legacy message arrives normalized, a
stranger may not relay, a user who logs in may not send as someone else,
the message one over a sender's quota waits with 4.7.1, and a message to
an unknown recipient bounces at a second next hop (a test server that
answers 550 5.1.1 for it): waypost-trackd, following Postfix's log, puts
its event in Redis, waypost-hookd POSTs it, signed, to the sender's
webhook (a test receiver that checks the signature), and the next
message to that recipient is refused at RCPT as suppressed. Last, a
sending relay (a second private Postfix, with contrib/postfix's
routing.master.cf and pool-transports.sh) warms up two new source
addresses, 127.0.0.2 and .3, at Gmail with waypost-routed: 2 messages
each today, so of 6 messages 4 leave, 2 from each address, and 2 wait in
the queue. What an operator sets or looks up (the user's grant, the
sender's quota, the suppression, the addresses' budgets) is done with the
built waypostctl, printed as typed. Everything is stopped at the end unless --keep is
given; the demo can be re-run. With --installed, the programs are those
installed by the Debian packages (/usr/sbin, /usr/bin), not the build's.

Run it through contrib/demo/demo.sh, which installs and builds first.
"""
import argparse
import base64
import json
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

from harness import ports, tempdir  # noqa: E402
from harness.answering_server import AnsweringServer  # noqa: E402
from harness.dns_server import DnsServer  # noqa: E402
from harness.dovecot import Dovecot  # noqa: E402
from harness.postfix import PrivatePostfix  # noqa: E402
from harness.redis_server import RedisServer  # noqa: E402
from harness.relay import (FRAGMENTS, fragment, master_cf,  # noqa: E402
                           postfix_config)
from harness.sink import Sink  # noqa: E402
from harness.smtp_clients import accepted, swaks  # noqa: E402
from harness.waypost import (DAEMON_USER, Daemon,  # noqa: E402
                             HeadersSetup, PolicySetup, RouteSetup)
from harness.waypost import start_tracker as harness_tracker  # noqa: E402
from harness.webhook_receiver import WebhookReceiver  # noqa: E402

BUILD_DIR = os.environ.get("top_builddir") or os.path.join(
    HERE, "..", "..", "build", "demo")
DOMAIN = "app.example.com"
USER = f"alice@{DOMAIN}"
PASSWORD = "secret1"
QUOTA_SENDER = f"newsletter@{DOMAIN}"
# The second next hop, for this domain: a test server that knows no
# "nobody" there.
BOUNCE_DOMAIN = "customers.example.org"
UNKNOWN = f"nobody@{BOUNCE_DOMAIN}"
# The tenant whose mail bounces, and its webhook's secret.
BILLING = f"billing@{DOMAIN}"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(
    b"demo webhook key 0123456789").decode()
# The newsletter tenant's new sending addresses, warming up at Gmail.
NEWS = f"news@{DOMAIN}"
SOURCES = ("127.0.0.2", "127.0.0.3")


# With --installed: where the Debian packages put the programs.
INSTALLED = ("/usr/sbin", "/usr/bin")
installed = False


def set_installed(value):
    global installed
    installed = value


def program(relative_path):
    """A program of the build tree, or with --installed the installed one
    of the same name."""
    if installed:
        for directory in INSTALLED:
            path = os.path.join(directory, os.path.basename(relative_path))
            if os.access(path, os.X_OK):
                return path
        sys.exit(f"demo.py: {os.path.basename(relative_path)} is not "
                 f"installed in {' or '.join(INSTALLED)}")
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


def waypostctl(config, *arguments):
    """Run the built waypostctl on the daemons' waypost.conf, as an
    operator would, and print the command and what it says: (whether it
    succeeded, what it printed)."""
    print("   $ waypostctl " + " ".join(
        argument if re.fullmatch(r"[\w@.:/=,-]+", argument)
        else f"'{argument}'" for argument in arguments))
    result = subprocess.run(
        [program("ctl/waypostctl"), "-c", config, *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=30)
    for line in result.stdout.rstrip("\n").splitlines():
        print("   | " + line)
    return result.returncode == 0, result.stdout


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


def refusals(result):
    """The server's 4xx and 5xx replies in swaks' output."""
    return [line.strip() for line in result.stdout.decode(
        "utf-8", "replace").splitlines()
        if re.match(r"^<[-~*]+\s+[45]\d\d[ -]", line)]


def daemon_lines(daemon, text):
    return [line for line in daemon.read_log().splitlines() if text in line]


def story_legacy(postfix, sink, headers):
    """A legacy application's message, before and after waypost-headers."""
    title("A legacy application's sloppy message arrives normalized")
    token = uuid.uuid4().hex[:12]
    message = (b"From: ERP <erp@" + DOMAIN.encode() + b">\r\n"
               b"To: customer@example.net\r\n"
               b"Subject: Rechnung f\xc3\xbcr November " + token.encode()
               + b"\r\nSubject: Invoice\r\n"
               b"Date: 2026-11-23T10:00:00+01:00\r\n"
               b"X-Mailer: LegacyERP 4.2\r\n"
               b"X-Originating-IP: [10.20.30.40]\r\n"
               b"\r\nYour invoice.\r\n")
    print("   as the application sends it: no Message-ID, an ISO 8601 date, "
          "two Subjects,\n   raw UTF-8, headers that leak its insides:")
    show(message.split(b"\r\n\r\n")[0])
    result = swaks(postfix.port, sender=f"erp@{DOMAIN}",
                   to="customer@example.net", data=message)
    if not accepted(result):
        show(result.stdout, "   ! ")
        return False
    delivery = sink.find(token.encode(), timeout=30)
    print("   as it leaves the relay (signed after it was repaired):")
    show(delivery.headers)
    headers.daemon.wait_for_log(": normalized: ")
    print("   waypost-headers says:")
    for line in daemon_lines(headers.daemon, ": normalized: ")[-1:]:
        print("   " + line)
    return (len(delivery.header_values("Message-ID")) == 1
            and len(delivery.header_values("Subject")) == 1
            and delivery.header_values("X-Mailer") == [])


def story_stranger(postfix, policy):
    """A client that neither is in mynetworks nor logged in."""
    title("A stranger (127.0.0.2, no login) cannot use the relay")
    result = swaks(postfix.port, sender=f"someone@{DOMAIN}",
                   to="customer@example.net",
                   extra=("--local-interface", "127.0.0.2"))
    for line in refusals(result):
        print("   swaks: " + line)
    policy.daemon.wait_for_log("Relay access denied")
    for line in daemon_lines(policy.daemon, "Relay access denied")[-1:]:
        print("   waypost-policyd: " + line)
    return not accepted(result) and any(
        "554 5.7.1" in line for line in refusals(result))


def story_spoofing(postfix, sink, signer, port, config):
    """A user who logs in may send only as what it was granted."""
    title(f"{USER} logs in on the submission port and may send only as "
          f"herself")
    granted, _ = waypostctl(config, "senders", "grant", USER, USER)
    login = ("--tls", "--auth", "PLAIN", "--auth-user", USER,
             "--auth-password", PASSWORD, "--local-interface", "127.0.0.2")
    token = uuid.uuid4().hex[:12]
    own = swaks(port, sender=USER, to="friend@example.net", extra=login,
                data=(f"From: Alice <{USER}>\r\nTo: friend@example.net\r\n"
                      f"Subject: lunch {token}\r\n\r\nNoon?\r\n").encode())
    print(f"   as {USER}, after STARTTLS and AUTH: "
          f"{'accepted' if accepted(own) else 'REFUSED'}")
    signed = False
    if accepted(own):
        delivery = sink.find(token.encode(), timeout=30)
        results = verify_all(delivery.content, signer)
        signed = len(results) == 2 and all(ok for *_, ok in results)
        print(f"   arrived signed, python3-dkim: "
              f"{'pass' if signed else 'FAIL'}")
    spoof = swaks(port, sender=f"ceo@{DOMAIN}", to="bank@example.net",
                  extra=login)
    print(f"   as ceo@{DOMAIN}, the same login:")
    for line in refusals(spoof):
        print("   swaks: " + line)
    refused = not accepted(spoof) and any(
        "not owned by user" in line for line in refusals(spoof))
    return granted and accepted(own) and signed and refused


def story_quota(postfix, config):
    """The message one over a sender's quota waits in its queue."""
    title(f"{QUOTA_SENDER} has a plan of 3 messages an hour")
    planned, _ = waypostctl(config, "quota", "set", QUOTA_SENDER, "hourly",
                            "3")
    answers = []
    for number in range(1, 5):
        result = swaks(postfix.port, sender=QUOTA_SENDER,
                       to="reader@example.net")
        answer = "accepted" if accepted(result) else \
            " / ".join(refusals(result))
        answers.append(accepted(result))
        print(f"   message {number}: {answer}")
    print("   where it stands, and when one more fits:")
    shown, _ = waypostctl(config, "quota", "show", QUOTA_SENDER)
    return planned and shown and answers == [True, True, True, False]


def events_of(redis, stream):
    return [json.loads(fields[b"event"])
            for _, fields in redis.client.xrange(stream)]


def wait_for_event(redis, stream, kind, recipient, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in events_of(redis, stream):
            if event["type"] == kind and \
                    (event["recipient"] or "").lower() == recipient:
                return event
        time.sleep(0.05)
    return None


def show_webhook(webhook, event_id, timeout=30):
    """The request waypost-hookd made of an event, as the receiver got
    it; whether its signature checked."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for request in webhook.requests():
            if request.webhook_id == event_id:
                print(f"   waypost-hookd POSTed it to the tenant's webhook "
                      f"{webhook.url()}:")
                for name in ("webhook-id", "webhook-timestamp",
                             "webhook-signature"):
                    print(f"   | {name}: {request.headers[name]}")
                print(f"   | ({len(request.body)} bytes: the event's JSON "
                      f"as stored) -> signature "
                      f"{'checked' if request.valid else 'WRONG'}, "
                      f"answered {request.status}")
                return request.valid
        time.sleep(0.05)
    print("   ! no webhook request for the bounce")
    return False


def story_bounce(postfix, tracker, redis, webhook, config):
    """A bounce becomes an event, a webhook and a suppression; the next
    message to that address is refused at RCPT."""
    sender = BILLING
    stream = f"waypost:events:{sender}"
    title(f"A message to an unknown recipient bounces, and {UNKNOWN} is "
          f"suppressed")
    first = swaks(postfix.port, sender=sender, to=UNKNOWN)
    passed = time.monotonic()
    print(f"   swaks to {UNKNOWN}: "
          f"{'accepted' if accepted(first) else 'REFUSED'} (the next hop "
          f"refuses it later)")
    event = wait_for_event(redis, stream, "bounced", UNKNOWN)
    if event is None:
        print("   ! no bounced event; waypost-trackd says:")
        for line in tracker.read_log().splitlines()[-10:]:
            print("   ! " + line)
        return False
    print(f"   waypost-trackd put this in the tenant's stream in Redis: an "
          f"operator follows it with\n   waypostctl events follow --tenant "
          f"{sender}\n   and an application reads the raw key itself, "
          f"with XREAD BLOCK:\n   redis-cli XREAD BLOCK 0 STREAMS {stream} "
          f"'$'")
    for line in json.dumps(event, indent=2, sort_keys=True).splitlines():
        print("   | " + line)
    pushed = show_webhook(webhook, event["id"])
    print(f"   and suppressed {UNKNOWN} for {sender}:")
    _, why = waypostctl(config, "suppression", "why", UNKNOWN, "--tenant",
                        sender)
    suppressed = f"{UNKNOWN} suppressed for tenant {sender}" in why
    # waypost-policyd keeps a pass at RCPT for check_cache_time (1 s):
    # past it, the new suppression holds.
    time.sleep(max(0.0, passed + 1.2 - time.monotonic()))
    second = swaks(postfix.port, sender=sender, to=UNKNOWN)
    print(f"   the next message to {UNKNOWN}:")
    for line in refusals(second):
        print("   swaks: " + line)
    refused = wait_for_event(redis, stream, "suppressed", UNKNOWN)
    if refused:
        print(f"   and its event: type {refused['type']}, queue_id "
              f"{refused['queue_id']}, recipient {refused['recipient']}")
    return (accepted(first) and event["class"] == "invalid-recipient"
            and pushed and suppressed and not accepted(second)
            and any("recipient suppressed since" in line
                    for line in refusals(second))
            and refused is not None)


def start_sending_relay(sink, directory, redis):
    """waypost-routed with the newsletter's pool (2 messages a day per
    address at Gmail on the first day), and a second private Postfix
    whose queue manager asks it, with contrib/postfix/routing.master.cf
    and a transport per address from pool-transports.sh as written:
    (the daemon, the Postfix)."""
    route = RouteSetup(program("route/waypost-routed"), directory,
                       redis.address)
    route.start(f'[pool "news"]\naddresses = {", ".join(SOURCES)}\n'
                f"tenants = {NEWS}\nschedule = gmail: 2 10 unlimited\n"
                f'[provider "gmail"]\ndomains = gmail.com, googlemail.com\n'
                f"nexthop = [127.0.0.1]:{sink.port}\n")
    rewrite = fragment("routing.master.cf", {
        "unix:/run/waypost/route.sock": f"unix:{route.socket}"})
    transports = subprocess.run(
        [os.path.join(FRAGMENTS, "pool-transports.sh"),
         *(f"{address}=out{n}.{DOMAIN}"
           for n, address in enumerate(SOURCES, 1))],
        check=True, stdout=subprocess.PIPE, text=True).stdout
    postfix = PrivatePostfix(
        sink.port, {}, master_cf(rewrite) + transports,
        ["qmgr/unix/rewrite_service_name=route-rewrite"]).start()
    print(f"   a sending relay: Postfix on 127.0.0.1:{postfix.port} with "
          f"contrib/postfix/routing.master.cf,\n   waypost-routed on "
          f"unix:{route.socket}: pool \"news\" ({', '.join(SOURCES)}) "
          f"for {NEWS}")
    return route, postfix


def story_warmup(relay, sink, config):
    """New addresses warm up at Gmail: what is over today's budget
    waits."""
    title("Two new sending addresses warm up at Gmail: 2 messages each "
          "today")
    before = len(sink.deliveries)
    recipients = [f"reader{n}@gmail.com" for n in range(1, 7)]
    for recipient in recipients:
        if not accepted(swaks(relay.port, sender=NEWS, to=recipient)):
            print(f"   ! {recipient}: refused")
            return False
    print(f"   6 messages from {NEWS} to Gmail readers: accepted")
    try:
        sink.wait_for(before + 4, timeout=60)
        relay.wait_for_log(r"(?s)(status=deferred.*no sending address has "
                           r"budget.*){2}", timeout=60)
    except TimeoutError as error:
        print(f"   ! {error}")
        return False
    left = [d for d in sink.deliveries[before:]
            if d.rcpt_tos[0].endswith("@gmail.com")]
    for delivery in left:
        print(f"   {delivery.rcpt_tos[0]} arrived from {delivery.peer[0]}")
    waiting = re.findall(r"to=<(reader\d@gmail\.com)>.*status=deferred "
                         r"\((.*?)\)", relay.log())
    for recipient, reason in dict(waiting).items():
        print(f"   {recipient} waits in the queue: {reason}")
    _, shown = waypostctl(config, "source", "show", "news", "--provider",
                          "gmail")
    counts = {address: sum(1 for d in left if d.peer[0] == address)
              for address in SOURCES}
    full = re.findall(r"^127\.0\.0\.[23]\s+news\s+gmail\s+0\s+2\s+2\s+0\s+"
                      r"active$", shown, re.M)
    return (counts == {address: 2 for address in SOURCES}
            and len(dict(waiting)) == 2 and len(full) == 2)


def start_tracker(postfix, directory, redis):
    """waypost-trackd on the private Postfix's maillog_file."""
    tracker = harness_tracker(program("track/waypost-trackd"), directory,
                              redis.address, postfix.maillog)
    print(f"   waypost-trackd follows {postfix.maillog} into Redis")
    return tracker


def start_hooks(directory, redis, webhook):
    """waypost-hookd, with one webhook: the billing tenant's bounces and
    suppressions, to the test receiver."""
    hooks = Daemon(
        program("hook/waypost-hookd"), directory,
        f"[log]\nlevel = info\n[redis]\naddress = {redis.address}\n"
        f"[hooks]\nuser = {DAEMON_USER}\npoll_interval = 50ms\n"
        f"[webhook \"billing\"]\nurl = {webhook.url()}\n"
        f"secret = {WEBHOOK_SECRET}\ntenants = {BILLING}\n"
        f"events = bounced, suppressed\n", "hookd")
    hooks.start(wait=False)
    hooks.wait_for_log("delivering events", or_exit=True)
    group = b"waypost-hookd:billing"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if any(g["name"] == group for g in redis.client.xinfo_groups(
                    f"waypost:events:{BILLING}")):
                break
        except Exception:
            pass
        time.sleep(0.05)
    print(f"   waypost-hookd sends {BILLING}'s bounces to {webhook.url()}")
    return hooks


def start_postfix(sink, signer, users, bounce_port):
    """A private Postfix with the lines of contrib/postfix as written, but
    for the sockets' directory (the Waypost daemons' sockets are in the
    signer's), the ports and the files: (the instance, its submission
    port)."""
    settings, master, services = postfix_config(
        ["smarthost", "submission"], signer.directory,
        sasl_socket=users.socket)
    settings["transport_maps"] = (f"inline:{{ {{ {BOUNCE_DOMAIN} = "
                                  f"smtp:[127.0.0.1]:{bounce_port} }} }}")
    postfix = PrivatePostfix(sink.port, settings, master).start()
    for port in services.values():
        ports.wait_for_port(port, timeout=20)
    return postfix, services["submission"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="leave everything running until Ctrl-C")
    parser.add_argument("--installed", action="store_true",
                        help="run the programs the Debian packages "
                             "installed, not the build's")
    options = parser.parse_args()
    set_installed(options.installed)
    if os.geteuid() != 0:
        sys.exit("demo.py: run as root (it starts a private Postfix)")

    started = []
    ok = False
    try:
        title("Starting the components on loopback")
        if installed:
            print(f"   the installed programs ({', '.join(INSTALLED)}), "
                  f"not the build's")
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
        headers = HeadersSetup(program("milters/headers/waypost-headers"),
                               signer.directory)
        started.append(headers)
        headers.start("internal_networks = 127.0.0.1/32\n")
        print(f"   waypost-headers on {headers.milter}")
        policy = PolicySetup(program("policy/waypost-policyd"),
                             signer.directory, redis.address)
        started.append(policy)
        policy.start({"hourly": "subject = sender\nwindow = 1h\nmax = 100"},
                     policy_extra="trusted_networks = 127.0.0.1/32\n"
                     f"local_domains = {DOMAIN}\n"
                     "check_sender_ownership = yes\n")
        print(f"   waypost-policyd on {policy.service}, limit \"hourly\": "
              f"100 messages an hour per sender")
        users = Dovecot({USER: PASSWORD})
        started.append(users)
        users.start()
        print(f"   Dovecot's auth service for SMTP AUTH: user {USER}")
        bounces = AnsweringServer({"nobody": [
            f"550 5.1.1 <{UNKNOWN}>: Recipient address rejected: User "
            f"unknown"]}).start()
        started.append(bounces)
        print(f"   a second next hop for {BOUNCE_DOMAIN} on 127.0.0.1:"
              f"{bounces.port}: knows no {UNKNOWN}")
        postfix, submission = start_postfix(sink, signer, users,
                                            bounces.port)
        started.append(postfix)
        version = subprocess.run(
            ["postconf", "-c", postfix.config_directory, "-h",
             "mail_version"], stdout=subprocess.PIPE, text=True).stdout
        print(f"   Postfix {version.strip()} on 127.0.0.1:{postfix.port} "
              f"(port 25's role) and 127.0.0.1:{submission} (587's), files "
              f"in {postfix.directory},\n   configured with "
              f"contrib/postfix/smarthost.main.cf, submission.main.cf and "
              f"submission.master.cf")
        tracker = start_tracker(postfix, signer.directory, redis)
        started.append(tracker)
        webhook = WebhookReceiver(
            os.path.join(signer.directory, "webhook"), [WEBHOOK_SECRET])
        started.append(webhook)
        webhook.start()
        print(f"   a webhook receiver for {BILLING} on {webhook.url()}")
        hooks = start_hooks(signer.directory, redis, webhook)
        started.append(hooks)
        route, relay = start_sending_relay(sink, signer.directory, redis)
        started.extend([route, relay])

        ok = story_relay(postfix, sink, signer)
        ok = story_legacy(postfix, sink, headers) and ok
        ok = story_stranger(postfix, policy) and ok
        # waypostctl reads the daemons' own file, as an operator gives
        # it the relay's waypost.conf: [redis], and for quota the limits
        # as waypost-policyd applies them.
        config = policy.daemon.config
        ok = story_spoofing(postfix, sink, signer, submission, config) and ok
        ok = story_quota(postfix, config) and ok
        ok = story_bounce(postfix, tracker, redis, webhook, config) and ok
        ok = story_warmup(relay, sink, route.daemon.config) and ok

        if options.keep:
            title("Running; press Ctrl-C to stop")
            print(f"   try: swaks --server 127.0.0.1:{postfix.port} "
                  f"--from app@{DOMAIN} --to someone@example.net")
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
