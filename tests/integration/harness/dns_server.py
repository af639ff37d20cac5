"""A private DNS server (dnsmasq) on a free loopback port, serving only the
TXT and MX records a test gives it: no upstream, no /etc/hosts, nothing
else."""
import subprocess

from . import ports, processes


class DnsServer:
    def __init__(self, records, mx=None):
        """records: {name: [string, ...]}, each string at most 255 bytes,
        as in a zone file's TXT (...) line; mx: {domain: [host, ...]},
        the MX hosts of each domain, preferred in that order."""
        self.records = records
        self.mx = mx or {}
        self.port = ports.free_port()
        self.process = None

    def start(self):
        arguments = ["dnsmasq", "--no-daemon", "--port", str(self.port),
                     "--listen-address=127.0.0.1", "--bind-interfaces",
                     "--no-resolv", "--no-hosts", "--user=nobody",
                     "--pid-file="]
        for name, strings in self.records.items():
            for string in strings:
                if "," in string or len(string) > 255:
                    raise ValueError(f"cannot serve TXT string {string!r}")
            arguments.append(f"--txt-record={name.rstrip('.')},"
                             + ",".join(strings))
        for domain, hosts in self.mx.items():
            for preference, host in enumerate(hosts):
                arguments.append(f"--mx-host={domain},{host},"
                                 f"{10 * (preference + 1)}")
        self.process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        try:
            ports.wait_for_port(self.port)  # dnsmasq serves TCP too
        except TimeoutError:
            self.stop()
            raise
        return self

    @property
    def address(self):
        """For waypost-dkim-keygen --nameserver, waypost-routed's
        resolver."""
        return f"127.0.0.1:{self.port}"

    def stop(self):
        processes.stop(self.process)
        if self.process and self.process.stderr:
            self.process.stderr.close()
