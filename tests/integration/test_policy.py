"""waypost-policyd against a real redis-server, over its policy protocol.

Each test starts a private Redis and the daemon on loopback and talks to
it as Postfix's smtpd does (harness/policy_client.py): many requests on
one connection, RCPT checks, END-OF-MESSAGE charges. The counters are
read back from Redis itself where it matters.
"""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import redis

from conftest import program
from harness.policy_client import PolicyClient, encode, request
from harness.ports import free_port
from harness.redis_server import RedisServer
from harness.waypost import PolicySetup, identities_file

DEFER = "DEFER_IF_PERMIT 4.7.1"


def client(setup):
    return PolicyClient(setup.port)


@pytest.fixture(params=["limits", "all-checks"])
def checks(request, workdir):
    """The options that turn every account check of issue 6 on (alice
    granted her domain by a file, which a restarted Redis keeps), or
    none: exactness and the fail modes must hold either way."""
    if request.param == "limits":
        return {}
    identities = identities_file(workdir, "alice@example.com @example.com\n")
    return {"policy_extra": f"trusted_networks = 127.0.0.1/32\n"
                            f"local_domains = example.net\n"
                            f"check_sender_ownership = yes\n"
                            f"identities_file = {identities}\n"
                            f"detect_compromise = yes\n",
            "sections": '[warmup "w"]\ndomains = example.com\n'
                        "schedule = 1000000\n"}


def charged(redis_server, key):
    """What a counter holds: the sum of its buckets, which must be the
    running sum the script keeps beside them."""
    fields = {k.decode(): int(v)
              for k, v in redis_server.client.hgetall(key).items()}
    buckets = sum(v for k, v in fields.items() if k.isdigit())
    assert fields.get("sum", 0) == buckets, fields
    return buckets


def test_messages_limit_defers_the_one_over_and_charges_once(
        policyd, redis_server):
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 3"})
    c = client(setup)
    for _ in range(3):
        assert c.ask(protocol_state="RCPT") == "DUNNO"
        attributes = request()
        for _ in range(2):  # asked twice about the same message
            c.send_raw(encode(attributes))
            assert c.answer() == "DUNNO"
    assert charged(redis_server,
                   "waypost:limit:hourly:{alice@example.com}") == 3
    # At its maximum: refused at RCPT already, without a charge.
    action = c.ask(protocol_state="RCPT")
    assert action.startswith(f"{DEFER} hourly exceeded, try again in ")
    attributes = request()
    c.send_raw(encode(attributes))
    assert c.answer().startswith(DEFER)
    setup.daemon.wait_for_log(f"{attributes['queue_id']}: limit hourly: "
                              "alice@example.com at 3 of 3: " + DEFER)
    assert charged(redis_server,
                   "waypost:limit:hourly:{alice@example.com}") == 3
    # Another user has a counter of its own; no user, no count.
    assert c.ask(sasl_username="bob@example.com") == "DUNNO"
    assert c.ask(sasl_username="") == "DUNNO"
    # Other stages are not limited.
    assert c.ask(protocol_state="MAIL") == "DUNNO"


def test_recipients_and_bytes_count_what_the_message_carries(policyd):
    setup = policyd({
        "rcpt": "subject = sender\ncount = recipients\nwindow = 1d\n"
                "max = 50",
        "bytes": "subject = sender_domain\ncount = bytes\nwindow = 1d\n"
                 "max = 10000"})
    c = client(setup)
    assert c.ask(recipient_count=40, size=100) == "DUNNO"
    # 40 + 11 > 50: refused, and the bytes limit charged nothing either.
    assert c.ask(recipient_count=11, size=100).startswith(
        f"{DEFER} rcpt exceeded")
    assert c.ask(recipient_count=10, size=9800) == "DUNNO"
    assert c.ask(recipient_count=0, size=101).startswith(
        f"{DEFER} bytes exceeded")
    # Sender addresses compare without regard to case.
    assert c.ask(sender="ALICE@Example.COM", recipient_count=1,
                 size=1).startswith(f"{DEFER} rcpt exceeded")


