"""The Sentinel fixture, and the facts about Redis failover that Waypost's
Sentinel support rests on, measured with real redis-server and sentinels
on loopback (down-after-milliseconds 1000):

- kill -9 of the master: a replica is promoted, in about down-after plus
  a second or two (printed);
- FUNCTION LOAD is replicated, so the promoted replica has the library
  and FCALL works there; SCRIPT LOAD is not, so EVALSHA of a script
  loaded on the old master fails there with NOSCRIPT: why Waypost's
  script is a Function library;
- a master stopped (SIGSTOP) past down-after and resumed (SIGCONT) is
  turned into a replica about ten seconds later, READONLY from then on;
  meanwhile min-replicas-to-write 1 refuses every write sent to it after
  it resumed (NOREPLICAS). Writes it received while stopped are decided
  on resumption, before or after it notices that its replicas left:
  either refused with NOREPLICAS or accepted and then lost when it
  becomes a replica (printed: which).
"""
import socket
import time

import pytest
import redis

from harness.sentinel import pairs

LIBRARY = """#!lua name=harnesslib
redis.register_function('bump', function(keys, args)
  return redis.call('INCR', keys[1])
end)
"""


def test_three_nodes_and_three_sentinels_agree(sentinels):
    master = sentinels.master_port()
    assert sentinels.role(master) == "master"
    replicas = [port for port in sentinels.node_ports if port != master]
    assert [sentinels.role(port) for port in replicas] == ["slave", "slave"]
    info = sentinels.replication(master)
    assert info["connected_slaves"] == 2
    assert info["min_slaves_good_slaves"] == 2
    assert {sentinels.master_port_by(port)
            for port in sentinels.sentinel_ports} == {master}
    assert len(sentinels.sentinel_addresses()) == 3
    client = sentinels.master_client()
    assert client.config_get("min-replicas-to-write") == \
        {"min-replicas-to-write": "1"}
    assert client.config_get("save") == {"save": ""}
    assert client.set("waypost:test", "1")
    assert client.wait(2, 5000) == 2


def test_kill_promotes_a_replica_that_has_the_functions_not_the_scripts(
        sentinels):
    master = sentinels.master_client()
    master.function_load(LIBRARY)
    assert master.fcall("bump", 1, "waypost:counter") == 1
    script = master.script_load("return redis.call('GET', KEYS[1])")
    assert master.evalsha(script, 1, "waypost:counter") == "1"
    assert master.wait(2, 5000) == 2

    start = time.monotonic()
    old = sentinels.kill_master()
    new = sentinels.wait_for_new_master(old)
    promoted = time.monotonic() - start
    sentinels.wait_for_writable(new)
    writable = time.monotonic() - start
    print(f"kill -9 of the master: a new master after {promoted:.1f} s, "
          f"writable after {writable:.1f} s (down-after "
          f"{sentinels.down_after_ms} ms)")
    assert promoted < sentinels.down_after_ms / 1000 + 10

    client = sentinels.client(new)
    assert [pairs(entry)["library_name"]
            for entry in client.function_list()] == ["harnesslib"]
    assert client.fcall("bump", 1, "waypost:counter") == 2
    with pytest.raises(redis.exceptions.NoScriptError):
        client.evalsha(script, 1, "waypost:counter")

    # The killed node comes back as a replica of the new master, with
    # what was written meanwhile.
    sentinels.restart_node(old)
    assert sentinels.role(old) == "slave"
    assert sentinels.client(old).get("waypost:counter") == "2"


def send(port, *words):
    """A command on a new connection, as RESP, without waiting for the
    answer: a stopped server still accepts the connection (the kernel
    does) and answers once it runs again. The socket."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    request = f"*{len(words)}\r\n" + "".join(
        f"${len(word.encode())}\r\n{word}\r\n" for word in words)
    connection.sendall(request.encode())
    return connection


def answer(connection):
    """The first word of the answer on connection: +OK, -NOREPLICAS..."""
    reply = b""
    while not reply.endswith(b"\r\n"):
        data = connection.recv(256)
        if not data:
            break
        reply += data
    connection.close()
    return reply.split()[0].decode() if reply else "(closed)"


def test_a_resumed_master_refuses_writes_then_becomes_a_replica(sentinels):
    old = sentinels.stop_master()
    stopped = time.monotonic()
    # A request in flight when the master stopped.
    in_flight = send(old, "SET", "waypost:in-flight", "1")
    new = sentinels.wait_for_new_master(old)
    sentinels.wait_for_failover_end(old, new)
    failover = time.monotonic() - stopped
    # A request sent to the old master after the failover, by a client
    # that has not noticed it.
    late = send(old, "SET", "waypost:late", "1")

    sentinels.continue_node(old)
    resumed = time.monotonic()
    queued = {"in flight": answer(in_flight), "after failover": answer(late)}
    # Writes sent to it after it resumed, until it is a replica.
    after = {}
    while True:
        reply = answer(send(old, "SET", "waypost:resumed", "1"))
        after[reply] = after.get(reply, 0) + 1
        if reply != "-NOREPLICAS":
            break
        assert time.monotonic() - resumed < 30, after
        time.sleep(0.05)
    demoted = time.monotonic() - resumed

    sentinels.wait_for_replica(old, new)
    lost = [key for key, reply in (("waypost:in-flight", queued["in flight"]),
                                   ("waypost:late", queued["after failover"]))
            if reply == "+OK"]
    print(f"SIGSTOP of the master: failover done after {failover:.1f} s; "
          f"writes it got while stopped answered on SIGCONT: {queued}; "
          f"after SIGCONT {after} until it was a replica, "
          f"{demoted:.1f} s later; accepted and lost: {lost or 'none'}")
    assert reply == "-READONLY", after
    assert after.get("+OK", 0) == 0, after
    assert sentinels.role(old) == "slave"
    for reply in queued.values():
        assert reply in ("+OK", "-NOREPLICAS"), queued
    # What it accepted while it had no replica went nowhere: the new
    # master never had it, and the old one dropped it when it resynced.
    client = sentinels.client(new)
    for key in ("waypost:in-flight", "waypost:late", "waypost:resumed"):
        assert client.get(key) is None
        assert sentinels.client(old).get(key) is None
