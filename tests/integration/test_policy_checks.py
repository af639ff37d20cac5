"""waypost-policyd's authentication checks against a real redis-server.

No open relay, sender ownership, suspension, compromise detection and
warm-up caps, asked over the policy protocol as smtpd asks them
(harness/policy_client.py); the Redis keys are written and read back with
a Redis client, as an operator's scripts would. The same checks through a
real Postfix with SMTP AUTH are in test_policy_auth.py.
"""
import os
import subprocess

import pytest

from conftest import program
from harness.policy_client import PolicyClient, encode, request
from harness.waiting import wait_until
from harness.waypost import identities_file

POLICYD = "policy/waypost-policyd"
RELAY = "REJECT 5.7.1 Relay access denied"
SUSPENDED = "REJECT 5.7.1 Account suspended"
DEFER = "DEFER_IF_PERMIT 4.7.1"
TRUSTED = "trusted_networks = 127.0.0.1/32\n"


def trusting(policyd, policy_extra="", **options):
    """A waypost-policyd (conftest's policyd fixture) that trusts
    127.0.0.1, and a client of it: (client, PolicySetup)."""
    setup = policyd(policy_extra=TRUSTED + policy_extra, **options)
    return PolicyClient(setup.port), setup


def rcpt(**changes):
    return {"protocol_state": "RCPT", "recipient": "bob@example.net",
            **changes}


def test_no_open_relay(policyd):
    c, setup = trusting(policyd, "local_domains = example.net, .example.org\n")
    anonymous = dict(sasl_username="", sasl_method="")
    # Unauthenticated, untrusted client: local domains only.
    assert c.ask(**rcpt(recipient="x@elsewhere.com", **anonymous)) == RELAY
    assert c.ask(**rcpt(**anonymous)) == "DUNNO"
    assert c.ask(**rcpt(recipient="x@EXAMPLE.NET", **anonymous)) == "DUNNO"
    assert c.ask(**rcpt(recipient="x@mx.example.org", **anonymous)) == \
        "DUNNO"
    assert c.ask(**rcpt(recipient="x@example.org", **anonymous)) == RELAY
    assert c.ask(**rcpt(recipient="postmaster", **anonymous)) == "DUNNO"
    # Routing tricks through a local domain are relaying.
    assert c.ask(**rcpt(recipient="x%elsewhere.com@example.net",
                        **anonymous)) == RELAY
    assert c.ask(**rcpt(recipient="x@elsewhere.com@example.net",
                        **anonymous)) == RELAY
    # Authenticated, or trusted: anywhere.
    assert c.ask(**rcpt(recipient="x@elsewhere.com")) == "DUNNO"
    assert c.ask(**rcpt(recipient="x@elsewhere.com",
                        client_address="127.0.0.1", **anonymous)) == "DUNNO"
    # The check is at RCPT, where the recipient is known.
    assert c.ask(recipient="x@elsewhere.com", **anonymous) == "DUNNO"
    attributes = request(**rcpt(recipient="x@elsewhere.com", **anonymous))
    c.send_raw(encode(attributes))
    assert c.answer() == RELAY
    setup.daemon.wait_for_log(
        f"{attributes['queue_id']}: check relay: recipient not in "
        f"local_domains, client 127.0.0.2 neither authenticated nor in "
        f"trusted_networks: {RELAY}")

    off, quiet = trusting(policyd, "check_relay = no\n")
    assert off.ask(**rcpt(recipient="x@elsewhere.com", **anonymous)) == \
        "DUNNO"
    # Checks that pass say nothing, unless verbose (-v).
    assert "passed" not in setup.daemon.read_log() + quiet.daemon.read_log()
    verbose, loud = trusting(policyd, arguments=("-v",))
    attributes = request()
    verbose.send_raw(encode(attributes))
    assert verbose.answer() == "DUNNO"
    loud.daemon.wait_for_log(f"{attributes['queue_id']}: debug: passed: 0 "
                             f'limits, checks "s": DUNNO')