def test_override_in_redis_changes_a_quota_without_reload(
        policyd, redis_server):
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 1\naction = 450 4.7.1 over quota"})
    c = client(setup)
    assert c.ask() == "DUNNO"
    assert c.ask() == "450 4.7.1 over quota"
    redis_server.client.hset("waypost:override:{alice@example.com}",
                             "hourly", 5)
    for _ in range(4):
        assert c.ask() == "DUNNO"
    assert c.ask() == "450 4.7.1 over quota"


def test_exemptions_and_combined_subjects(policyd):
    setup = policyd({
        "per-domain": "subject = sasl_username+recipient_domain\n"
                      "window = 1h\nmax = 1\nexempt_users = postmaster\n"
                      "exempt_networks = 10.0.0.0/8"})
    c = client(setup)
    one = {"recipient": "x@Example.NET"}
    assert c.ask(**one) == "DUNNO"
    assert c.ask(**one).startswith(f"{DEFER} per-domain exceeded")
    assert c.ask(recipient="x@example.org") == "DUNNO"
    assert c.ask(sasl_username="postmaster", **one) == "DUNNO"
    assert c.ask(sasl_username="postmaster", **one) == "DUNNO"
    assert c.ask(client_address="10.1.2.3", **one) == "DUNNO"


def test_recipient_domains_of_a_message_to_several(policyd, redis_server):
    """At END-OF-MESSAGE Postfix names no recipient when there are several:
    the domains seen at RCPT on the same connection are charged."""
    setup = policyd({
        "per-domain": "subject = sasl_username+recipient_domain\n"
                      "count = recipients\nwindow = 1h\nmax = 3"})
    c = client(setup)

    def message(recipients):
        attributes = request(recipient_count=len(recipients))
        for recipient in recipients:
            assert c.ask(**dict(attributes, protocol_state="RCPT",
                                recipient=recipient)) == "DUNNO"
        c.send_raw(encode(dict(attributes, recipient="")))
        return c.answer()

    assert message(["a@example.net", "b@Example.NET", "c@example.org"]) \
        == "DUNNO"
    counted = {key.decode(): charged(redis_server, key)
               for key in redis_server.client.keys("waypost:limit:*")}
    assert counted == {
        "waypost:limit:per-domain:{alice@example.com|example.net}": 2,
        "waypost:limit:per-domain:{alice@example.com|example.org}": 1}
    # 2 more to example.net would make 4 of 3: refused, nothing charged.
    assert message(["d@example.net", "e@example.net", "f@example.org"]
                   ).startswith(f"{DEFER} per-domain exceeded")
    assert message(["g@example.net", "h@example.org"]) == "DUNNO"
    assert charged(redis_server, "waypost:limit:per-domain:"
                   "{alice@example.com|example.org}") == 2


def test_a_burst_is_admitted_up_to_max(policyd, redis_server):
    """100 per 20 s, 110 at once over 10 connections: 100 pass, no more.
    How the window then slides, on a clock that does not wait, is
    tests/unit/test_script_call.c's."""
    setup = policyd({"burst": "subject = sasl_username\nwindow = 20s\n"
                              "max = 100"})
    burst = asyncio.run(hammer(setup.port, 10, 110))
    assert sorted(burst).count("action=DUNNO") == 100
    assert all(answer.startswith(f"action={DEFER} burst exceeded")
               for answer in burst if answer != "action=DUNNO")
    assert charged(redis_server,
                   "waypost:limit:burst:{alice@example.com}") == 100
    assert client(setup).ask().startswith(DEFER)


