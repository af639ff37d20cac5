"""What Postfix asks a transport table served over socketmap(5), and when
(issue 25; doc/routing.md).

Routing by sending-IP budget answers Postfix's transport_maps lookups, so
whether a lookup can spend budget depends on which lookups Postfix makes.
A real private Postfix asks a recording socketmap server
(harness/socketmap_server.py) that routes every address to a test SMTP
server and answers NOTFOUND to anything else:

- transport_maps in main.cf: smtpd resolves the sender and each recipient
  at SMTP time, and qmgr each recipient again before delivery: two
  lookups per recipient for one delivery, and a lookup for a sender.
- transport_maps only in a trivial-rewrite of its own that only qmgr uses
  (rewrite_service_name): one lookup per recipient per delivery attempt,
  a retry looked up again; except that qmgr keeps its last answer for 30
  seconds (Postfix's resolve_clnt.c, a one-entry cache keyed on sender and
  address), so a second message from the same sender to the same
  recipient right after the first, or a retry with nothing resolved in
  between, is not asked about. Every trivial-rewrite also asks "*" when it
  starts.
"""
import re

import pytest

from harness.answering_server import AnsweringServer
from harness.smtp_clients import accepted, swaks
from harness.socketmap_server import SocketmapServer
from harness.waiting import wait_until

SENDER = "app@example.com"


@pytest.fixture
def next_hop():
    server = AnsweringServer({
        "later": ["450 4.2.1 mailbox busy, try again later",
                  "250 2.1.5 Ok"],
        "cached": ["450 4.2.1 mailbox busy, try again later",
                   "250 2.1.5 Ok"]}).start()
    yield server
    server.stop()


@pytest.fixture
def route(next_hop):
    """The recording socketmap server: table "route" sends every address
    to next_hop; a domain, "*" or anything else is NOTFOUND."""
    server = SocketmapServer(lambda name, key: (
        f"OK smtp:[127.0.0.1]:{next_hop.port}" if name == "route" and
        "@" in key else "NOTFOUND ")).start()
    yield server
    server.stop()


def sent_to(postfix, recipient):
    """How many deliveries to recipient the log shows."""
    return len(re.findall(rf"to=<{re.escape(recipient)}>.*status=sent",
                          postfix.log()))


def send(postfix, recipient):
    """One message to recipient, delivered."""
    before = sent_to(postfix, recipient)
    assert accepted(swaks(postfix.port, sender=SENDER, to=recipient))
    wait_until(lambda: sent_to(postfix, recipient) > before, timeout=30,
               what=f"a delivery to {recipient}")


def count(route, key):
    return sum(1 for name, asked in route.lookups() if asked == key)


def test_transport_maps_in_main_cf_are_asked_at_smtp_time_too(
        postfix_factory, route):
    relay = postfix_factory(settings={"transport_maps": route.table("route")})
    send(relay, "first@example.net")
    assert count(route, "first@example.net") == 2, route.lookups()
    assert count(route, SENDER) == 1, route.lookups()


def test_a_trivial_rewrite_for_qmgr_alone_is_asked_once_per_attempt(
        postfix_factory, route, next_hop):
    relay = postfix_factory(
        master_extra=("route-rewrite unix - - n - - trivial-rewrite\n"
                      f"  -o transport_maps={route.table('route')}\n"),
        master_parameters=["qmgr/unix/rewrite_service_name=route-rewrite"])
    send(relay, "a@example.net")
    assert count(route, "a@example.net") == 1, route.lookups()
    assert count(route, SENDER) == 0
    # The wildcard probe of a starting trivial-rewrite.
    assert count(route, "*") >= 1

    # The same sender and recipient again at once: qmgr's cached answer.
    send(relay, "a@example.net")
    assert count(route, "a@example.net") == 1
    # Another address resolved in between: asked again.
    send(relay, "b@example.net")
    send(relay, "a@example.net")
    assert count(route, "a@example.net") == 2
    assert len(next_hop.messages) == 4

    # A retry after a 4xx with another address resolved in between: asked
    # again, so a retry can take another route.
    assert accepted(swaks(relay.port, sender=SENDER, to="later@example.net"))
    relay.wait_for_log(r"to=<later@example\.net>.*status=deferred")
    send(relay, "c@example.net")
    relay.wait_for_log(r"to=<later@example\.net>.*status=sent")
    assert count(route, "later@example.net") == 2, route.lookups()

    # A retry with nothing resolved in between: qmgr's cached answer.
    assert accepted(swaks(relay.port, sender=SENDER, to="cached@example.net"))
    relay.wait_for_log(r"to=<cached@example\.net>.*status=deferred")
    relay.wait_for_log(r"to=<cached@example\.net>.*status=sent")
    assert count(route, "cached@example.net") == 1, route.lookups()
