#!/usr/bin/python3
"""Write a synthetic Postfix 3.7 log of N lines, for make bench.

Its lines have the shapes of the lines a real Postfix 3.7.11 wrote here
(tests/bench/data/postfix-3.7-sample.log, made by
capture-postfix-sample.py); names, numbers and reply texts vary. Some
variants the sample has no example of follow Postfix's source and the
remote servers' known replies instead: smtpd's client= with
sasl_method= and sasl_username= (the sample's clients did not log in),
orig_to=, relay=none with Postfix's own "Host or domain name not found"
and "Connection timed out" texts (the capture had no DNS), replies "in
reply to end of DATA command", Trusted and Verified TLS, sessions lost
after STARTTLS or AUTH.

Each message lives its real life, interleaved with the others in time
order: smtpd connect (sometimes STARTTLS), QUEUEID: client= (with
sasl_username for most), cleanup message-id=, qmgr from= (queue active),
smtpd disconnect; then delivery attempts by smtp processes (a TLS line
when a connection opens), one line per recipient, several recipients of
one message in parallel batches; a deferred recipient is tried again
after a backoff, with a new qmgr from= line; a message whose deferred
recipients outlive --queue-lifetime is expired and returned to sender;
each attempt that bounced or expired a recipient makes a non-delivery
notification with a new queue ID (its own cleanup, qmgr, smtp and
removed lines); qmgr removed when every recipient is done. Noise besides:
sessions that drop after CONNECT or EHLO, relay attempts rejected with
NOQUEUE, postsuper -d of a deferred message, anvil and scache statistics.

Outcomes per recipient (defaults, see OUTCOMES): 85% sent at once, 8%
deferred then sent, 5% bounced (user unknown, reputation block, mailbox
full, bad domain, inactive mailbox, DMARC at end of DATA), 2% deferred
until they expire. Queue IDs are unique in the file, short (hex, as by
default) or long (enable_long_queue_ids = yes). Deterministic: the same
--seed and options give the same bytes.

Timestamp forms (--format): maillog (Postfix's own maillog_file:
"Dec 01 10:00:00 host postfix/smtp[123]: "), syslog (traditional:
"Dec  1 10:00:00 host ...") and rfc3339 (rsyslog's high precision:
"2026-12-01T10:00:00.123456+00:00 host ...").

    make-postfix-log.py [--lines N] [--seed S] [--format F]
        [--queue-ids short|long] [--rate MSGS_PER_S] [--output FILE]

A summary (lines by kind, recipients by outcome, and the messages: the
queue IDs with a qmgr from= line, Postfix's notifications included) goes
to standard error.
"""
import argparse
import calendar
import heapq
import random
import sys
import time

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")
# Postfix's long queue ID alphabet (no vowels); "z" separates the parts.
LONG_DIGITS = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy"

# Providers: (share, recipient domain, MX host, MX address prefix).
PROVIDERS = (
    (30, "gmail.com", "gmail-smtp-in.l.google.com", "192.0.2."),
    (20, "outlook.com", "outlook-com.olc.protection.outlook.com",
     "198.51.100."),
    (10, "yahoo.com", "mta5.am0.yahoodns.net", "203.0.113."),
    (5, "icloud.com", "mx01.mail.icloud.com", "192.0.2."),
    (5, "proton.me", "mail.protonmail.ch", "198.51.100."),
    (30, "example.net", "mx.example.net", "203.0.113."),
)
TLS_CLIENT = ("{kind} TLS connection established to {host}[{ip}]:25: TLSv1.3 "
              "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange "
              "X25519 server-signature RSA-PSS (2048 bits) server-digest "
              "SHA256")
TLS_SERVER = ("Anonymous TLS connection established from {client}: TLSv1.3 "
              "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange "
              "X25519 server-signature RSA-PSS (2048 bits) server-digest "
              "SHA256")