async def hammer(port, connections, requests):
    """requests END-OF-MESSAGE requests over connections, all at once."""
    async def one_connection(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        for _ in range(count):
            writer.write(encode(request()))
            await writer.drain()
            answer = await reader.readuntil(b"\n\n")
            answers.append(answer.decode().strip())
        writer.close()
        return answers

    share = [requests // connections + (i < requests % connections)
             for i in range(connections)]
    results = await asyncio.gather(*(one_connection(n) for n in share))
    return [a for answers in results for a in answers]


def test_exact_across_four_daemons(policyd, checks):
    limits = {"shared": "subject = sasl_username\nwindow = 1h\nmax = 1000"}
    # A timeout no busy machine reaches: this is about exactness, and a
    # request answered by the fail mode is not admitted.
    daemons = [policyd(limits, redis_extra="timeout = 10s", **checks)
               for _ in range(4)]

    async def all_of_them():
        return await asyncio.gather(
            *(hammer(d.port, 32, 400) for d in daemons))

    answers = [a for one in asyncio.run(all_of_them()) for a in one]
    assert len(answers) == 1600
    assert answers.count("action=DUNNO") == 1000
    assert all(a == "action=DUNNO" or a.startswith(f"action={DEFER}")
               for a in answers)


@pytest.mark.parametrize("mode,expected", [
    ("closed", "DEFER_IF_PERMIT 4.3.0 rate limiting temporarily unavailable"),
    ("open", "DUNNO")])
def test_redis_down_then_back(policyd, redis_server, mode, expected, checks):
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 100"},
                    redis_extra=f"fail_mode = {mode}\ntimeout = 500ms",
                    **checks)
    c = client(setup)
    assert c.ask() == "DUNNO"
    # Down: answered at once as configured.
    redis_server.process.send_signal(signal.SIGKILL)
    redis_server.process.wait()
    answers = [c.timed_ask() for _ in range(20)]
    assert all(action == expected for action, _ in answers), answers
    assert max(seconds for _, seconds in answers) < 1.0
    setup.daemon.wait_for_log("warning: Redis unavailable")
    # Back: normal decisions within a second, no restart.
    redis_server.restart()
    back = time.monotonic()
    setup.daemon.wait_for_log("Redis available again", timeout=5)
    assert time.monotonic() - back < 1.5
    deadline = time.monotonic() + 2
    while c.ask() != "DUNNO":
        assert time.monotonic() < deadline, "no normal decisions"


@pytest.mark.parametrize("mode", ["closed", "open"])
def test_redis_killed_and_restarted_mid_load(policyd, redis_server, mode,
                                             checks):
    """8 connections asking without pause while Redis is killed and
    started again: every request is answered, each within a second, as
    the fail mode says while Redis is away, and normally after."""
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 1000000"},
                    redis_extra=f"fail_mode = {mode}\ntimeout = 100ms",
                    **checks)
    unavailable = ("DUNNO" if mode == "open" else
                   "DEFER_IF_PERMIT 4.3.0 rate limiting temporarily "
                   "unavailable")

    async def load(stop):
        async def one():
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                           setup.port)
            seen = []
            while not stop.is_set():
                start = time.monotonic()
                writer.write(encode(request()))
                await writer.drain()
                answer = (await reader.readuntil(b"\n\n")).decode()
                seen.append((answer.strip()[len("action="):],
                             time.monotonic() - start))
                answered()
                if seen[-1][0] == "DUNNO" and back.is_set():
                    resumed.set()
            writer.close()
            return seen

        return await asyncio.gather(*(one() for _ in range(8)))

    back, resumed = asyncio.Event(), asyncio.Event()
    count, waiting = [0], []

    def answered():
        count[0] += 1
        for at, event in waiting:
            if count[0] >= at:
                event.set()

    async def until_answered(more):
        """Until the load has had more answers than it has now."""
        event = asyncio.Event()
        waiting.append((count[0] + more, event))
        await asyncio.wait_for(event.wait(), 20)

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(load(stop))
        await until_answered(40)
        redis_server.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(setup.daemon.wait_for_log,
                                "warning: Redis unavailable", 10)
        await until_answered(40)
        # Away for a second, not a wait: the span of the fault, over
        # several of the daemon's attempts to reconnect (50 ms, doubling).
        await asyncio.sleep(1.0)
        redis_server.restart()
        await asyncio.to_thread(setup.daemon.wait_for_log,
                                "Redis available again", 10)
        back.set()
        # Until a normal decision comes back (a busy machine may take a
        # few 100 ms timeouts first), at most 10 s.
        try:
            await asyncio.wait_for(resumed.wait(), 10)
        except asyncio.TimeoutError:
            pass
        await until_answered(40)
        stop.set()
        return await task

    per_connection = asyncio.run(scenario())
    answers = [a for one in per_connection for a in one]
    actions = [action for action, _ in answers]
    assert set(actions) <= {"DUNNO", unavailable}, set(actions)
    if mode == "closed":
        assert unavailable in actions
    # Back to normal decisions once Redis is.
    assert resumed.is_set()
    assert max(seconds for _, seconds in answers) < 1.0