def test_sender_ownership(policyd, redis_server, workdir):
    identities = identities_file(
        workdir, "carol@example.com carol@example.com, @carol.example\n")
    c, setup = trusting(policyd, f"check_sender_ownership = yes\n"
                                 f"identities_file = {identities}\n")
    redis_server.client.sadd("waypost:senders:{alice@example.com}",
                             "alice@example.com", "@example.org")
    assert c.ask(protocol_state="MAIL") == "DUNNO"
    assert c.ask(**rcpt(sender="Alice@Example.COM",
                        sasl_username="ALICE@example.com")) == "DUNNO"
    assert c.ask(sender="anyone@EXAMPLE.org") == "DUNNO"
    attributes = request(protocol_state="MAIL", sender="mallory@example.com")
    c.send_raw(encode(attributes))
    refusal = ("REJECT 5.7.1 Sender address <mallory@example.com> not owned "
               "by user alice@example.com")
    assert c.answer() == refusal
    setup.daemon.wait_for_log(f"{attributes['queue_id']}: check "
                              f"sender_ownership: {refusal}")
    assert c.ask(sender="x@sub.example.org").startswith("REJECT 5.7.1")
    # A grant takes effect on the next request.
    redis_server.client.sadd("waypost:senders:{alice@example.com}",
                             "mallory@example.com")
    assert c.ask(sender="mallory@example.com") == "DUNNO"
    # The file grants too; no user, no ownership to check.
    assert c.ask(sasl_username="carol@example.com",
                 sender="x@carol.example") == "DUNNO"
    assert c.ask(sasl_username="carol@example.com",
                 sender="x@example.org").startswith("REJECT 5.7.1")
    assert c.ask(sasl_username="", sender="x@example.org") == "DUNNO"
    # The null sender: trusted networks only.
    assert c.ask(sender="") == ("REJECT 5.7.1 Sender address <> not owned "
                                "by user alice@example.com")
    assert c.ask(sender="", client_address="127.0.0.1") == "DUNNO"
    assert c.ask(sender="", sasl_username="") == "DUNNO"


def test_suspension_takes_effect_on_the_next_request(policyd, redis_server):
    c, setup = trusting(policyd, limits={
        "hourly": "subject = sasl_username\nwindow = 1h\nmax = 100"})
    r = redis_server.client
    assert c.ask() == "DUNNO"
    r.set("waypost:suspended:user:{alice@example.com}", "spam complaint")
    attributes = request()
    c.send_raw(encode(attributes))
    assert c.answer() == SUSPENDED
    setup.daemon.wait_for_log(
        f"{attributes['queue_id']}: check suspension: user "
        f"alice@example.com suspended (spam complaint): {SUSPENDED}")
    assert c.ask(protocol_state="RCPT") == SUSPENDED
    assert c.ask(sasl_username="bob@example.com",
                 sender="bob@example.com") == "DUNNO"
    # Refused: charged nothing.
    counter = "waypost:limit:hourly:{alice@example.com}"
    assert r.hget(counter, "sum") == b"1"
    r.delete("waypost:suspended:user:{alice@example.com}")
    assert c.ask() == "DUNNO"
    # A sender domain, for every client; an expiry lifts it by itself:
    # once Redis has expired the key, the next request passes.
    key = "waypost:suspended:domain:example.com"
    r.set(key, "compromised site", px=1500)
    assert c.ask(sasl_username="", client_address="127.0.0.1") == SUSPENDED
    wait_until(lambda: not r.exists(key), 10,
               "the suspension did not expire")
    assert c.ask(sasl_username="", client_address="127.0.0.1") == "DUNNO"

    hold, _ = trusting(policyd, "suspension_action = HOLD account suspended\n")
    r.set("waypost:suspended:user:{alice@example.com}", "review")
    assert hold.ask() == "HOLD account suspended"
    off, _ = trusting(policyd, "check_suspension = no\n")
    assert off.ask() == "DUNNO"


