"""Redis Cluster hash tags: the keys one decision writes for a tenant lie
in the tenant's slot (issue 24, doc/redis-cluster.md).

A real waypost-policyd decides for alice, logged in, with the account
checks on (ownership, the compromise detector, suppression, suspension)
and two limits keyed on her, plus one keyed on the client address. Then a
redis-server started with cluster-enabled yes gives, with CLUSTER KEYSLOT
(Redis' own CRC16 of a key's hash tag), the slot of every key the daemon
wrote: alice's are all in one slot; what doc/redis-cluster.md lists as
crossing (the client's limit, the activity counts) is elsewhere. And
contrib/redis/rename-keys.sh moves the keys of an older version to their
tagged names.
"""
import os
import subprocess

import pytest

from harness.policy_client import PolicyClient, request
from harness.ports import free_port
from harness.redis_server import RedisServer

ALICE = "alice@example.com"
LIMITS = {"hourly": "subject = sasl_username\nwindow = 1h\nmax = 100",
          "daily": "subject = sasl_username\ncount = recipients\n"
                   "window = 1d\nmax = 1000",
          "client": "subject = client_address\nwindow = 1m\nmax = 100"}
CHECKS = ("trusted_networks = 127.0.0.1/32\n"
          "check_sender_ownership = yes\n"
          "detect_compromise = yes\n")


@pytest.fixture
def slots():
    """slot(key): the Cluster slot of key, from a redis-server in cluster
    mode (which computes it without any slot assigned)."""
    server = RedisServer(extra_arguments=(
        "--cluster-enabled", "yes", "--cluster-port", str(free_port())))
    server.start()
    yield lambda key: server.client.execute_command("CLUSTER", "KEYSLOT", key)
    server.stop()


def test_a_tenants_decision_keys_share_its_slot(policyd, redis_server, slots):
    setup = policyd(LIMITS, policy_extra=CHECKS)
    client = PolicyClient(setup.port)
    r = redis_server.client
    r.sadd(f"waypost:senders:{{{ALICE}}}", ALICE)
    # A message of hers, checked at RCPT and charged at END-OF-MESSAGE;
    # one with a sender she does not own, which the detector counts.
    message = request(protocol_state="RCPT", recipient="bob@example.net")
    assert client.ask(**message) == "DUNNO"
    assert client.ask(**dict(message, protocol_state="END-OF-MESSAGE",
                             recipient="")) == "DUNNO"
    refused = client.ask(protocol_state="RCPT", recipient="bob@example.net",
                         sender="ceo@example.com")
    assert refused.startswith("REJECT 5.7.1 Sender address"), refused

    tag = slots(f"{{{ALICE}}}")
    kinds, crossing = {}, {}
    for key in (k.decode() for k in r.keys("waypost:*")):
        kind = key.split(":")[1]
        if key.startswith("waypost:limit:"):
            kind = "limit:" + key.split(":")[2]
        if kind in ("activity", "limit:client"):
            crossing[kind] = slots(key)
        else:
            kinds.setdefault(kind, set()).add(slots(key))
    # Every kind the decision wrote for her, each in her slot only.
    assert set(kinds) == {"senders", "instance", "clients", "failures",
                          "limit:hourly", "limit:daily"}, kinds
    assert all(found == {tag} for found in kinds.values()), (tag, kinds)
    # The client's limit and the activity counts are the documented
    # exceptions: not tagged with her, so in other slots.
    assert set(crossing) == {"activity", "limit:client"}
    assert tag not in crossing.values(), (tag, crossing)


def test_an_override_and_a_suppression_are_in_the_tenants_slot(
        policyd, redis_server, slots):
    """The keys an operator writes for her (waypostctl, or a script
    following waypost-policyd(8)) are read in the same call: a refusal
    proves the daemon found them under those names."""
    setup = policyd(LIMITS, policy_extra=CHECKS)
    client = PolicyClient(setup.port)
    r = redis_server.client
    r.sadd(f"waypost:senders:{{{ALICE}}}", ALICE)
    r.set(f"waypost:suppressed:{{{ALICE}}}:gone@example.net",
          "1764547200 bounced")
    r.hset(f"waypost:override:{{{ALICE}}}", "hourly", 0)
    assert client.ask(protocol_state="RCPT", recipient="gone@example.net"
                      ) == ("550 5.1.1 recipient suppressed since "
                            "2025-12-01 (bounced)")
    assert client.ask(protocol_state="RCPT", recipient="bob@example.net"
                      ).startswith("DEFER_IF_PERMIT 4.7.1 hourly exceeded")
    tag = slots(f"{{{ALICE}}}")
    assert slots(f"waypost:suppressed:{{{ALICE}}}:gone@example.net") == tag
    assert slots(f"waypost:override:{{{ALICE}}}") == tag