def test_hung_redis_is_answered_within_the_timeout(policyd, redis_server):
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 100"},
                    redis_extra="timeout = 100ms")
    c = client(setup)
    assert c.ask() == "DUNNO"
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        # Each answered within the timeout, as fail_mode says; after a
        # second of silence the connection is given up and made again.
        answers = [c.timed_ask() for _ in range(12)]
        setup.daemon.wait_for_log("Redis unavailable: no reply for a "
                                  "second")
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    assert {action for action, _ in answers} == {
        "DEFER_IF_PERMIT 4.3.0 rate limiting temporarily unavailable"}
    assert max(seconds for _, seconds in answers) < 1.0
    setup.daemon.wait_for_log("Redis available again")
    assert c.ask() == "DUNNO"


def test_noscript_after_script_flush(policyd, redis_server):
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 2"})
    c = client(setup)
    assert c.ask() == "DUNNO"
    redis_server.client.script_flush()
    assert c.ask() == "DUNNO"
    assert c.ask().startswith(DEFER)


def test_overrides_of_limits_sharing_a_subject(policyd, redis_server):
    """Limits on the same subject share an override hash: each limit
    takes its own field, and a field removed puts its maximum back."""
    setup = policyd({
        "minute": "subject = sasl_username\nwindow = 60s\nmax = 1000\n"
                  "action = 450 4.7.1 minute",
        "hour": "subject = sasl_username\nwindow = 1h\nmax = 1000\n"
                "action = 450 4.7.1 hour",
        "client": "subject = client_address\nwindow = 1h\nmax = 1000"})
    redis_server.client.hset("waypost:override:{alice@example.com}",
                             mapping={"hour": 2, "minute": 3})
    redis_server.client.hset("waypost:override:{127.0.0.2}", "client", 5)
    c = client(setup)
    assert [c.ask() for _ in range(3)] == ["DUNNO", "DUNNO",
                                          "450 4.7.1 hour"]
    redis_server.client.hdel("waypost:override:{alice@example.com}", "hour")
    assert [c.ask() for _ in range(2)] == ["DUNNO", "450 4.7.1 minute"]
    redis_server.client.hdel("waypost:override:{alice@example.com}",
                             "minute")
    answers = [c.ask() for _ in range(3)]
    assert answers[:2] == ["DUNNO", "DUNNO"]
    assert answers[2].startswith(f"{DEFER} client exceeded"), answers


def test_bad_requests_close_the_connection(policyd):
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 2"})
    cases = [
        (b"request=smtpd_access_policy\nno equals\n\n",
         "line 2: expected name=value"),
        (b"request=other\n\n", "not a policy request (request=other)"),
        (b"request=smtpd_access_policy\nsize=12k\n\n", "bad size"),
        (b"request=smtpd_access_policy\n" + b"x=" + b"a" * 70000 + b"\n\n",
         "a request over 65536 bytes"),
    ]
    for data, log in cases:
        c = client(setup)
        try:  # the daemon may close before it has read everything
            c.send_raw(data)
            assert c.answer() is None
        except (ConnectionResetError, BrokenPipeError):
            pass
        setup.daemon.wait_for_log(log)
        c.close()
    # The daemon serves on.
    assert client(setup).ask() == "DUNNO"


def test_reload_applies_new_limits(policyd):
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 1"})
    c = client(setup)
    assert c.ask() == "DUNNO"
    assert c.ask().startswith(DEFER)
    setup.daemon.write_config(setup.config_text(
        {"hourly": "subject = sasl_username\nwindow = 1h\nmax = 3"}))
    setup.daemon.signal(signal.SIGHUP)
    setup.daemon.wait_for_log("reloaded")
    assert c.ask() == "DUNNO"
    # A bad file keeps the running limits.
    setup.daemon.write_config(setup.config_text(
        {"hourly": "subject = nobody\nwindow = 1h\nmax = 3"}))
    setup.daemon.signal(signal.SIGHUP)
    setup.daemon.wait_for_log("\"nobody\" is not a subject")
    assert c.ask() == "DUNNO"
    assert c.ask().startswith(DEFER)
    # A clean stop (under the sanitizers: nothing leaked).
    c.close()
    assert setup.daemon.stop() == 0, setup.daemon.read_log()