def test_compromise_detector_suspends_at_the_threshold(
        policyd, redis_server):
    c, setup = trusting(policyd, "detect_compromise = yes\n"
                                 "compromise_max_addresses = 5\n"
                                 "compromise_max_failures = 2\n"
                                 "check_sender_ownership = yes\n")
    r = redis_server.client
    r.sadd("waypost:senders:{alice@example.com}", "alice@example.com")
    r.sadd("waypost:senders:{bob@example.com}", "bob@example.com")
    for n in range(2, 7):  # five addresses: allowed, each several times
        for _ in range(2):
            assert c.ask(client_address=f"127.0.0.{n}") == "DUNNO"
    attributes = request(client_address="127.0.0.7")
    c.send_raw(encode(attributes))
    assert c.answer() == SUSPENDED
    setup.daemon.wait_for_log(
        f"{attributes['queue_id']}: warning: check compromise: user "
        f"alice@example.com suspended automatically: 6 client addresses in "
        f"1h (maximum 5): {SUSPENDED}")
    assert r.get("waypost:suspended:user:{alice@example.com}") == \
        b"auto: 6 client addresses in 1h"
    assert c.ask(client_address="127.0.0.2") == SUSPENDED

    # Messages with a sender not owned: counted once per message.
    bob = dict(sasl_username="bob@example.com", sender="ceo@example.com")
    for _ in range(2):
        attributes = request(protocol_state="RCPT", **bob)
        for _ in range(3):  # three recipients, one message
            c.send_raw(encode(attributes))
            assert c.answer().startswith("REJECT 5.7.1 Sender address")
    assert r.get("waypost:suspended:user:{bob@example.com}") is None
    assert c.ask(**bob) == SUSPENDED
    assert r.get("waypost:suspended:user:{bob@example.com}") == \
        b"auto: 3 messages from senders not owned in 1h"
    assert c.ask(sasl_username="bob@example.com",
                 sender="bob@example.com") == SUSPENDED


def test_warmup_cap_follows_the_schedule(policyd, redis_server):
    c, setup = trusting(policyd, sections=(
        '[warmup "new"]\n'
        'domains = example.com, Example.NET\n'
        'schedule = 3 5 unlimited\n'
        '[warmup "group"]\n'
        'domains = a.example, b.example\n'
        'schedule = 2\nper = group\n'))
    r = redis_server.client
    capped = "DEFER_IF_PERMIT 4.7.1 warm-up cap for example.com reached"
    for _ in range(3):
        assert c.ask(protocol_state="RCPT") == "DUNNO"
        assert c.ask() == "DUNNO"
    assert c.ask(protocol_state="RCPT") == capped
    attributes = request()
    c.send_raw(encode(attributes))
    assert c.answer() == capped
    setup.daemon.wait_for_log(f"{attributes['queue_id']}: check warmup new: "
                              f"example.com on day 0 at 3 of 3: {capped}")
    key = "waypost:warmup:new:{example.com}"
    today = int(r.time()[0]) // 86400
    # "<first day> <day of the last message> <sent that day>"
    assert r.get(key) == f"{today} {today} 3".encode()
    # Each domain has its own count; others are not capped at all.
    assert c.ask(sender="x@example.net") == "DUNNO"
    assert c.ask(sender="x@example.org") == "DUNNO"
    # The second day allows 5; from the third on, no cap.
    r.set(key, f"{today - 1} {today} 3")
    for _ in range(2):
        assert c.ask() == "DUNNO"
    assert c.ask() == capped
    assert r.get(key) == f"{today - 1} {today} 5".encode()
    # A count from an earlier day is no count today.
    r.set(key, f"{today - 30} {today - 1} 99")
    for _ in range(3):
        assert c.ask() == "DUNNO"
    # A group shares one count, under its name.
    assert c.ask(sender="x@a.example") == "DUNNO"
    assert c.ask(sender="x@b.example") == "DUNNO"
    assert c.ask(sender="x@b.example") == \
        "DEFER_IF_PERMIT 4.7.1 warm-up cap for group reached"
    assert r.get("waypost:warmup:group:{group}").endswith(b" 2")
    # After the schedule's end its last cap holds.
    r.set("waypost:warmup:group:{group}", f"{today - 100} {today} 2")
    assert c.ask(sender="x@a.example") == \
        "DEFER_IF_PERMIT 4.7.1 warm-up cap for group reached"


def test_checks_with_redis_down_follow_the_fail_mode(
        policyd, redis_server, workdir):
    identities = identities_file(workdir, "alice@example.com @example.com\n")
    closed, _ = trusting(policyd, f"check_sender_ownership = yes\n"
                                  f"identities_file = {identities}\n"
                                  f"local_domains = example.net\n")
    file_only, _ = trusting(policyd, f"check_sender_ownership = yes\n"
                                     f"identities_file = {identities}\n"
                                     f"check_suspension = no\n")
    opened, _ = trusting(policyd, "check_sender_ownership = yes\n",
                                  redis_extra="timeout = 2s\nfail_mode = open")
    assert closed.ask() == "DUNNO"
    assert file_only.ask(sender="x@example.org").startswith("REJECT 5.7.1")
    redis_server.stop()
    # What needs no Redis still holds: the relay check, a file grant, a
    # sender that cannot be anyone's; the rest follows fail_mode.
    assert closed.ask(**rcpt(recipient="x@elsewhere.com", sasl_username="",
                             sasl_method="")) == RELAY
    assert closed.ask(sender="no-domain").startswith("REJECT 5.7.1")
    unavailable = ("DEFER_IF_PERMIT 4.3.0 rate limiting temporarily "
                   "unavailable")
    assert closed.ask() == unavailable
    assert closed.ask(sender="x@example.org") == unavailable
    # Granted by the file alone: Redis is not asked.
    assert file_only.ask() == "DUNNO"
    assert file_only.ask(sender="x@example.org") == unavailable
    assert opened.ask(sender="x@example.org") == "DUNNO"