# Bounces: (weight, dsn, stage, reply text; {r} the recipient); relay
# None when Postfix bounced it itself before any server answered.
BOUNCES = (
    (40, "5.1.1", "RCPT TO", "550 5.1.1 <{r}>: Recipient address rejected: "
     "User unknown in virtual mailbox table"),
    (10, "5.1.1", "RCPT TO", "550-5.1.1 The email account that you tried to "
     "reach does not exist. Please try 550-5.1.1 double-checking the "
     "recipient's email address for typos or 550-5.1.1 unnecessary spaces. "
     "For more information, go to 550 5.1.1  "
     "https://support.google.com/mail/?p=NoSuchUser a1si2207261ejb.2 - gsmtp"),
    (15, "5.7.1", "RCPT TO", "550 5.7.1 Service unavailable, Client host "
     "[203.0.113.25] blocked using zen.spamhaus.org"),
    (8, "5.2.2", "RCPT TO", "552 5.2.2 <{r}>: Recipient address rejected: "
     "Mailbox full"),
    (8, "5.2.1", "RCPT TO", "550 5.2.1 The email account that you tried to "
     "reach is disabled."),
    (7, "5.7.26", "end of DATA", "550 5.7.26 This mail has been blocked "
     "because the sender is unauthenticated. Gmail requires all senders to "
     "authenticate with either SPF or DKIM."),
    (12, "5.4.4", None, "Host or domain name not found. Name service error "
     "for name={d} type=A: Host not found"),
)
# Deferrals: (weight, dsn, text); relay None: no server answered.
DEFERRALS = (
    (40, "4.2.1", "host {mx}[{ip}] said: 450 4.2.1 The user you are trying "
     "to contact is receiving mail too quickly (in reply to RCPT TO "
     "command)"),
    (25, "4.7.0", "host {mx}[{ip}] said: 421 4.7.0 [203.0.113.25] Our "
     "system has detected an unusual rate of unsolicited mail originating "
     "from your IP address. (in reply to end of DATA command)"),
    (20, "4.4.2", "conversation with {mx}[{ip}] timed out while receiving "
     "the initial server greeting"),
    (15, "4.4.1", None),
)
# Sessions that end early: the step, smtpd's command counts at disconnect.
LOST_AFTER = {"CONNECT": "commands=0/0", "EHLO": "ehlo=1 commands=1",
              "STARTTLS": "ehlo=1 starttls=1 commands=2",
              "AUTH": "ehlo=2 starttls=1 auth=0/1 commands=3/4"}
# Recipient outcomes: (weight, kind).
OUTCOMES = ((85, "sent"), (8, "deferred-sent"), (5, "bounced"),
            (2, "expired"))


def weighted(rng, table):
    """A chooser drawing rows of table by their first field."""
    rows = [row[1:] if len(row) > 2 else row[1] for row in table]
    weights = [row[0] for row in table]
    total = sum(weights)
    cumulative, running = [], 0
    for w in weights:
        running += w
        cumulative.append(running / total)

    def choose():
        x = rng.random()
        for row, edge in zip(rows, cumulative):
            if x < edge:
                return row
        return rows[-1]
    return choose


def seconds(value):
    """A delay as Postfix's format_tv() writes it: two significant digits,
    at most two decimals, no trailing zeros ("0", "0.01", "1.7", "27")."""
    if value >= 10:
        return str(int(value + 0.5))
    text = f"{value:.1f}" if value >= 1 else f"{value:.2f}"
    return text.rstrip("0").rstrip(".") or "0"


class Clock:
    """Timestamps in one of the three forms, the second's text cached."""

    def __init__(self, form, start, host):
        self.form = form
        self.start = start
        self.host = host
        self.second = None
        self.text = ""

    def prefix(self, when):
        second = int(when)
        if second != self.second:
            self.second = second
            t = time.gmtime(self.start + second)
            if self.form == "rfc3339":
                self.text = time.strftime("%Y-%m-%dT%H:%M:%S", t)
            elif self.form == "maillog":
                self.text = (f"{MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
                             f"{time.strftime('%H:%M:%S', t)}")
            else:
                self.text = (f"{MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} "
                             f"{time.strftime('%H:%M:%S', t)}")
        if self.form == "rfc3339":
            micro = int((when - second) * 1e6)
            return f"{self.text}.{micro:06d}+00:00 {self.host} postfix/"
        return f"{self.text} {self.host} postfix/"