def test_a_reload_leaves_the_redis_link_its_password(policyd, redis_server):
    """The one Redis link is made at start from that configuration; after
    a reload, which frees it once no request uses it, the link connects
    again with the same password."""
    password = "a-password-for-the-reload-test"
    redis_server.client.config_set("requirepass", password)
    redis_server.client = redis.Redis(host="127.0.0.1",
                                      port=redis_server.port,
                                      password=password)
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 100"},
                    redis_extra=f"password = {password}")
    c = client(setup)
    assert c.ask() == "DUNNO"
    setup.daemon.signal(signal.SIGHUP)
    setup.daemon.wait_for_log("reloaded")
    assert c.ask() == "DUNNO"  # the first configuration is gone by now
    redis_server.client.execute_command("CLIENT", "KILL", "TYPE", "normal",
                                        "SKIPME", "yes")
    setup.daemon.wait_for_log("Redis available again", timeout=10,
                              or_exit=True)
    assert c.ask() == "DUNNO"
    c.close()
    assert setup.daemon.stop() == 0, setup.daemon.read_log()


def script_calls(redis_server):
    """Calls of the decision Redis has run so far: FCALL, EVALSHA or
    EVAL."""
    stats = redis_server.client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0)
               for name in ("fcall", "evalsha", "eval"))


def command_calls(redis_server, name):
    stats = redis_server.client.info("commandstats")
    return stats.get(f"cmdstat_{name}", {}).get("calls", 0)


def waypost_libraries(redis_server):
    """The names of Waypost's Function libraries in Redis."""
    names = []
    for entry in redis_server.client.execute_command("FUNCTION", "LIST"):
        fields = dict(zip(entry[::2], entry[1::2]))
        if fields[b"library_name"].startswith(b"waypost_"):
            names.append(fields[b"library_name"].decode())
    return names


def test_decisions_go_by_a_replicated_function(policyd, redis_server):
    """The script is a Redis Function library, loaded with FUNCTION LOAD
    (which Redis replicates, unlike SCRIPT LOAD), and called by FCALL."""
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 2"})
    c = client(setup)
    assert c.ask() == "DUNNO"
    libraries = waypost_libraries(redis_server)
    assert len(libraries) == 1, libraries
    assert command_calls(redis_server, "fcall") == 1
    assert command_calls(redis_server, "evalsha") == 0
    assert command_calls(redis_server, "eval") == 0
    assert c.ask() == "DUNNO"
    assert c.ask().startswith(DEFER)


def test_a_flushed_function_is_loaded_again(policyd, redis_server):
    """FUNCTION FLUSH (or a server that lost it): the call that finds no
    function runs the script itself with EVAL, the library is loaded
    again, and the limit counts on as before."""
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 3"})
    c = client(setup)
    assert c.ask() == "DUNNO"
    redis_server.client.execute_command("FUNCTION", "FLUSH")
    assert waypost_libraries(redis_server) == []
    assert c.ask() == "DUNNO"
    assert command_calls(redis_server, "eval") == 1
    assert len(waypost_libraries(redis_server)) == 1
    assert c.ask() == "DUNNO"
    assert c.ask().startswith(DEFER)
    assert command_calls(redis_server, "eval") == 1


def test_a_redis_without_functions_gets_evalsha(policyd, workdir):
    """A Redis older than 7.0 has no FUNCTION and FCALL (here: renamed
    away): the daemon says so once and goes by EVALSHA; the limit is
    exact all the same, and NOSCRIPT still reaches no client."""
    old = RedisServer(("--rename-command", "FUNCTION", "",
                       "--rename-command", "FCALL", "")).start()
    try:
        setup = PolicySetup(program("policy/waypost-policyd"), workdir,
                            old.address, free_port())
        setup.start({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 3"}, redis_extra="timeout = 2s")
        c = client(setup)
        assert c.ask() == "DUNNO"
        setup.daemon.wait_for_log("Redis has no Functions", timeout=10,
                                  or_exit=True)
        assert c.ask() == "DUNNO"
        old.client.script_flush()
        assert c.ask() == "DUNNO"
        assert c.ask().startswith(DEFER)
        assert command_calls(old, "evalsha") >= 3
        c.close()
        assert setup.daemon.stop() == 0, setup.daemon.read_log()
    finally:
        old.stop()


def hourly_cached(policyd, redis_server, maximum, cache_time):
    """A client of a daemon with an hourly limit per user and
    check_cache_time, and the EVALSHA calls so far."""
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               f"max = {maximum}"},
                    policy_extra=f"check_cache_time = {cache_time}\n")
    return client(setup), script_calls(redis_server)


