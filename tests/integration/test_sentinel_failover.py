"""Waypost's clients through a real Sentinel failover.

Three redis-server data nodes and three sentinels on loopback
(harness/sentinel.py); several waypost-policyd instances, each with
[redis] sentinels and master_name, under a steady load of END-OF-MESSAGE
requests (each a charge) from two clients apiece. The faults are real:
kill -9 of the master, and SIGSTOP of the master past the failover, then
SIGCONT. What must hold:

- every request is answered, within the Redis timeout (and the time to
  write the answer), by a decision or by the fail mode while no master
  is known; never NOSCRIPT or a missing function (the script is a
  replicated Function library);
- decisions resume on the new master within down-after + 3 s, measured
  and printed per daemon;
- no acknowledged charge is lost beyond one per request in flight, and a
  limit admits no more than its maximum plus that bound;
- once the old master is back, as a replica, no client writes to it;
- waypostctl and waypost-trackd, which wait for Redis, follow the
  failover too; an idle waypost-trackd, and waypost-headers' identity
  lookups, move on their own, told by the thread that watches the
  sentinels for their blocking connections.
"""
import os
import subprocess
import threading
import time

import pytest

from conftest import program
from harness.policy_client import PolicyClient
from harness.ports import free_port
from harness.sentinel import RedisSentinelSet
from harness.waypost import HeadersSetup, PolicySetup
from harness import milter_wire, waiting

TIMEOUT_MS = 250
FAIL_MODE = "DEFER_IF_PERMIT 4.3.0 rate limiting temporarily unavailable"
LIMITED = "DEFER_IF_PERMIT 4.7.1"
DAEMONS = 3
CLIENTS_PER_DAEMON = 2
IN_FLIGHT = DAEMONS * CLIENTS_PER_DAEMON  # one request each at a time
# An answer's time beyond the Redis timeout: the daemon's own work and a
# busy machine's scheduling.
ANSWER_SLACK_S = 0.75


class Load(threading.Thread):
    """One client asking one daemon END-OF-MESSAGE after END-OF-MESSAGE,
    recording (sent, answered, action) for each, until stopped."""

    def __init__(self, daemon_index, port, user):
        super().__init__(daemon=True)
        self.daemon_index = daemon_index
        self.client = PolicyClient(port)
        self.user = user
        self.answers = []
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stopping.is_set():
                sent = time.monotonic()
                action = self.client.ask(sasl_username=self.user,
                                         sender=self.user)
                self.answers.append((sent, time.monotonic(), action))
        except Exception as error:  # reported by the test
            self.error = error

    def count(self, predicate, since=0.0):
        return sum(1 for sent, _, action in list(self.answers)
                   if sent >= since and predicate(action))

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)
        self.client.close()
        assert self.error is None, self.error


def decided(action):
    return action == "DUNNO"


def failed(action):
    return action == FAIL_MODE


def redis_lines(cluster):
    return (f"sentinels = {' '.join(cluster.sentinel_addresses())}\n"
            f"master_name = {cluster.master_name}\n"
            f"timeout = {TIMEOUT_MS}ms\nconnect_timeout = 100ms\n")


@pytest.fixture
def cluster():
    nodes = RedisSentinelSet(down_after_ms=1000).start()
    yield nodes
    nodes.stop()


@pytest.fixture
def daemons(workdir, cluster):
    """start(max) starts DAEMONS waypost-policyd on the cluster, each with
    an hourly limit of max per user."""
    setups = []

    def start(maximum):
        for i in range(DAEMONS):
            directory = os.path.join(workdir, f"policyd-{i}")
            os.makedirs(directory, exist_ok=True)
            setup = PolicySetup(program("policy/waypost-policyd"), directory,
                                "127.0.0.1:1", free_port())
            setup.start({"hourly": "subject = sasl_username\nwindow = 1h\n"
                                   f"max = {maximum}"},
                        redis_extra=redis_lines(cluster), name=f"policy{i}")
            setups.append(setup)
        return setups
    yield start
    for setup in setups:
        setup.stop()


def start_load(setups, user):
    loads = [Load(i, setup.port, user) for i, setup in enumerate(setups)
             for _ in range(CLIENTS_PER_DAEMON)]
    for load in loads:
        load.start()
    return loads


def wait_for_each(loads, predicate, count, since=0.0, timeout=60,
                  what="answers"):
    waiting.wait_until(
        lambda: all(load.count(predicate, since) >= count for load in loads),
        timeout=timeout, what=what)


