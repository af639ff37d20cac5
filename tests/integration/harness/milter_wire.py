"""The MTA side of the milter protocol, packet by packet, for tests that
must stop in the middle of a message (waypost-milter-load always runs a
message to its end). Protocol version 6, as Postfix speaks it."""
import socket
import struct

VERSION = 6
ADD_HEADERS = 0x01
CHANGE_HEADERS = 0x10
# Everything Postfix offers that waypost-dkim may ask for.
OFFERED = (0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200
           | 0x400 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000
           | 0x20000 | 0x40000 | 0x80000 | 0x100000)
NO_MAIL = 0x04
NR_FLAGS = {"C": 0x1000, "M": 0x4000, "L": 0x80, "B": 0x80000,
            "N": 0x40000}


def packet(command, data=b""):
    """One packet: length, command, data."""
    return struct.pack(">I", len(data) + 1) + command.encode() + data


def negotiation(offered=OFFERED, actions=ADD_HEADERS):
    """The data of the MTA's option negotiation."""
    return struct.pack(">III", VERSION, actions, offered)


class MilterConnection:
    def __init__(self, path, timeout=20, offered=OFFERED,
                 actions=ADD_HEADERS):
        """offered: the SMFIP_* flags offered; leave out an NR_* flag to
        wait for the milter's reply to that step (a point where the test
        knows the milter has seen it)."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.send("O", negotiation(offered, actions))
        command, data = self.receive()
        assert command == "O", f"negotiation answered with {command!r}"
        _, self.actions, self.protocol = struct.unpack(">III", data[:12])
        # As Postfix gives a client with no address; connect_from() sets it.
        self.client_address = "unknown"

    def send(self, command, data=b""):
        self.sock.sendall(packet(command, data))

    def receive(self):
        length = struct.unpack(">I", self._exactly(4))[0]
        packet = self._exactly(length)
        return chr(packet[0]), packet[1:]

    def _exactly(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the milter closed the connection")
            data += chunk
        return data

    def step(self, command, data=b""):
        """Send one command; the replies up to the verdict, or [] when the
        milter asked for no reply to this command."""
        self.send(command, data)
        if self.protocol & NR_FLAGS.get(command, 0):
            return []
        replies = []
        while True:
            reply, payload = self.receive()
            replies.append((reply, payload))
            if reply not in ("h", "i", "m", "e", "+", "-", "2"):
                return replies

    def macros(self, stage, pairs):
        self.send("D", stage.encode() + b"".join(
            name.encode() + b"\0" + value.encode() + b"\0"
            for name, value in pairs.items()))

    def start_message(self, queue_id, headers):
        """MAIL FROM and the headers, as Postfix sends them: the macros
        of MAIL FROM even to a milter that skips it, not the command."""
        # The client again, for a milter that skips the connect step.
        self.macros("M", {"i": queue_id,
                          "{client_addr}": self.client_address})
        if not self.protocol & NO_MAIL:
            self.step("M", b"<alice@example.com>\0")
        for name, value in headers:
            self.step("L", name.encode() + b"\0" + value.encode() + b"\0")

    def finish_message(self, body=b"hello\r\n"):
        """End of headers, body, end of message: all the replies."""
        # The client again, for a milter that skips MAIL FROM too.
        self.macros("N", {"{client_addr}": self.client_address})
        replies = self.step("N")
        if replies and replies[-1][0] != "c":
            return replies
        self.step("B", body)
        self.macros("E", {})
        return replies + self.step("E")

    def connect_from(self, address="127.0.0.1"):
        self.client_address = address
        self.macros("C", {"j": "relay.example"})
        self.step("C", b"client.example\0" + b"4" + struct.pack(">H", 25)
                  + address.encode() + b"\0")

    def close(self):
        try:
            self.send("Q")
        except OSError:
            pass
        self.sock.close()