def test_a_repeated_check_is_answered_from_the_cache(policyd, redis_server):
    c, before = hourly_cached(policyd, redis_server, 1000, "30s")
    for _ in range(5):
        assert c.ask(protocol_state="RCPT") == "DUNNO"
    assert script_calls(redis_server) - before == 1
    # The end of a message always goes to Redis: it charges there.
    for _ in range(3):
        assert c.ask() == "DUNNO"
    assert script_calls(redis_server) - before == 4
    assert charged(redis_server,
                   "waypost:limit:hourly:{alice@example.com}") == 3
    # Another sender is another check.
    assert c.ask(protocol_state="RCPT", sender="bob@example.com",
                 sasl_username="bob@example.com") == "DUNNO"
    assert script_calls(redis_server) - before == 5
    # A suspension written meanwhile: a cached check still passes, the
    # end of the message refuses, and that refusal empties the cache.
    redis_server.client.set("waypost:suspended:user:{alice@example.com}",
                            "test")
    assert c.ask(protocol_state="RCPT") == "DUNNO"
    assert c.ask() == "REJECT 5.7.1 Account suspended"
    assert c.ask(protocol_state="RCPT") == "REJECT 5.7.1 Account suspended"
    assert script_calls(redis_server) - before == 7


def test_the_cache_keeps_no_more_than_the_room_and_time(policyd,
                                                        redis_server):
    c, before = hourly_cached(policyd, redis_server, 3, "300ms")
    # Room for 2 more after the first check: 3 checks, 1 call.
    for _ in range(3):
        assert c.ask(protocol_state="RCPT") == "DUNNO"
    assert script_calls(redis_server) - before == 1
    assert c.ask(protocol_state="RCPT") == "DUNNO"
    assert script_calls(redis_server) - before == 2
    time.sleep(0.4)  # past the entry's 300 ms: a time, not an event
    assert c.ask(protocol_state="RCPT") == "DUNNO"
    assert script_calls(redis_server) - before == 3
    # Charged to the maximum elsewhere: refused once the entry is gone.
    for _ in range(3):
        assert c.ask() == "DUNNO"
    time.sleep(0.4)
    assert c.ask(protocol_state="RCPT").startswith(
        f"{DEFER} hourly exceeded")


def test_no_cache_asks_redis_every_time(policyd, redis_server):
    c, before = hourly_cached(policyd, redis_server, 1000, "0")
    for _ in range(4):
        assert c.ask(protocol_state="RCPT") == "DUNNO"
    assert script_calls(redis_server) - before == 4


def test_requests_in_pieces_together_and_unread(policyd, redis_server):
    """Each request gets its answer, in order, however it arrives: in
    pieces, several in one write, or many sent with no answer read (the
    answers then fill the sockets and wait in the daemon for the client,
    which stops reading that client meanwhile: how much the kernel takes
    first depends on its buffer tuning, so that is not asserted)."""
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 1000000"})
    c = client(setup)
    data = encode(request(protocol_state="RCPT"))
    for at in range(0, len(data), 7):
        c.send_raw(data[at:at + 7])
        time.sleep(0.001)
    assert c.answer() == "DUNNO"
    c.send_raw(b"".join(encode(request()) for _ in range(3)))
    assert [c.answer() for _ in range(3)] == ["DUNNO"] * 3
    assert charged(redis_server,
                   "waypost:limit:hourly:{alice@example.com}") == 3
    c.close()

    count = 40000
    unread = socket.socket()
    unread.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    unread.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    unread.connect(("127.0.0.1", setup.port))
    unread.settimeout(60)
    sender = threading.Thread(
        target=unread.sendall,
        args=(encode(request(protocol_state="RCPT")) * count,))
    sender.start()
    sender.join(2)
    # Another client is served meanwhile.
    assert client(setup).ask(protocol_state="RCPT") == "DUNNO"
    answers = unread.makefile("rb").read(count * len(b"action=DUNNO\n\n"))
    sender.join(60)
    assert answers == b"action=DUNNO\n\n" * count
    unread.close()


