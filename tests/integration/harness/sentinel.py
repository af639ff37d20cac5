"""Redis Sentinel on loopback: three data nodes and three sentinels.

RedisSentinelSet starts one master and two replicas (`replicaof`), each
with min-replicas-to-write 1 and min-replicas-max-lag 10 as
contrib/redis has them, no persistence, each in a directory of its own
(a replica's full sync writes its RDB file there), a full sync started
at once rather than after the 5 s Redis waits for more replicas; then
three sentinels monitoring the master under one name (default
"waypost") with quorum 2, down-after-milliseconds 1000 unless told
otherwise, failover-timeout 10 s and parallel-syncs 1. start() returns once
both replicas are in sync and every sentinel knows both replicas and the
two other sentinels, so a failover can happen from the first moment of a
test. Everything is on free ports under one temp dir, so two runs of the
suite do not meet.

The sentinels are `redis-sentinel FILE` when that program is installed,
else `redis-server FILE --sentinel`, the same program (Debian's
redis-sentinel package would also start a system service). Each rewrites
its own file, as a sentinel must be able to.

Faults are made with signals: kill_master() (SIGKILL), stop_master()
(SIGSTOP) and continue_node() (SIGCONT); restart_node() brings a killed
node back as a replica. Waiting is by polling what the sentinels and the
nodes answer, never by fixed sleeps. A subclass may write other config
files (node_config(), sentinel_config()), e.g. contrib/redis's.
"""
import os
import shutil
import signal
import subprocess

import redis as redis_client

from . import ports, processes, tempdir, waiting

NODE_CONFIG = """\
bind 127.0.0.1
port {port}
protected-mode yes
daemonize no
dir {directory}
logfile {log}
save ""
appendonly no
min-replicas-to-write 1
min-replicas-max-lag 10
repl-diskless-sync-delay 0
"""

SENTINEL_CONFIG = """\
bind 127.0.0.1
port {port}
daemonize no
dir {directory}
logfile {log}
sentinel monitor {name} 127.0.0.1 {master} 2
sentinel down-after-milliseconds {name} {down_after}
sentinel failover-timeout {name} {failover_timeout}
sentinel parallel-syncs {name} 1
"""

# How long one answer from a node or a sentinel may take: a stopped node
# must read as "no answer" quickly, not hang the test.
ANSWER_TIMEOUT = 0.5


def sentinel_command(config):
    """The command that runs a sentinel with this config file."""
    if shutil.which("redis-sentinel"):
        return ["redis-sentinel", config]
    return ["redis-server", config, "--sentinel"]


def pairs(flat):
    """A dict of the [name, value, name, value ...] lists SENTINEL answers
    with."""
    return dict(zip(flat[0::2], flat[1::2]))


