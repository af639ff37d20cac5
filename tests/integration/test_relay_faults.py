"""Faults under load: nothing leaves unsigned, nothing is lost.

The applications' side is what it is in the field: an application
server's own Postfix (a second private instance, myhostname
app.waypost.test) that smtp-source loads with 500 messages and that
relays them through the whole relay (harness/relay.py, the smarthost
fragments of contrib/postfix) to the sink. It retries what the relay
defers, from its queue, as every MTA does.

- waypost-dkim killed (SIGKILL) in the middle of the load, and started
  again a few seconds later: the relay answers 4xx while it is away
  (milter_default_action = tempfail), the application's Postfix retries,
  and in the end the sink holds each of the 500 messages exactly once,
  every one with both signatures valid for python3-dkim.
- Redis killed in the middle of the load, and started again: with
  fail_mode = closed waypost-policyd defers (4.3.0) and the mail waits in
  the application's queue; with fail_mode = open it keeps flowing while
  Redis is away. Either way all 500 arrive, once each, signed.
"""
import signal
import time

import pytest

from conftest import BUILD_DIR
from harness.postfix import PrivatePostfix
from harness.relay import WholeRelay
from harness.smtp_clients import smtp_source_started
from harness.waiting import wait_until

MESSAGES = 500
SENDER = "load@example.com"
LIMITS = {"hourly": "subject = sender\nwindow = 1h\nmax = 1000000"}


@pytest.fixture
def relay_factory(sink, redis_server):
    made = []

    def make(policy_timeout="100ms", fail_mode="closed"):
        relay = WholeRelay(BUILD_DIR, "smarthost", sink, redis_server,
                           limits=LIMITS,
                           redis_extra=f"timeout = {policy_timeout}\n"
                                       f"fail_mode = {fail_mode}\n")
        made.append(relay)
        relay.start()
        application = PrivatePostfix(relay.postfix.port, {
            "myhostname": "app.waypost.test",
            "default_destination_concurrency_limit": "10"})
        made.append(application)
        application.start()
        return relay, application

    yield make
    for thing in reversed(made):
        thing.stop()


def load(application):
    """smtp-source starts sending 500 messages into the application's
    Postfix, which takes them at once (it has no milter); its queue does
    the rest. The fault strikes while it still sends; loaded() waits for
    its end."""
    return smtp_source_started(application.port, sessions=5,
                               messages=MESSAGES, sender=SENDER)


def loaded(source):
    output, _ = source.communicate(timeout=300)
    assert source.returncode == 0, output.decode()


def load_goes_on(application, source):
    """At a fault: smtp-source still sends, or the application holds mail
    (or the count after the fault says nothing)."""
    return source.poll() is None or application.queue_ids()


def message_id(delivery):
    """The Message-ID smtp-source gave the message (process, session and
    message number): one per message sent."""
    values = delivery.header_values("Message-ID")
    assert len(values) == 1, delivery.content[:2000]
    return values[0]


def taken(relay):
    """How many messages the relay has queued (signed or not)."""
    return relay.postfix.log().count(f"from=<{SENDER}>, size=")


def taken_while_away(relay, application, source, grace=0.5, seconds=2):
    """How many messages the relay queues in seconds, after grace seconds
    for the sessions already past the fault; the load must go on at the
    fault, or the count says nothing. The span is what is measured (that
    nothing is taken while the fault lasts), not a wait for something: no
    event says that nothing more will come."""
    assert load_goes_on(application, source), "the load ended before the fault"
    time.sleep(grace)
    before = taken(relay)
    time.sleep(seconds)
    return taken(relay) - before


def all_arrived_once_and_signed(relay, application, source):
    loaded(source)
    deliveries = relay.sink.wait_for(MESSAGES, timeout=240)
    # Both queues empty, the application's first: nothing is left that
    # could arrive a second time.
    wait_until(lambda: not application.queue_ids() and
               not relay.postfix.queue_ids(), 60, "mail left in a queue")
    assert len(relay.sink.deliveries) == MESSAGES
    assert len({message_id(d) for d in deliveries}) == MESSAGES
    unsigned = [d for d in deliveries
                if relay.keys.verify(d.content) != [True, True]]
    assert unsigned == [], unsigned[0].content[:2000].decode()
    assert application.queue_ids() == []


def deferred(application, text):
    """Lines of the application's log where the relay deferred with
    text."""
    return [line for line in application.log().splitlines()
            if "status=deferred" in line and text in line]


def test_dkim_killed_mid_load_nothing_unsigned_nothing_lost(relay_factory):
    relay, application = relay_factory()
    source = load(application)
    wait_until(lambda: len(relay.sink.deliveries) >= 50, 120,
               "the load did not start")
    relay.dkim.daemon.signal(signal.SIGKILL)
    relay.dkim.daemon.process.wait()
    # While it is away the relay takes nothing: not one message more.
    assert taken_while_away(relay, application, source) == 0
    relay.dkim.daemon.stop()
    relay.dkim.daemon.start(wait=False)
    relay.dkim.daemon.wait_for_log("starting: listening on", count=2)
    all_arrived_once_and_signed(relay, application, source)
    assert deferred(application, "4.7.1"), application.log()[-3000:]


@pytest.mark.parametrize("fail_mode", ["closed", "open"])
def test_redis_killed_mid_load_fail_mode_holds_nothing_lost(
        relay_factory, redis_server, fail_mode):
    relay, application = relay_factory(fail_mode=fail_mode)
    source = load(application)
    wait_until(lambda: len(relay.sink.deliveries) >= 50, 120,
               "the load did not start")
    redis_server.process.send_signal(signal.SIGKILL)
    redis_server.process.wait()
    if fail_mode == "open":
        # Mail flows on at once: counted from the fault, before the
        # remaining load drains, until the relay takes more.
        assert load_goes_on(application, source), \
            "the load ended before the fault"
        before = taken(relay)
        wait_until(lambda: taken(relay) > before, 60,
                   "no mail taken while Redis is away")
        while_down = taken(relay) - before
        relay.policy.daemon.wait_for_log("warning: Redis unavailable")
    else:
        relay.policy.daemon.wait_for_log("warning: Redis unavailable")
        while_down = taken_while_away(relay, application, source)
    redis_server.restart()
    relay.policy.daemon.wait_for_log("Redis available again", timeout=10)
    all_arrived_once_and_signed(relay, application, source)
    unavailable = deferred(application,
                           "rate limiting temporarily unavailable")
    if fail_mode == "closed":
        assert unavailable, application.log()[-3000:]
        assert while_down == 0
    else:
        assert unavailable == []
        assert while_down > 0

