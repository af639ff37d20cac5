"""An SMTP server that answers each recipient as a test says (aiosmtpd).

Postfix relays to it as its relayhost. Each recipient's local part picks
a list of replies to RCPT TO, one per attempt, the last repeated: ["250
OK"] accepts, ["450 ...", "250 OK"] defers once and then accepts, ["550
..."] refuses for good. A local part not in the table is accepted, and
every message that reaches DATA is kept, with its accepted recipients.
Each RCPT is recorded with the client's address and the reply (tried).
"""
import threading

from aiosmtpd.controller import Controller

from . import ports

ACCEPT = "250 2.1.5 Ok"

# The delivery tracker's tests' recipients at example.net, each answered
# as its name says: a user unknown, a reputation block, busy once, full.
MIXED_ANSWERS = {
    "unknown": ["550 5.1.1 <unknown@example.net>: Recipient address "
                "rejected: User unknown"],
    "blocked": ["550 5.7.1 Service unavailable; client [127.0.0.1] "
                "blocked using zen.example"],
    "later": ["450 4.2.1 <later@example.net>: mailbox busy, try again "
              "later", ACCEPT],
    "full": ["552 5.2.2 <full@example.net>: mailbox full"],
}


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self.server._reply_to(address, session.peer[0])
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):
        self.server._keep(envelope)
        return "250 2.0.0 Ok: kept by the Waypost answering server"


class AnsweringServer:
    def __init__(self, answers):
        """answers: {local part: [reply to the first RCPT, the next...]}"""
        self.port = ports.free_port()
        self.answers = {name.lower(): list(replies)
                        for name, replies in answers.items()}
        self.attempts = {}
        self.tried = []  # (address, client address, reply), in order
        self.messages = []
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1",
                                      port=self.port, ready_timeout=10)

    def start(self):
        self._controller.start()
        return self

    def stop(self):
        self._controller.stop()

    def _reply_to(self, address, client):
        local = address.split("@", 1)[0].lower()
        replies = self.answers.get(local, [ACCEPT])
        with self._lock:
            attempt = self.attempts.get(address.lower(), 0)
            self.attempts[address.lower()] = attempt + 1
            reply = replies[min(attempt, len(replies) - 1)]
            self.tried.append((address, client, reply))
        return reply

    def _keep(self, envelope):
        with self._lock:
            self.messages.append((envelope.mail_from,
                                  list(envelope.rcpt_tos)))