def counter(cluster, user):
    """The user's hourly count on the current master: the sum of its
    buckets (the script keeps "sum" beside them)."""
    fields = cluster.master_client().hgetall(
        f"waypost:limit:hourly:{{{user}}}")
    return sum(int(v) for k, v in fields.items() if k.isdigit())


def check_answers(loads, setups):
    """Every answer is a decision or the fail mode, within the timeout;
    no daemon met a missing script. Returns the slowest answer."""
    slowest = 0.0
    for load in loads:
        for sent, answered, action in load.answers:
            assert action == "DUNNO" or action == FAIL_MODE or \
                action.startswith(LIMITED), action
            slowest = max(slowest, answered - sent)
    for setup in setups:
        log = setup.daemon.read_log()
        assert "NOSCRIPT" not in log and "not found" not in log, log
    assert slowest <= TIMEOUT_MS / 1000 + ANSWER_SLACK_S, slowest
    return slowest


def resumed_after(loads, since):
    """Per daemon, seconds from since to its first decision after its
    last fail-mode answer."""
    seconds = {}
    for index in sorted({load.daemon_index for load in loads}):
        answers = sorted(a for load in loads if load.daemon_index == index
                         for a in load.answers if a[0] >= since)
        last_failure = max((sent for sent, _, action in answers
                            if failed(action)), default=since)
        first = min(answered for sent, answered, action in answers
                    if decided(action) and sent >= last_failure)
        seconds[index] = first - since
    return seconds


def test_kill_9_of_the_master(cluster, daemons, capsys):
    setups = daemons(1000000)
    user = "alice@example.com"
    loads = start_load(setups, user)
    try:
        wait_for_each(loads, decided, 20, what="decisions before the kill")
        old = cluster.kill_master()
        killed = time.monotonic()
        new = cluster.wait_for_new_master(old)
        promoted = time.monotonic()
        wait_for_each(loads, decided, 20, since=promoted, timeout=30,
                      what="decisions on the new master")
    finally:
        for load in loads:
            load.stop()
    slowest = check_answers(loads, setups)
    resumed = resumed_after(loads, killed)
    down_after = cluster.down_after_ms / 1000
    admitted = sum(load.count(decided) for load in loads)
    refused = sum(load.count(failed) for load in loads)
    charged = counter(cluster, user)
    with capsys.disabled():
        print(f"\n  kill -9 of the master (down-after {down_after:.1f} s): "
              f"promoted after {promoted - killed:.2f} s; decisions "
              "resumed after "
              + ", ".join(f"{s:.2f} s" for s in resumed.values())
              + f"; slowest answer {slowest * 1000:.0f} ms; "
              f"{admitted} charged, {refused} in the fail mode, "
              f"{charged} on the new master")
    assert new != old
    for seconds in resumed.values():
        assert seconds <= down_after + 3, resumed
    assert refused > 0  # the outage was seen, and answered
    # Charges acknowledged by the old master and not yet replicated are
    # lost with it: at most one per request in flight. A request
    # answered by the fail mode may have been charged all the same (its
    # reply came late).
    assert admitted - IN_FLIGHT <= charged <= admitted + refused


def test_sigstop_of_the_master_past_a_failover(cluster, daemons, capsys):
    maximum = 600
    setups = daemons(maximum)
    user = "bob@example.com"
    loads = start_load(setups, user)
    try:
        wait_for_each(loads, decided, 10, what="decisions before the stop")
        old = cluster.stop_master()
        stopped = time.monotonic()
        new = cluster.wait_for_new_master(old)
        cluster.continue_node(old)
        cluster.wait_for_replica(old, master=new)
        demoted = time.monotonic()
        wait_for_each(loads, lambda a: a.startswith(LIMITED), 10,
                      since=demoted, timeout=60,
                      what="the limit reached on the new master")
    finally:
        for load in loads:
            load.stop()
    slowest = check_answers(loads, setups)
    resumed = resumed_after(loads, stopped)
    admitted = sum(load.count(decided) for load in loads)
    charged = counter(cluster, user)
    stale = [client for client in
             cluster.client(old).client_list()
             if "M" not in client.get("flags", "")
             and client.get("cmd") in ("fcall", "evalsha", "eval")]
    moves = [line for setup in setups
             for line in setup.daemon.read_log().splitlines()
             if "Redis master moved" in line]
    with capsys.disabled():
        print("\n  SIGSTOP of the master, then SIGCONT: decisions resumed "
              "after " + ", ".join(f"{s:.2f} s" for s in resumed.values())
              + f"; slowest answer {slowest * 1000:.0f} ms; limit "
              f"{maximum}: {admitted} admitted, {charged} on the new "
              f"master, bound {maximum} + {IN_FLIGHT} in flight; the "
              f"daemons' moves:\n    " + "\n    ".join(moves))
    assert stale == [], stale
    assert charged == maximum
    assert admitted <= maximum + IN_FLIGHT