class QueueIds:
    """Unique queue IDs: short ones are microseconds and an inode number
    in hex, as Postfix makes them; long ones seconds, microseconds, "z"
    and the inode number in Postfix's base 51 (mail_queue.h)."""

    def __init__(self, form, start):
        self.form = form
        self.start = start
        self.inode = 0xA72000

    def next(self, when):
        self.inode += 1
        micro = int((when - int(when)) * 1e6)
        if self.form == "short":
            return f"{micro:05X}{self.inode:X}"
        return (self.encode(int(self.start + when), 6) +
                self.encode(micro, 4) + "z" + self.encode(self.inode, 5))

    @staticmethod
    def encode(number, width):
        digits = []
        while number or len(digits) < width:
            number, digit = divmod(number, len(LONG_DIGITS))
            digits.append(LONG_DIGITS[digit])
        return "".join(reversed(digits))


class Message:
    __slots__ = ("qid", "arrival", "sender", "size", "pending", "notify",
                 "attempt", "batches", "new_bounces", "nrcpt",
                 "message_id", "dropped")


class Generator:
    def __init__(self, options):
        self.rng = random.Random(options.seed)
        self.options = options
        self.clock = Clock(options.format, options.start, options.host)
        self.ids = QueueIds(options.queue_ids, options.start)
        self.events = []
        self.sequence = 0
        self.lines = []
        self.count = 0
        self.last = 0.0
        self.kinds = {}
        self.outcomes = {}
        self.messages = 0
        rng = self.rng
        self.provider = weighted(rng, PROVIDERS)
        self.bounce = weighted(rng, BOUNCES)
        self.deferral = weighted(rng, DEFERRALS)
        self.outcome = weighted(rng, OUTCOMES)
        self.pids = {name: [rng.randrange(2000, 99999) for _ in range(n)]
                     for name, n in (("smtpd", 20), ("cleanup", 4),
                                     ("smtp", 40), ("bounce", 3),
                                     ("anvil", 1), ("scache", 1),
                                     ("postsuper", 1))}
        self.qmgr = rng.randrange(2000, 99999)
        self.senders = [f"app{n}@tenant{n % 37}.example.com"
                        for n in range(200)]
        self.clients = [(f"app{n}.example.com[198.51.100.{n}]"
                         if n % 3 else f"unknown[203.0.113.{n}]")
                        for n in range(1, 120)]

    # Lines and events.
    def pid(self, process):
        """A process of that kind, as one session or batch keeps."""
        return (self.qmgr if process == "qmgr"
                else self.rng.choice(self.pids[process]))

    def emit(self, when, process, text, kind, pid=None):
        pid = pid or self.pid(process)
        # A log is written in time order: a burst stamped ahead of an
        # event that comes before it is stamped as that event.
        when = max(when, self.last)
        self.last = when
        self.lines.append(f"{self.clock.prefix(when)}{process}[{pid}]: "
                          f"{text}\n")
        self.count += 1
        if self.count <= self.options.lines:  # flush() cuts the rest
            self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def at(self, when, action, *arguments):
        self.sequence += 1
        heapq.heappush(self.events, (when, self.sequence, action, arguments))

    # A message's life.
    def arrive(self, when):
        rng = self.rng
        m = Message()
        m.qid = self.ids.next(when)
        m.arrival = when
        m.sender = rng.choice(self.senders)
        m.size = rng.randrange(800, 60000)
        m.notify = False
        m.attempt = 0
        m.new_bounces = 0
        m.dropped = False
        count = (1 if rng.random() < 0.8 else
                 rng.randrange(2, 6) if rng.random() < 0.75 else
                 rng.randrange(6, 21))
        m.nrcpt = count
        m.pending = []
        for n in range(count):
            domain, mx, prefix = self.provider()
            kind = self.outcome()
            recipient = f"user{rng.randrange(1000000)}@{domain}"
            tries = 0 if kind == "sent" else rng.randrange(1, 4)
            # An alias the relay expanded: Postfix adds orig_to=.
            alias = (f"orig_to=<list{rng.randrange(100)}@"
                     f"{m.sender.split('@')[1]}>, "
                     if rng.random() < 0.05 else "")
            m.pending.append([recipient, kind, tries, mx,
                              f"{prefix}{rng.randrange(1, 255)}", alias])
        stamp = time.strftime("%Y%m%d%H%M%S",
                              time.gmtime(self.options.start + when))
        m.message_id = (f"{stamp}.{rng.getrandbits(32):08x}@"
                        f"{m.sender.split('@')[1]}" if rng.random() < 0.5
                        else f"{rng.getrandbits(64):016x}@mailer.example.com")
        client = rng.choice(self.clients)
        tls = rng.random() < 0.6
        smtpd = self.pid("smtpd")
        self.emit(when, "smtpd", f"connect from {client}", "smtpd-connect",
                  smtpd)
        if tls:
            self.emit(when + 0.004, "smtpd", TLS_SERVER.format(client=client),
                      "smtpd-tls", smtpd)
        login = (f", sasl_method=PLAIN, sasl_username={m.sender}"
                 if rng.random() < 0.7 else "")
        self.emit(when + 0.006, "smtpd", f"{m.qid}: client={client}{login}",
                  "smtpd-client", smtpd)
        self.emit(when + 0.012, "cleanup",
                  f"{m.qid}: message-id=<{m.message_id}>", "cleanup")
        commands = (f"ehlo=2 starttls=1 mail=1 rcpt={count} data=1 quit=1 "
                    f"commands={count + 6}" if tls else
                    f"ehlo=1 mail=1 rcpt={count} data=1 quit=1 "
                    f"commands={count + 4}")
        self.at(when + 0.015 + rng.random() * 0.01, self.queued, m,
                (client, commands, smtpd))

    def queued(self, when, m, session=None):
        self.emit(when, "qmgr", f"{m.qid}: from=<{m.sender}>, size={m.size}, "
                  f"nrcpt={m.nrcpt} (queue active)", "qmgr-from")
        if m.attempt == 0 and self.count <= self.options.lines:
            self.messages += 1  # a queue ID's first from= in the file
        if session:
            client, commands, smtpd = session
            self.emit(when + 0.002, "smtpd",
                      f"disconnect from {client} {commands}",
                      "smtpd-disconnect", smtpd)
        self.start_attempt(when, m)

    def start_attempt(self, when, m):
        """One delivery attempt: batches of recipients by MX, each in one
        smtp process, a little apart."""
        m.attempt += 1
        by_mx = {}
        for r in m.pending:
            by_mx.setdefault(r[3], []).append(r)
        m.batches = len(by_mx)
        for batch in by_mx.values():
            self.at(when + 0.01 + self.rng.random() * 0.4, self.deliver, m,
                    batch)

    def deliver(self, when, m, batch):
        rng = self.rng
        if m.dropped:
            return
        mx, ip = batch[0][3], batch[0][4]
        smtp = self.pid("smtp")
        if rng.random() < 0.5:
            self.emit(when, "smtp", TLS_CLIENT.format(
                kind=rng.choice(("Trusted", "Untrusted", "Verified")),
                host=mx, ip=ip), "smtp-tls", smtp)
        for r in batch:
            when += 0.001 + rng.random() * 0.01
            recipient, kind, tries = r[0], r[1], r[2]
            delay = when - m.arrival
            a = min(delay, rng.random() * 0.05)
            c = rng.random() * 0.1
            d = rng.random() * 0.2
            b = max(delay - a - c - d, 0)
            head = f"{m.qid}: to=<{recipient}>, {r[5]}"
            timing = (f"delay={seconds(delay)}, delays={seconds(a)}/"
                      f"{seconds(b)}/{seconds(c)}/{seconds(d)}, ")
            if kind == "sent" or (kind == "deferred-sent" and tries == 0):
                self.emit(when, "smtp", f"{head}relay={mx}[{ip}]:25, {timing}"
                          f"dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
                          f"{rng.getrandbits(44):011X})", "smtp-sent", smtp)
                self.done(m, r, "sent" if kind == "sent" else kind)
            elif kind == "bounced":
                dsn, stage, text = self.bounce()
                domain = recipient.split("@")[1]
                text = text.format(r=recipient, d=domain)
                if stage is None:
                    self.emit(when, "smtp", f"{head}relay=none, {timing}"
                              f"dsn={dsn}, status=bounced ({text})",
                              "smtp-bounced", smtp)
                else:
                    self.emit(when, "smtp", f"{head}relay={mx}[{ip}]:25, "
                              f"{timing}dsn={dsn}, status=bounced (host "
                              f"{mx}[{ip}] said: {text} (in reply to {stage} "
                              f"command))", "smtp-bounced", smtp)
                m.new_bounces += 1
                self.done(m, r, f"bounced {dsn}")
            else:
                dsn, text = self.deferral()
                if text is None:
                    self.emit(when, "smtp", f"{head}relay=none, {timing}"
                              f"dsn={dsn}, status=deferred (connect to "
                              f"{mx}[{ip}]:25: Connection timed out)",
                              "smtp-deferred", smtp)
                else:
                    self.emit(when, "smtp", f"{head}relay={mx}[{ip}]:25, "
                              f"{timing}dsn={dsn}, status=deferred "
                              f"({text.format(mx=mx, ip=ip)})",
                              "smtp-deferred", smtp)
                r[2] -= 1
        m.batches -= 1
        if m.batches == 0:
            self.end_attempt(when + 0.002, m)

    def done(self, m, r, outcome):
        m.pending.remove(r)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def end_attempt(self, when, m):
        """As qmgr ends a pass: expire what outlived the queue lifetime,
        notify the sender of bounces, remove a finished message, or
        schedule the next try."""
        if m.pending and when - m.arrival > self.options.queue_lifetime:
            self.emit(when, "qmgr", f"{m.qid}: from=<{m.sender}>, "
                      f"status=expired, returned to sender", "qmgr-expired")
            for r in list(m.pending):
                self.done(m, r, "expired")
            m.new_bounces += 1
        if m.new_bounces and not m.notify:
            self.notification(when + 0.001, m)
        m.new_bounces = 0
        if not m.pending:
            self.emit(when + 0.003, "qmgr", f"{m.qid}: removed",
                      "qmgr-removed")
            return
        backoff = min(self.options.backoff * 2 ** (m.attempt - 1), 4000)
        self.at(when + backoff * (0.8 + self.rng.random() * 0.4), self.retry,
                m)

    def retry(self, when, m):
        if m.dropped:
            return
        self.queued(when, m)

    def notification(self, when, original):
        """Postfix's own bounce message to the sender, a new queue ID."""
        m = Message()
        m.qid = self.ids.next(when)
        m.arrival = when
        m.sender = ""
        m.size = self.rng.randrange(2400, 6000)
        m.notify = True
        m.attempt = 0
        m.new_bounces = 0
        m.dropped = False
        m.nrcpt = 1
        m.pending = [[original.sender, "sent", 0, "mx.example.com",
                      "203.0.113.10", ""]]
        ident = (m.qid if self.options.queue_ids == "long" else
                 time.strftime("%Y%m%d%H%M%S",
                               time.gmtime(self.options.start + when)) +
                 "." + m.qid)
        self.emit(when, "cleanup", f"{m.qid}: message-id=<{ident}@"
                  f"{self.options.host}.example.com>", "cleanup")
        self.emit(when + 0.001, "bounce", f"{original.qid}: sender "
                  f"non-delivery notification: {m.qid}", "bounce-notice")
        self.at(when + 0.002, self.queued, m)

    # Noise.
    def noise(self, when):
        rng = self.rng
        x = rng.random()
        client = rng.choice(self.clients)
        smtpd = self.pid("smtpd")
        if x < 0.45:
            self.emit(when, "smtpd", f"connect from {client}",
                      "smtpd-connect", smtpd)
            step = rng.choice(tuple(LOST_AFTER))
            self.emit(when + 0.01, "smtpd", f"lost connection after {step} "
                      f"from {client}", "smtpd-lost", smtpd)
            self.emit(when + 0.011, "smtpd", f"disconnect from {client} "
                      f"{LOST_AFTER[step]}", "smtpd-disconnect", smtpd)
        elif x < 0.98:
            stranger = f"unknown[192.0.2.{rng.randrange(1, 255)}]"
            recipient = f"user{rng.randrange(1000)}@elsewhere.example"
            self.emit(when, "smtpd", f"connect from {stranger}",
                      "smtpd-connect", smtpd)
            self.emit(when + 0.02, "smtpd", f"NOQUEUE: reject: RCPT from "
                      f"{stranger}: 554 5.7.1 <{recipient}>: Relay access "
                      f"denied; from=<spam@bulk.example> to=<{recipient}> "
                      f"proto=ESMTP helo=<bulk.example>", "smtpd-reject",
                      smtpd)
            self.emit(when + 0.03, "smtpd", f"disconnect from {stranger} "
                      f"ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
                      "smtpd-disconnect", smtpd)
        else:
            self.drop_one(when)

    def drop_one(self, when):
        """postsuper -d of a message waiting for its next try, if any."""
        for _, _, action, arguments in self.events[:50]:
            if (action == self.retry and not arguments[0].notify and
                    not arguments[0].dropped):
                m = arguments[0]
                m.dropped = True
                self.emit(when, "postsuper", f"{m.qid}: removed",
                          "postsuper-removed")
                self.emit(when, "postsuper", "Deleted: 1 message",
                          "postsuper-deleted")
                for r in list(m.pending):
                    self.done(m, r, "dropped")
                return

    def statistics(self, when):
        t = time.gmtime(self.options.start + when - 300)
        at = (f"{MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} "
              f"{time.strftime('%H:%M:%S', t)}")
        client = self.rng.choice(self.clients).split("[")[1].rstrip("]")
        self.emit(when, "anvil", f"statistics: max connection rate "
                  f"{self.rng.randrange(5, 60)}/60s for (smtp:{client}) at "
                  f"{at}", "anvil")
        self.emit(when, "anvil", f"statistics: max connection count "
                  f"{self.rng.randrange(1, 20)} for (smtp:{client}) at {at}",
                  "anvil")
        self.emit(when, "anvil", f"statistics: max cache size "
                  f"{self.rng.randrange(10, 200)} at {at}", "anvil")
        self.emit(when, "scache", f"statistics: start interval {at}",
                  "scache")
        self.emit(when, "scache", f"statistics: domain lookup hits="
                  f"{self.rng.randrange(1000)} miss={self.rng.randrange(100)} "
                  f"success={self.rng.randrange(100)}%", "scache")
        self.at(when + 600, self.statistics)

    def run(self, out):
        rng, target = self.rng, self.options.lines
        rate = self.options.rate
        next_arrival = 0.0
        next_noise = 0.0
        self.at(600, self.statistics)
        while self.count < target:
            if not self.events or next_arrival <= self.events[0][0] or \
                    next_noise <= self.events[0][0]:
                if next_arrival <= next_noise:
                    self.arrive(next_arrival)
                    next_arrival += rng.expovariate(rate)
                else:
                    self.noise(next_noise)
                    next_noise += rng.expovariate(rate / 20)
            else:
                when, _, action, arguments = heapq.heappop(self.events)
                action(when, *arguments)
            if len(self.lines) >= 65536:
                self.flush(out)
        self.flush(out)

    def flush(self, out):
        """Write what is buffered, never past the target: the lines of one
        event are written in order, so the last may be cut after any."""
        keep = len(self.lines) - max(self.count - self.options.lines, 0)
        out.write("".join(self.lines[:keep]))
        self.lines = []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1000000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--format", choices=("maillog", "syslog", "rfc3339"),
                        default="maillog")
    parser.add_argument("--queue-ids", choices=("short", "long"),
                        default="short")
    parser.add_argument("--rate", type=float, default=30.0,
                        help="messages per second of log time")
    parser.add_argument("--backoff", type=float, default=240.0,
                        help="seconds before the first retry (doubles)")
    parser.add_argument("--queue-lifetime", type=float, default=1200.0,
                        help="seconds before deferred mail expires")
    parser.add_argument("--start", default="2026-12-01T10:00:00",
                        help="log time of the first line, UTC")
    parser.add_argument("--host", default="relay")
    parser.add_argument("--output", help="the file to write (else stdout)")
    options = parser.parse_args()
    options.start = calendar.timegm(time.strptime(options.start,
                                                  "%Y-%m-%dT%H:%M:%S"))
    generator = Generator(options)
    out = open(options.output, "w") if options.output else sys.stdout
    try:
        generator.run(out)
    finally:
        if options.output:
            out.close()
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(generator.kinds.items()))
    outcomes = ", ".join(f"{k} {v}" for k, v in
                         sorted(generator.outcomes.items()))
    print(f"make-postfix-log: {options.lines} lines; by kind: {kinds}; "
          f"recipients by outcome: {outcomes}; messages (queue IDs with a "
          f"qmgr from= line) {generator.messages}", file=sys.stderr)


if __name__ == "__main__":
    main()