def test_a_request_in_crlf_lines_is_answered(policyd, redis_server):
    """A person testing by telnet sends CR LF: the request is answered
    (not left for the idle timeout), its values without the CR."""
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 1"})
    c = client(setup)
    c.send_raw(encode(request()).replace(b"\n", b"\r\n"))
    assert c.answer() == "DUNNO"
    # Charged to alice@example.com, not to "alice@example.com\r".
    assert charged(redis_server,
                   "waypost:limit:hourly:{alice@example.com}") == 1
    assert c.ask().startswith(DEFER)


def hold_connections(port, count):
    """count connections to the daemon, left open (the daemon may close
    some on arrival)."""
    return [socket.create_connection(("127.0.0.1", port), timeout=20)
            for _ in range(count)]


def ask_on(connection):
    """A RCPT request on a held connection: its answer's bytes, b"" when
    the daemon closed it."""
    expected = len(b"action=DUNNO\n\n")
    answer = b""
    try:
        connection.sendall(encode(request(protocol_state="RCPT")))
        while len(answer) < expected:
            got = connection.recv(expected - len(answer))
            if not got:
                break
            answer += got
    except (ConnectionResetError, BrokenPipeError):
        pass
    return answer


def test_beyond_the_file_limit_connections_are_refused_not_spun_on(
        policyd):
    """Started with 256 descriptors, 400 connections: 192 (256 less 64
    kept for the rest) are served, the others closed on arrival with at
    most a line a second; closing some lets new ones in."""
    setup = policyd({}, file_limit=256)
    setup.daemon.wait_for_log("serving up to 192 policy connections")
    started = time.monotonic()
    held = hold_connections(setup.port, 400)
    answers = [ask_on(connection) for connection in held]
    elapsed = time.monotonic() - started
    assert answers == [b"action=DUNNO\n\n"] * 192 + [b""] * 208
    log = setup.daemon.read_log()
    refusals = log.count("refusing a policy connection: 192 open")
    # At most one a calendar second (policy_server.c): a run of e seconds
    # touches at most floor(e) + 2 of them.
    assert 1 <= refusals <= int(elapsed) + 2, log[-2000:]
    assert "libevent" not in log and "Error from accept" not in log
    for connection in held[:10]:
        connection.close()
    assert client(setup).ask(protocol_state="RCPT") == "DUNNO"
    for connection in held[10:]:
        connection.close()


def lower_file_limit(pid, limit):
    """prlimit(2) on a running daemon, from a process with the daemon's
    user and group: the kernel allows that without CAP_SYS_RESOURCE,
    which root in a container may lack."""
    owner = os.stat(f"/proc/{pid}")
    subprocess.run(
        [sys.executable, "-c", "import resource; resource.prlimit("
         f"{pid}, resource.RLIMIT_NOFILE, ({limit}, {limit}))"],
        user=owner.st_uid, group=owner.st_gid, extra_groups=[], cwd="/",
        check=True, timeout=30)


def test_out_of_descriptors_it_pauses_accepting(policyd):
    """Its file limit lowered to 256 while it runs, 400 connections held:
    accept(2) fails with EMFILE. The daemon says so once and pauses (no
    spin, no flood of libevent's warnings), serves the connections it
    has, and accepts again once some close."""
    setup = policyd({})
    lower_file_limit(setup.daemon.process.pid, 256)
    held = hold_connections(setup.port, 400)  # the rest wait in the backlog
    setup.daemon.wait_for_log("Too many open files: not accepting policy "
                              "connections until one closes")
    for _ in range(50):
        assert ask_on(held[0]) == b"action=DUNNO\n\n"
    log = setup.daemon.read_log()
    assert log.count("not accepting policy connections") == 1, log[-2000:]
    assert "libevent" not in log and "Error from accept" not in log
    assert len(log) < 10000
    for connection in held:
        connection.close()
    setup.daemon.wait_for_log("accepting policy connections again")
    assert client(setup).ask(protocol_state="RCPT") == "DUNNO"
    assert "Error from accept" not in setup.daemon.read_log()
