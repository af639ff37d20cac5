"""Four relays, one truth: four private Postfix instances, each with its
own waypost-policyd, all sharing one Redis and one sink, and one
sender's limit of 1,000 messages an hour, charged at END-OF-MESSAGE.

smtp-source sends 400 messages from that sender into each relay at once,
over eight sessions each (1,600 in all, 32 sessions side by side). The
limit is exact across the relays when exactly 1,000 reach the sink, the
four Postfix logs hold the other 600 as refusals at end of data (450
4.7.1, the limit's answer; accepted plus refused is what was sent, so
nothing was answered by a fail mode or lost), and Redis's counter reads
1,000. The test waits for the sink, the logs and the queues, never for a
fixed time.
"""
import re
import time

import pytest

from harness.smtp_clients import smtp_source_started
from harness.waiting import wait_until

RELAYS = 4
PER_RELAY = 400
SESSIONS = 8
LIMIT = 1000
SENDER = "bulk@example.com"
REFUSED = re.compile(r"reject: END-OF-MESSAGE from \S+: 450 4\.7\.1 "
                     r"<END-OF-MESSAGE>: End-of-data rejected: shared "
                     r"exceeded, try again in \d+ seconds; "
                     rf"from=<{re.escape(SENDER)}>")
END_OF_DATA_REJECT = re.compile(r"reject: END-OF-MESSAGE from ")


@pytest.fixture
def relays(policyd, postfix_factory):
    """Four Postfix instances, relayN.waypost.test, each asking its own
    waypost-policyd at end of data."""
    started = []
    for number in range(RELAYS):
        setup = policyd({"shared": f"subject = sender\nwindow = 1h\n"
                                   f"max = {LIMIT}"})
        postfix = postfix_factory({
            "myhostname": f"relay{number}.waypost.test",
            "smtpd_end_of_data_restrictions":
                f"check_policy_service {setup.service}",
            "smtpd_policy_service_default_action":
                "451 4.3.5 policy service unavailable",
        })
        started.append((postfix, setup))
    return started


def charged(client, limit, subject):
    """The limit's counter for subject in Redis: the sum of its buckets,
    which must be the running sum kept beside them. Found by name, so
    that it is found whatever hash tag the key carries."""
    keys = [key for key in client.scan_iter(match=f"*{limit}*", count=1000)
            if subject.encode() in key]
    assert len(keys) == 1, keys
    fields = {name.decode(): int(value)
              for name, value in client.hgetall(keys[0]).items()}
    buckets = sum(value for name, value in fields.items()
                  if name.isdigit())
    assert fields.get("sum", 0) == buckets, fields
    return buckets


def test_four_relays_sharing_redis_accept_exactly_the_limit(
        relays, sink, redis_server):
    start = time.monotonic()
    senders = [smtp_source_started(postfix.port, sessions=SESSIONS,
                                   messages=PER_RELAY, size=256,
                                   sender=SENDER, refusals=True)
               for postfix, _ in relays]
    for sender in senders:
        assert sender.wait(timeout=120) == 0, sender.stdout.read()
    sent = RELAYS * PER_RELAY

    def delivered():
        return [d for d in list(sink.deliveries) if d.mail_from == SENDER]

    def refused():
        return [len(REFUSED.findall(postfix.log())) for postfix, _ in relays]

    def all_answered():
        return len(delivered()) + sum(refused()) >= sent

    wait_until(all_answered, 120,
               f"{sent} messages delivered or refused "
               f"(delivered {len(delivered())}, refused {refused()})",
               interval=0.2)
    wait_until(lambda: not any(postfix.queue_ids() for postfix, _ in relays),
               60, "the four queues empty", interval=0.2)
    elapsed = time.monotonic() - start

    accepted = delivered()
    per_relay = [sum(1 for d in accepted
                     if f"by relay{number}.waypost.test ".encode()
                     in d.headers) for number in range(RELAYS)]
    refusals = refused()
    counter = charged(redis_server.client, "shared", SENDER)
    print(f"{RELAYS} relays, {sent} messages from one sender in "
          f"{elapsed:.1f} s: accepted {len(accepted)} {per_relay}, "
          f"refused {sum(refusals)} {refusals}, Redis counter {counter}")
    assert len(accepted) == LIMIT
    assert sum(per_relay) == LIMIT
    assert sum(refusals) == sent - LIMIT
    # No other refusal at end of data: no fail-mode answer, no timeout.
    assert sum(len(END_OF_DATA_REJECT.findall(postfix.log()))
               for postfix, _ in relays) == sent - LIMIT
    assert counter == LIMIT
    # Each daemon logged the refusals its relay made, at the maximum.
    for (postfix, setup), count in zip(relays, refusals):
        assert setup.daemon.read_log().count(
            f"limit shared: {SENDER} at {LIMIT} of {LIMIT}: ") == count