def test_waypostctl_follows_the_master(cluster, workdir):
    config = os.path.join(workdir, "ctl.conf")
    with open(config, "w") as f:
        f.write("[redis]\naddress = 127.0.0.1:1\n" + redis_lines(cluster)
                .replace(f"timeout = {TIMEOUT_MS}ms", "timeout = 2s"))

    def ctl(*arguments):
        done = subprocess.run([program("ctl/waypostctl"), "-c", config,
                               *arguments], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, (done.stdout, done.stderr)
        return done.stdout

    ctl("suspend", "carol@example.com", "--reason", "before the failover")
    assert cluster.master_client().exists(
        "waypost:suspended:user:{carol@example.com}")
    old = cluster.kill_master()
    new = cluster.wait_for_new_master(old)
    cluster.wait_for_writable(new)
    # Written to the old master, replicated, read from the new.
    assert "before the failover" in ctl("suspended")
    ctl("lift", "carol@example.com")
    ctl("suspend", "dave@example.com", "--reason", "after")
    master = cluster.master_client()
    assert not master.exists("waypost:suspended:user:{carol@example.com}")
    assert master.exists("waypost:suspended:user:{dave@example.com}")


def test_waypost_trackd_follows_the_master(cluster, workdir, capsys):
    """The tracker reads a log across a kill -9 of the master: what it
    wrote equals a straight read of the same log. A batch the old master
    took but had not replicated is lost with the saved position it
    carried (one script call), so it is read again, never twice."""
    from test_track_records import RELAY, dump, generate, tracker as make

    source = os.path.join(workdir, "source.log")
    data = generate(source, 8000)
    half = data.index(b"\n", len(data) // 2) + 1

    def tracker(log_file, prefix, name):
        return make(workdir, None, log_file, prefix, name,
                    redis_lines=redis_lines(cluster))

    def offset(prefix):
        try:
            saved = cluster.master_client().get(
                f"{prefix}track-position:{RELAY}")
        except Exception:
            return 0
        return int(saved.split()[2]) if saved else 0

    def run_to(daemon, prefix, end):
        def reached():
            if daemon.process.poll() is not None:
                return True
            return offset(prefix) >= end
        waiting.wait_until(reached, 120, f"the saved position at {end}")
        return daemon.process.poll() is None

    straight = os.path.join(workdir, "straight.maillog")
    with open(straight, "wb") as f:
        f.write(data)
    daemon = tracker(straight, "s:", "straight")
    daemon.start(wait=False)
    assert run_to(daemon, "s:", len(data)), daemon.read_log()
    assert daemon.stop() == 0

    maillog = os.path.join(workdir, "failover.maillog")
    with open(maillog, "wb") as f:
        f.write(data[:half])
    daemon = tracker(maillog, "f:", "failover")
    daemon.start(wait=False)
    assert run_to(daemon, "f:", half), daemon.read_log()
    old = cluster.kill_master()
    with open(maillog, "ab") as f:
        f.write(data[half:])
    cluster.wait_for_new_master(old)
    restarts = 0
    while not run_to(daemon, "f:", len(data)):
        # A batch lost with the old master: the saved position on the new
        # one is behind the daemon's, which stops to read from there.
        assert "MOVED saved position" in daemon.read_log(), \
            daemon.read_log()
        daemon.stop()
        restarts += 1
        assert restarts < 5
        daemon.start(wait=False)
    assert daemon.stop() == 0
    master = cluster.master_client(decode_responses=False,
                                   socket_timeout=10)
    streams_s, records_s, _ = dump(master, "s:")
    streams_f, records_f, _ = dump(master, "f:")
    with capsys.disabled():
        print(f"\n  waypost-trackd across kill -9 of the master: "
              f"{len(data)} bytes of log, {restarts} restart(s) for a lost "
              f"batch; records and events equal a straight read")
    assert streams_f == streams_s
    assert records_f == records_s


def test_an_idle_tracker_follows_the_sentinels_on_its_own(
        cluster, workdir, capsys):
    """waypost-trackd asks Redis with blocking calls (lib/redis_pool.c),
    which alone would find a failover only at its next question. Its
    pool's thread watches the sentinels as the event-loop daemons do
    (subscribed to +switch-master on each, asking every second): an idle
    tracker moves when the failover is announced, with its log line, and
    its next lines go to the new master."""
    from test_track_records import RELAY, generate, tracker as make

    maillog = os.path.join(workdir, "idle.maillog")
    data = generate(os.path.join(workdir, "source.log"), 2000)
    half = data.index(b"\n", len(data) // 2) + 1
    with open(maillog, "wb") as f:
        f.write(data[:half])
    daemon = make(workdir, None, maillog, "i:", "idle",
                  redis_lines=redis_lines(cluster))
    daemon.start(wait=False)

    def saved_at(end):
        def reached():
            assert daemon.process.poll() is None, daemon.read_log()
            saved = cluster.master_client().get(
                f"i:track-position:{RELAY}")
            return saved is not None and int(saved.split()[2]) >= end
        return reached
    waiting.wait_until(saved_at(half), 60, "the first half recorded")
    old = cluster.master_port()
    cluster.wait_for_failover_end(old, old)  # every sentinel agrees first
    cluster._ask(cluster.sentinel_ports[0], "SENTINEL", "FAILOVER",
                 cluster.master_name)
    asked = time.monotonic()
    new = cluster.wait_for_new_master(old)
    daemon.wait_for_log(f"Redis master is now 127.0.0.1:{new}, as the "
                        f"sentinels say (was 127.0.0.1:{old})",
                        timeout=30, or_exit=True)
    moved = time.monotonic() - asked
    cluster.wait_for_writable(new)
    with open(maillog, "ab") as f:
        f.write(data[half:])
    waiting.wait_until(saved_at(len(data)), 120, "the second half recorded")
    assert daemon.stop() == 0, daemon.read_log()
    with capsys.disabled():
        print(f"\n  an idle waypost-trackd moved {moved:.2f} s after "
              f"SENTINEL FAILOVER, told by its sentinel thread")


def owned_message(socket_path, queue_id, from_header):
    """A message of alice@example.com's (logged in) with From
    from_header, told to waypost-headers as Postfix tells it: the
    milter's last reply."""
    connection = milter_wire.MilterConnection(
        socket_path, actions=milter_wire.ADD_HEADERS
        | milter_wire.CHANGE_HEADERS)
    try:
        connection.connect_from("127.0.0.2")
        connection.macros("M", {"i": queue_id, "{client_addr}": "127.0.0.2",
                                "{auth_type}": "PLAIN",
                                "{auth_authen}": "alice@example.com"})
        if not connection.protocol & milter_wire.NO_MAIL:
            connection.step("M", b"<alice@example.com>\0")
        for name, value in (("From", from_header),
                            ("To", "bob@example.org"),
                            ("Subject", "identities"),
                            ("Date", "Thu, 03 Dec 2026 10:00:00 +0000"),
                            ("Message-ID", f"<{queue_id}@example.com>")):
            connection.step("L", f"{name}\0 {value}\0".encode())
        return connection.finish_message()[-1]
    finally:
        connection.close()


def test_waypost_headers_identities_follow_the_sentinels(cluster, workdir):
    """waypost-headers' identity lookups are blocking calls from the
    milter's threads (lib/redis_pool.c); the pool's sentinel thread moves
    them to the new master when a failover is announced."""
    key = "waypost:senders:{alice@example.com}"
    cluster.master_client().sadd(key, "alice@example.com")
    setup = HeadersSetup(program("milters/headers/waypost-headers"), workdir)
    setup.start("from_ownership = reject\nidentities_redis = yes\n"
                "[redis]\n" + redis_lines(cluster))
    try:
        assert owned_message(setup.socket, "OWN1",
                             "alice@example.com")[0] in ("a", "c")
        refused = owned_message(setup.socket, "OWN2", "ceo@example.com")
        assert refused[0] == "y" and b"not owned" in refused[1], refused
        old = cluster.master_port()
        cluster.wait_for_failover_end(old, old)
        cluster._ask(cluster.sentinel_ports[0], "SENTINEL", "FAILOVER",
                     cluster.master_name)
        new = cluster.wait_for_new_master(old)
        setup.daemon.wait_for_log(
            f"Redis master is now 127.0.0.1:{new}, as the sentinels say "
            f"(was 127.0.0.1:{old})", timeout=30, or_exit=True)
        cluster.wait_for_writable(new)
        cluster.client(new).sadd(key, "ceo@example.com")
        assert owned_message(setup.socket, "OWN3",
                             "ceo@example.com")[0] in ("a", "c")
    finally:
        setup.stop()
    assert setup.daemon.process.returncode == 0, setup.daemon.read_log()