RENAME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "contrib", "redis", "rename-keys.sh")


def rename_keys(redis_server, *options):
    return subprocess.run(
        ["sh", RENAME, *options, "--", "-h", "127.0.0.1", "-p",
         str(redis_server.port)], capture_output=True, text=True, timeout=60)


def test_rename_keys_moves_the_old_names(policyd, redis_server):
    """contrib/redis/rename-keys.sh, for an upgrade: every key of the old
    names moves to its tagged name with its value and expiry; keys already
    renamed, short-lived ones and others' are left; a key whose new name
    exists is kept and listed, and the script fails. waypost-policyd then
    finds the moved grant."""
    r = redis_server.client
    r.sadd(f"waypost:senders:{ALICE}", ALICE)
    r.set("waypost:suspended:user:bob@example.com", "spam", ex=1000)
    r.hset(f"waypost:override:{ALICE}", "hourly", 7)
    r.hset("waypost:limit:hourly:10.0.0.1", mapping={"sum": 3, "low": 1})
    r.pexpire("waypost:limit:hourly:10.0.0.1", 500000)
    r.set("waypost:warmup:new:example.com", "20400 20401 5")
    r.set("waypost:suppressed:a%3Ab:c@example.net", "1764547200 x", ex=900)
    r.set("waypost:expirations:app@example.com:c@example.net", "1")
    r.hset("waypost:bounce-rate:app@example.com", "20400", 3)
    untouched = {"waypost:senders:{carol@example.com}", "waypost:clients:"
                 "alice@example.com:123", "other:senders:x"}
    for key in untouched:
        r.set(key, "x")
    r.set("waypost:senders:dave@example.com", "old")
    r.set("waypost:senders:{dave@example.com}", "new")
    before = sorted(r.keys("*"))

    dry = rename_keys(redis_server, "-n")
    assert dry.returncode == 0, dry.stderr
    assert "9 keys to rename" in dry.stdout, dry.stdout
    assert (f"waypost:override:{ALICE} -> waypost:override:{{{ALICE}}}"
            in dry.stdout)
    assert sorted(r.keys("*")) == before

    result = rename_keys(redis_server)
    assert result.returncode == 1, result
    assert "8 keys renamed" in result.stdout, result.stdout
    assert ("waypost:senders:dave@example.com -> "
            "waypost:senders:{dave@example.com}") in result.stderr
    assert r.get("waypost:senders:{dave@example.com}") == b"new"
    assert r.smembers(f"waypost:senders:{{{ALICE}}}") == {ALICE.encode()}
    assert r.get("waypost:suspended:user:{bob@example.com}") == b"spam"
    assert 900 < r.ttl("waypost:suspended:user:{bob@example.com}") <= 1000
    assert r.hget(f"waypost:override:{{{ALICE}}}", "hourly") == b"7"
    assert r.hget("waypost:limit:hourly:{10.0.0.1}", "sum") == b"3"
    assert 0 < r.pttl("waypost:limit:hourly:{10.0.0.1}") <= 500000
    assert r.get("waypost:warmup:new:{example.com}") == b"20400 20401 5"
    assert r.ttl("waypost:suppressed:{a%3Ab}:c@example.net") > 800
    assert r.exists("waypost:expirations:{app@example.com}:c@example.net")
    assert r.exists("waypost:bounce-rate:{app@example.com}")
    assert all(r.get(key) == b"x" for key in untouched)
    assert not r.keys("waypost:*:alice@example.com")

    setup = policyd(policy_extra=CHECKS)
    assert PolicyClient(setup.port).ask() == "DUNNO"
    # Run again: nothing more to move, the conflict still reported.
    again = rename_keys(redis_server)
    assert again.returncode == 1 and "0 keys renamed" in again.stdout