class RedisSentinelSet:
    def __init__(self, master_name="waypost", down_after_ms=1000,
                 failover_timeout_ms=10000):
        self.master_name = master_name
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.directory = tempdir.make_dir("sentinel")
        self.node_ports = [ports.free_port() for _ in range(3)]
        self.sentinel_ports = [ports.free_port() for _ in range(3)]
        self.nodes = {}      # port: Popen of redis-server
        self.sentinels = {}  # port: Popen of the sentinel
        self.stopped = set()  # ports of nodes under SIGSTOP

    # --- starting and stopping -------------------------------------------

    def start(self, timeout=30):
        master = self.node_ports[0]
        self._start_node(master)
        for port in self.node_ports[1:]:
            self._start_node(port, replica_of=master)
        self._wait(lambda: self._replicas_in_sync(master, 2), timeout,
                   "both replicas in sync with the master")
        for port in self.sentinel_ports:
            self._start_sentinel(port, master)
        self._wait(self._sentinels_ready, timeout,
                   "every sentinel knows both replicas and the other "
                   "sentinels")
        return self

    def _node_directory(self, port):
        path = os.path.join(self.directory, f"node-{port}")
        os.makedirs(path, exist_ok=True)
        return path

    def node_config(self, port, directory, replica_of):
        """The text of a data node's config file."""
        text = NODE_CONFIG.format(port=port, directory=directory,
                                  log=os.path.join(directory, "redis.log"))
        if replica_of:
            text += f"replicaof 127.0.0.1 {replica_of}\n"
        return text

    def _start_node(self, port, replica_of=None):
        directory = self._node_directory(port)
        config = os.path.join(directory, "redis.conf")
        with open(config, "w") as f:
            f.write(self.node_config(port, directory, replica_of))
        self.nodes[port] = subprocess.Popen(
            ["redis-server", config], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self._wait_for_answer(port, self.nodes[port], "redis-server")

    def sentinel_config(self, port, directory, master):
        """The text of a sentinel's config file."""
        return SENTINEL_CONFIG.format(
            port=port, directory=directory,
            log=os.path.join(directory, "sentinel.log"),
            name=self.master_name, master=master,
            down_after=self.down_after_ms,
            failover_timeout=self.failover_timeout_ms)

    def _start_sentinel(self, port, master):
        directory = os.path.join(self.directory, f"sentinel-{port}")
        os.makedirs(directory, exist_ok=True)
        config = os.path.join(directory, "sentinel.conf")
        with open(config, "w") as f:
            f.write(self.sentinel_config(port, directory, master))
        self.sentinels[port] = subprocess.Popen(
            sentinel_command(config), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self._wait_for_answer(port, self.sentinels[port], "sentinel")

    def _wait_for_answer(self, port, process, what, timeout=10):
        def answers():
            if process.poll() is not None:
                raise RuntimeError(f"{what} on port {port} exited "
                                   f"({process.returncode})"
                                   + self._log_tail())
            return self._ping(port)

        self._wait(answers, timeout, f"{what} on port {port} answers")

    def stop(self):
        """Everything stopped, stopped nodes too; the temp dir removed.
        Sentinels first, so that none starts a failover meanwhile."""
        for process in [*self.sentinels.values(), *self.nodes.values()]:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
        for process in self.sentinels.values():
            processes.stop(process)
        for process in self.nodes.values():
            # Nothing is persisted: no need for a graceful shutdown,
            # which a master would spend waiting for its replicas.
            if process.poll() is None:
                process.kill()
                process.wait()
        tempdir.remove_dir(self.directory)

    # --- what the sentinels and the nodes say ----------------------------

    def client(self, port, **options):
        """A redis.Redis to a node or a sentinel, answers decoded unless
        options say decode_responses=False."""
        options.setdefault("socket_timeout", ANSWER_TIMEOUT)
        options.setdefault("socket_connect_timeout", ANSWER_TIMEOUT)
        options.setdefault("decode_responses", True)
        return redis_client.Redis(host="127.0.0.1", port=port, **options)

    def _ask(self, port, *command):
        """A node's or sentinel's answer, or None if it gives none."""
        client = self.client(port)
        try:
            return client.execute_command(*command)
        except (redis_client.exceptions.ConnectionError,
                redis_client.exceptions.TimeoutError):
            return None
        finally:
            client.close()

    def _ping(self, port):
        return self._ask(port, "PING") is not None

    def sentinel_addresses(self):
        """The sentinels as [redis] sentinels takes them."""
        return [f"127.0.0.1:{port}" for port in self.sentinel_ports]

    def master_port_by(self, sentinel_port):
        """The master's port as one sentinel reports it, or None."""
        answer = self._ask(sentinel_port, "SENTINEL",
                           "get-master-addr-by-name", self.master_name)
        return int(answer[1]) if answer else None

    def master_port(self):
        """The master's port as the first sentinel that answers reports
        it."""
        for port in self.sentinel_ports:
            master = self.master_port_by(port)
            if master:
                return master
        raise RuntimeError("no sentinel names a master" + self._log_tail())

    def master_client(self, **options):
        return self.client(self.master_port(), **options)

    def role(self, port):
        """"master" or "slave" as the node's ROLE says, None if it does
        not answer."""
        answer = self._ask(port, "ROLE")
        return answer[0] if answer else None

    def replication(self, port):
        """INFO replication of a node, or {} if it does not answer."""
        return self._ask(port, "INFO", "replication") or {}

    def _replicas_in_sync(self, master, count):
        """master has count replicas online, each with its link up."""
        info = self.replication(master)
        if info.get("role") != "master":
            return False
        online = [value for name, value in info.items()
                  if name.startswith("slave") and isinstance(value, dict)
                  and value.get("state") == "online"]
        if info.get("connected_slaves") != count or len(online) != count:
            return False
        return all(self.replication(value["port"]).get("master_link_status")
                   == "up" for value in online)

    def _sentinels_ready(self):
        for port in self.sentinel_ports:
            replicas = self._ask(port, "SENTINEL", "replicas",
                                 self.master_name)
            others = self._ask(port, "SENTINEL", "sentinels",
                               self.master_name)
            if replicas is None or others is None:
                return False
            if len(others) != 2 or len(replicas) != 2:
                return False
            if any(pairs(replica)["flags"] != "slave"
                   for replica in replicas):
                return False
        return True

    # --- faults ----------------------------------------------------------

    def kill_master(self):
        """SIGKILL the master; its port."""
        port = self.master_port()
        self.nodes[port].kill()
        self.nodes[port].wait()
        return port

    def stop_master(self):
        """SIGSTOP the master; its port."""
        port = self.master_port()
        self.nodes[port].send_signal(signal.SIGSTOP)
        self.stopped.add(port)
        return port

    def continue_node(self, port):
        """SIGCONT a node stop_master() stopped."""
        self.nodes[port].send_signal(signal.SIGCONT)
        self.stopped.discard(port)

    def restart_node(self, port, timeout=30):
        """Start a killed node again on its port, as a replica of the
        current master, and wait until it is in sync."""
        if self.nodes[port].poll() is None:
            raise RuntimeError(f"the node on port {port} still runs")
        master = self.master_port()
        self._start_node(port, replica_of=master)
        self.wait_for_replica(port, master, timeout)

    # --- waiting for the sentinels' work ---------------------------------

    def wait_for_new_master(self, old_port, timeout=60):
        """The port of the master that replaced old_port, once a sentinel
        reports it and it answers ROLE master. A first election that
        fails on a busy machine is held again after twice
        failover-timeout (20 s): hence 60 s."""
        found = []

        def promoted():
            for sentinel in self.sentinel_ports:
                port = self.master_port_by(sentinel)
                if port and port != old_port and \
                        self.role(port) == "master":
                    found.append(port)
                    return True
            return False

        self._wait(promoted, timeout, f"a master other than {old_port}")
        return found[0]

    def wait_for_failover_end(self, old_port, new_port, timeout=30):
        """Wait until every sentinel names new_port and every node but
        old_port and new_port replicates from it, in sync: the failover
        done."""
        def done():
            return all(self.master_port_by(sentinel) == new_port
                       for sentinel in self.sentinel_ports)

        self._wait(done, timeout, f"every sentinel names {new_port}")
        for port in self.node_ports:
            if port not in (old_port, new_port):
                self.wait_for_replica(port, new_port, timeout)

    def wait_for_writable(self, port, timeout=30):
        """Wait until the master on port has a good replica, so
        min-replicas-to-write lets it take writes."""
        self._wait(lambda: self.replication(port).get(
            "min_slaves_good_slaves", 0) >= 1, timeout,
            f"the master on {port} has a good replica")

    def wait_for_replica(self, port, master=None, timeout=30):
        """Wait until the node on port is a replica of master (by default
        the current one) with its link up."""
        def in_sync():
            info = self.replication(port)
            return (info.get("role") == "slave"
                    and info.get("master_port") == (master
                                                    or self.master_port())
                    and info.get("master_link_status") == "up")

        self._wait(in_sync, timeout,
                   f"the node on {port} in sync as a replica")

    def _wait(self, condition, timeout, what):
        """waiting.wait_until(), the end of every log in its error."""
        try:
            waiting.wait_until(condition, timeout, what)
        except TimeoutError as error:
            raise TimeoutError(f"{error}{self._log_tail()}") from None

    # --- logs ------------------------------------------------------------

    def logs(self):
        """Every node's and sentinel's log, each under its name."""
        text = ""
        for entry in sorted(os.listdir(self.directory)):
            for name in ("redis.log", "sentinel.log"):
                path = os.path.join(self.directory, entry, name)
                if os.path.exists(path):
                    text += f"--- {entry}/{name}\n" \
                            + processes.read_log(path)
        return text

    def _log_tail(self, lines=15):
        """The end of each log, for a failure's message."""
        text = ""
        for block in self.logs().split("--- ")[1:]:
            head, _, body = block.partition("\n")
            text += f"\n--- {head}\n" + "\n".join(
                body.splitlines()[-lines:])
        return text
