"""waypost-testd, the minimal daemon on lib/daemon.c (testd.c), as the
life cycle and metrics tests run it."""
import os
import pwd
import socket

from harness.waypost import Daemon

TESTD = "tests/integration/waypost-testd"  # relative to the build tree


class Testd(Daemon):
    """waypost-testd with its files in a run directory owned by nobody, as
    systemd's RuntimeDirectory would be, so that it can remove its pidfile
    and socket after dropping root."""
    __test__ = False

    def __init__(self, path, directory, extra="", socket_spec=None):
        nobody = pwd.getpwnam("nobody")
        run = os.path.join(directory, "run")
        os.makedirs(run)
        os.chown(run, nobody.pw_uid, nobody.pw_gid)
        self.socket_path = os.path.join(run, "testd.sock")
        self.pidfile = os.path.join(run, "testd.pid")
        self.socket_spec = socket_spec or f"unix:{self.socket_path}"
        super().__init__(path, run, self.text(extra), "testd")

    def text(self, extra="", greeting="hello"):
        return (f"[testd]\nsocket = {self.socket_spec}\n"
                f"socket_mode = 0660\nsocket_group = nogroup\n"
                f"user = nobody\npidfile = {self.pidfile}\n"
                f"greeting = {greeting}\n{extra}")

    def configure(self, extra="", greeting="hello"):
        self.write_config(self.text(extra, greeting))

    def connect(self):
        if self.socket_spec.startswith("unix:"):
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(self.socket_path)
        else:
            port, host = self.socket_spec[5:].split("@")
            client = socket.create_connection((host, int(port)))
        client.settimeout(20)
        return client

    def request(self, line):
        with self.connect() as client:
            client.sendall(line.encode() + b"\n")
            return client.makefile().readline().strip()
