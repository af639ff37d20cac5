"""A private redis-server on a free loopback port, no persistence."""
import os
import subprocess
import time

import redis as redis_client

from . import ports, processes, tempdir


class RedisServer:
    def __init__(self, extra_arguments=()):
        """extra_arguments: more of redis-server's command line, such as
        ("--rename-command", "FCALL", "") for a Redis without Functions."""
        self.directory = tempdir.make_dir("redis")
        self.port = ports.free_port()
        self.process = None
        self.client = None
        self.extra_arguments = list(extra_arguments)

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", self.directory, "--save", "", "--appendonly", "no",
             "--protected-mode", "yes", "--daemonize", "no",
             "--logfile", os.path.join(self.directory, "redis.log"),
             *self.extra_arguments],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis_client.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                return self
            except redis_client.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start: "
                                       + self.log())
                time.sleep(0.05)

    def restart(self):
        """Start again on the same port, after the process ended."""
        if self.client:
            self.client.close()
        return self.start()

    def log(self):
        return processes.read_log(os.path.join(self.directory, "redis.log"))

    def stop(self):
        processes.stop(self.process)
        if self.client:
            self.client.close()
        tempdir.remove_dir(self.directory)

    @property
    def address(self):
        """The server as [redis] address takes it."""
        return f"127.0.0.1:{self.port}"
