"""contrib/redis as written: three data nodes with its redis.conf, three
sentinels with its sentinel.conf, on loopback. Only what cannot be the
same here is replaced (addresses, ports, where files go), and each
replacement must find its text, so a file that changes under the test
fails it instead of going untested. Then the master is killed: the
failover time with down-after-milliseconds 5000, which the README quotes,
is printed."""
import os
import time

import pytest

from harness.sentinel import RedisSentinelSet, pairs

CONTRIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "..", "contrib", "redis")


def contrib_file(name, replacements):
    """contrib/redis/NAME with each replacement made (each must match)."""
    with open(os.path.join(CONTRIB, name)) as f:
        text = f.read()
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError(f"contrib/redis/{name} no longer has "
                                 f"{old!r}")
        text = text.replace(old, new)
    return text


def local_files(directory, name):
    """Where a node or sentinel of the test keeps its files; in the
    foreground."""
    return {"dir": directory,
            "logfile": os.path.join(directory, f"{name}.log"),
            "pidfile": os.path.join(directory, f"{name}.pid"),
            "daemonize": "no"}


class ContribSentinelSet(RedisSentinelSet):
    def node_config(self, port, directory, replica_of):
        replica = (f"replicaof 127.0.0.1 {replica_of}" if replica_of
                   else "#replicaof 10.0.0.11 6379")
        # These lines are not in the file: Debian's redis.conf has them.
        return contrib_file("redis.conf", {
            "bind 10.0.0.11 127.0.0.1": "bind 127.0.0.1",
            "port 6379\n": f"port {port}\n",
            "#replicaof 10.0.0.11 6379": replica,
        }) + "".join(f"{name} {value}\n" for name, value in
                     local_files(directory, "redis").items())

    def sentinel_config(self, port, directory, master):
        files = local_files(directory, "sentinel")
        return contrib_file("sentinel.conf", {
            "bind 10.0.0.11 127.0.0.1": "bind 127.0.0.1",
            "port 26379": f"port {port}",
            "pidfile /run/sentinel/redis-sentinel.pid":
                f"pidfile {files['pidfile']}",
            "logfile /var/log/redis/redis-sentinel.log":
                f"logfile {files['logfile']}",
            "dir /var/lib/redis": f"dir {files['dir']}",
            "sentinel monitor waypost 10.0.0.11 6379 2":
                f"sentinel monitor waypost 127.0.0.1 {master} 2",
        }) + "daemonize no\n"


@pytest.fixture
def contrib_sentinels():
    cluster = ContribSentinelSet().start()
    yield cluster
    cluster.stop()


def test_contrib_redis_fails_over_in_seconds(contrib_sentinels):
    cluster = contrib_sentinels
    master = cluster.master_client()
    settings = {name: master.config_get(name)[name] for name in (
        "min-replicas-to-write", "min-replicas-max-lag", "appendonly",
        "maxmemory-policy")}
    assert settings == {"min-replicas-to-write": "1",
                        "min-replicas-max-lag": "10", "appendonly": "yes",
                        "maxmemory-policy": "noeviction"}
    for port in cluster.sentinel_ports:
        watched = pairs(cluster.client(port).execute_command(
            "SENTINEL", "master", "waypost"))
        assert {name: watched[name] for name in (
            "quorum", "down-after-milliseconds", "failover-timeout",
            "parallel-syncs")} == {
            "quorum": "2", "down-after-milliseconds": "5000",
            "failover-timeout": "30000", "parallel-syncs": "1"}

    master.set("waypost:before", "1")
    assert master.wait(2, 5000) == 2
    start = time.monotonic()
    old = cluster.kill_master()
    new = cluster.wait_for_new_master(old, timeout=60)
    promoted = time.monotonic() - start
    cluster.wait_for_writable(new)
    writable = time.monotonic() - start
    print(f"contrib/redis: kill -9 of the master, a new master after "
          f"{promoted:.1f} s, writable after {writable:.1f} s")
    assert writable < 5 + 5
    client = cluster.client(new)
    assert client.get("waypost:before") == "1"
    assert client.set("waypost:after", "1")
