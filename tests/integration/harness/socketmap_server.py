"""A Postfix socketmap(5) server on a unix socket, which records every
lookup: what Postfix asks a table served over the socketmap protocol, and
when.

Each request is a netstring "NAME KEY"; each reply a netstring "OK DATA",
"NOTFOUND ", "TEMP reason", "TIMEOUT reason" or "PERM reason". answer(name,
key) gives the reply's text; lookups() the (name, key) of every request so
far, in order. The socket is 0666 in a 0755 directory: Postfix's daemons
(the postfix user) connect to it.
"""
import os
import socket
import threading

from . import tempdir

NETSTRING_MAX = 100000  # as Postfix's socketmap_max_reply_size


def read_netstring(stream):
    """One netstring's payload from a file object; None at EOF."""
    length = b""
    while True:
        byte = stream.read(1)
        if not byte:
            return None
        if byte == b":":
            break
        if not byte.isdigit() or len(length) > 6:
            raise ValueError(f"bad netstring length {length + byte!r}")
        length += byte
    if int(length) > NETSTRING_MAX:
        raise ValueError(f"netstring of {int(length)} bytes")
    payload = stream.read(int(length))
    if len(payload) != int(length) or stream.read(1) != b",":
        raise ValueError("truncated netstring")
    return payload


def netstring(payload):
    return b"%d:%s," % (len(payload), payload)


class SocketmapServer:
    def __init__(self, answer):
        self.directory = tempdir.make_dir("socketmap")
        self.path = os.path.join(self.directory, "map.sock")
        self.answer = answer
        self._lookups = []
        self._condition = threading.Condition()
        self._socket = None
        self._threads = []

    def start(self):
        self._socket = socket.socket(socket.AF_UNIX)
        self._socket.bind(self.path)
        os.chmod(self.path, 0o666)
        self._socket.listen(16)
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self):
        while True:
            try:
                peer, _ = self._socket.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(peer,),
                                      daemon=True)
            thread.start()

    def _serve(self, peer):
        with peer, peer.makefile("rb") as stream:
            try:
                while (request := read_netstring(stream)) is not None:
                    name, _, key = request.decode().partition(" ")
                    with self._condition:
                        self._lookups.append((name, key))
                        self._condition.notify_all()
                    peer.sendall(netstring(self.answer(name, key).encode()))
            except (OSError, ValueError):
                return

    def lookups(self):
        with self._condition:
            return list(self._lookups)

    def stop(self):
        if self._socket:
            self._socket.close()
        tempdir.remove_dir(self.directory)

    def table(self, name):
        """The table NAME of this server, as Postfix names it."""
        return f"socketmap:unix:{self.path}:{name}"
