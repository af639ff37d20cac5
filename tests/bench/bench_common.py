"""What every make bench script needs: filters to start, load to drive.

Filter starts a milter in the foreground and waits for its socket; load()
drives one with waypost-milter-load and returns messages per second;
alternate() runs the two sides of a comparison in turns, so that a machine
whose speed drifts slows both alike.
"""
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time

SUMMARY = re.compile(r"([0-9.]+) msgs/s.*continue (\d+), accept (\d+), "
                     r"tempfail (\d+), reject (\d+), discard (\d+), "
                     r"error (\d+); headers added (\d+)")


def run(command, **options):
    return subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **options)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def work_directory():
    """A directory for sockets and configs, under /run: OpenDKIM refuses a
    configuration under a world-writable directory such as /tmp."""
    work = tempfile.mkdtemp(prefix="waypost-bench-", dir="/run")
    os.chmod(work, 0o755)
    return work


class Filter:
    def __init__(self, name, command, socket_path, log_path):
        self.name = name
        self.socket = socket_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not os.path.exists(socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start; see {log_path}")
            time.sleep(0.05)

    def peak_rss_kb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def signal_stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self):
        self.signal_stop()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def stop_all(filters):
    """SIGTERM to all first: libmilter takes seconds to notice one."""
    for f in filters:
        f.signal_stop()
    for f in filters:
        f.stop()


def load(tool, socket_path, messages, connections, size=2048,
         message_file=None, user=None, least_added=0, must_pass=False):
    """Messages per second of one waypost-milter-load run.

    It fails on any broken connection, when the filter added fewer than
    least_added headers in all, and with must_pass when a message was
    tempfailed, rejected or discarded.
    """
    command = [tool, "-c", str(connections), "-n", str(messages)]
    command += ["-f", message_file] if message_file else ["-s", str(size)]
    if user:
        command += ["-a", user]
    result = run(command + [f"unix:{socket_path}"], timeout=900)
    match = SUMMARY.search(result.stdout)
    if (not match or int(match.group(7)) or
            int(match.group(8)) < least_added or
            (must_pass and sum(int(match.group(i)) for i in (4, 5, 6)))):
        raise RuntimeError(f"load against {socket_path} failed:\n"
                           f"{result.stdout}")
    return float(match.group(1))


def alternate(rounds, theirs, ours):
    """Each side's msgs/s over rounds, in turns: theirs, ours, theirs..."""
    theirs_rates, ours_rates = [], []
    for _ in range(rounds):
        theirs_rates.append(theirs())
        ours_rates.append(ours())
    return theirs_rates, ours_rates


def medians(theirs_rates, ours_rates):
    """The two medians and their ratio, ours over theirs."""
    theirs_median = statistics.median(theirs_rates)
    ours_median = statistics.median(ours_rates)
    return theirs_median, ours_median, ours_median / theirs_median