@pytest.mark.parametrize("text,error", [
    ("local_domains = example..com\n", "local_domains"),
    ("local_domains = exa mple@com\n", "local_domains"),
    ("suspension_action = PERMIT\n", "suspension_action"),
    ("compromise_window = 10s\n", "compromise_window"),
    ("compromise_max_addresses = 0\n", "compromise_max_addresses"),
    ("identities_file = /nonexistent/identities\n",
     "/nonexistent/identities"),
    ('[warmup "w"]\ndomains = example.com\nschedule = 10 many\n',
     "schedule"),
    ('[warmup "w"]\ndomains = .example.com\nschedule = 10\n', "domains"),
    ('[warmup "w"]\nschedule = 10\n', "domains"),
    ('[warmup "a"]\ndomains = example.com\nschedule = 10\n'
     '[warmup "b"]\ndomains = x.example, EXAMPLE.com\nschedule = 10\n',
     'both name domain'),
])
def test_bad_check_settings_are_refused_by_n(workdir, text, error):
    path = os.path.join(workdir, "bad.conf")
    with open(path, "w") as f:
        f.write("[redis]\naddress = 127.0.0.1:6379\n"
                "[policy]\nsocket = inet:10025@127.0.0.1\n" + text)
    result = subprocess.run([program(POLICYD), "-n", "-c", path],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert error in result.stderr + result.stdout


def test_identities_file_with_a_bad_line_is_refused_by_n(workdir):
    path = identities_file(workdir, "alice@example.com @example.com\n"
                                    "bob no-at-sign\n")
    config = os.path.join(workdir, "bad.conf")
    with open(config, "w") as f:
        f.write(f"[redis]\naddress = 127.0.0.1:6379\n"
                f"[policy]\nsocket = inet:10025@127.0.0.1\n"
                f"identities_file = {path}\n")
    result = subprocess.run([program(POLICYD), "-n", "-c", config],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert f"{path}:2" in result.stderr, result.stderr
    assert "Sanitizer" not in result.stderr, result.stderr  # no leak


def test_a_domain_is_one_domain_however_written(policyd, redis_server):
    """Case and one trailing dot name the same domain (Postfix delivers
    x@example.org. to x@example.org): writing it otherwise escapes no
    suspension, grant, limit or warm-up cap, and keeps no second
    counter."""
    c, setup = trusting(
        policyd, "check_sender_ownership = yes\n",
        limits={"to-domain": "subject = recipient_domain\nwindow = 1h\n"
                             "max = 2",
                "from-domain": "subject = sender_domain\nwindow = 1h\n"
                               "max = 2"},
        sections='[warmup "new"]\ndomains = new.example\nschedule = 2\n')
    r = redis_server.client
    trusted = dict(sasl_username="", client_address="127.0.0.1")
    # A suspended domain, from a trusted application.
    r.set("waypost:suspended:domain:example.org", "abuse report")
    for sender in ("x@example.org.", "x@EXAMPLE.ORG.", "x@example.org"):
        assert c.ask(sender=sender, **trusted) == SUSPENDED, sender
    # A recipient domain's limit of 2 admits 2, one counter.
    for recipient, expected in (("b@gmail.test", "DUNNO"),
                                ("c@gmail.test.", "DUNNO"),
                                ("d@GMAIL.TEST.", DEFER)):
        assert c.ask(recipient=recipient, sender=f"s@{recipient[0]}.test",
                     **trusted).startswith(expected), recipient
    assert r.keys("waypost:limit:to-domain:{gmail*") == \
        [b"waypost:limit:to-domain:{gmail.test}"]
    # So does a sender domain's.
    for sender, expected in (("a@mail.test", "DUNNO"),
                             ("b@mail.test.", "DUNNO"),
                             ("c@Mail.Test.", DEFER)):
        assert c.ask(sender=sender, **trusted).startswith(expected), sender
    assert r.keys("waypost:limit:from-domain:{mail*") == \
        [b"waypost:limit:from-domain:{mail.test}"]
    # The warm-up cap of new.example: 2 today, however it is written.
    for sender, expected in (("a@new.example", "DUNNO"),
                             ("b@new.example.", "DUNNO"),
                             ("c@NEW.example.", DEFER)):
        assert c.ask(sender=sender, **trusted).startswith(expected), sender
    # A grant of @shop.example owns x@shop.example. too.
    r.sadd("waypost:senders:{alice@example.com}", "@shop.example")
    assert c.ask(sender="x@Shop.Example.") == "DUNNO"
    # One dot only: example.org.. is no name Postfix delivers to.
    assert c.ask(sender="x@example.org..", **trusted) == "DUNNO"


def test_a_user_named_like_a_domain_is_no_domain(policyd, redis_server):
    """User keys and domain keys are distinct whatever a name holds: the
    user "@example.net", suspended by the detector, suspends no trusted
    application sending as x@example.net; a domain's suspension is no
    user's."""
    c, setup = trusting(policyd, "detect_compromise = yes\n"
                                 "compromise_max_addresses = 1\n")
    r = redis_server.client
    user = dict(sasl_username="@example.net", sender="a@example.com")
    assert c.ask(client_address="127.0.0.2", **user) == "DUNNO"
    assert c.ask(client_address="127.0.0.3", **user) == SUSPENDED
    assert r.get("waypost:suspended:user:{@example.net}") == \
        b"auto: 2 client addresses in 1h"
    assert c.ask(sasl_username="", client_address="127.0.0.1",
                 sender="x@example.net") == "DUNNO"
    r.set("waypost:suspended:domain:example.org", "abuse report")
    assert c.ask(sasl_username="@example.org", sender="a@example.com",
                 client_address="127.0.0.2") == "DUNNO"
    assert c.ask(sasl_username="", client_address="127.0.0.1",
                 sender="x@example.org") == SUSPENDED


def test_a_suppressed_recipient_is_refused_at_rcpt(policyd, redis_server):
    """check_suppression (on by default): a recipient with a suppression
    for the message's tenant (the user who logged in, else the sender) or
    for every tenant is refused at RCPT with 550 5.1.1 and why; the
    address in any case; other tenants and other stages are not."""
    c, setup = trusting(policyd)
    r = redis_server.client
    refused = ("550 5.1.1 recipient suppressed since 2025-12-01 (bounced: "
               "550 5.1.1 user unknown)")
    # (Another recipient: a passed check is kept for check_cache_time.)
    assert c.ask(**rcpt(recipient="erin@example.net")) == "DUNNO"
    r.set("waypost:suppressed:{alice@example.com}:bob@example.net",
          "1764547200 bounced: 550 5.1.1 user unknown")
    attributes = request(**rcpt(recipient="Bob@Example.NET."))
    c.send_raw(encode(attributes))
    assert c.answer() == refused
    setup.daemon.wait_for_log(
        f"{attributes['queue_id']}: check suppression: <bob@example.net> "
        f"suppressed for tenant alice@example.com (bounced: 550 5.1.1 user "
        f"unknown): {refused}")
    # Another tenant; the stages without a recipient.
    assert c.ask(**rcpt(sasl_username="carol@example.com",
                        sender="carol@example.com")) == "DUNNO"
    assert c.ask() == "DUNNO"
    # Without login the sender is the tenant.
    r.set("waypost:suppressed:{app@example.com}:bob@example.net",
          "manual: asked to be removed")
    assert c.ask(**rcpt(sasl_username="", sasl_method="",
                        client_address="127.0.0.1",
                        sender="App@example.com")) == \
        "550 5.1.1 recipient suppressed (manual: asked to be removed)"
    # For every tenant; an expiry lifts it.
    key = "waypost:suppressed-any:dave@example.net"
    r.set(key, "1764547200 complaint", px=1500)
    dave = rcpt(sasl_username="carol@example.com", sender="carol@example.com",
                recipient="dave@example.net")
    assert c.ask(**dave) == \
        "550 5.1.1 recipient suppressed since 2025-12-01 (complaint)"
    wait_until(lambda: not r.exists(key), 10,
               "the suppression did not expire")
    assert c.ask(**dave) == "DUNNO"
    off, _ = trusting(policyd, "check_suppression = no\n")
    assert off.ask(**rcpt()) == "DUNNO"
