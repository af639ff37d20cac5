"""What every make bench script needs: filters to start, load to drive.

Filter starts a milter or daemon in the foreground and waits for its unix
socket or loopback port; load() drives a milter with waypost-milter-load
and returns messages per second; RedisServer is a private redis-server on
loopback; Sink is Postfix's smtp-sink on loopback, the relay's
destination; run_measured() runs a program to its end and gives its CPU
time and peak RSS; start_opendkim() is the anchor of DKIM signing as the team's
ANCHORS.md configures it; alternate() runs the sides of a comparison in
turns, so that a machine whose speed drifts slows all alike;
install_anchors() apt-gets the anchors a bench compares with;
read_text() is the end of a daemon's log for an error message.
"""
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SUMMARY = re.compile(r"([0-9.]+) msgs/s.*continue (\d+), accept (\d+), "
                     r"tempfail (\d+), reject (\d+), discard (\d+), "
                     r"error (\d+); headers added (\d+)")


def install_anchors(packages, bench):
    """apt-get install those of packages ({command: Debian package}) whose
    command is missing; exit, naming bench, if we cannot."""
    missing = [p for c, p in packages.items() if not shutil.which(c)]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"{bench}: {', '.join(missing)} missing; run as root "
                 f"to have them installed")
    print(f"installing {', '.join(missing)}", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for update in (False, True):  # package lists may be missing or old
        if update:
            subprocess.run(["apt-get", "update", "-q"], env=env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        result = subprocess.run(["apt-get", "install", "-y", "-q", *missing],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        if result.returncode == 0:
            break
    if result.returncode != 0 or not all(map(shutil.which, packages)):
        sys.exit(f"{bench}: apt-get install failed:\n{result.stdout}")


def resp(*words):
    """One command in Redis's protocol, as redis-cli --pipe reads it."""
    out = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode() if isinstance(word, str) else word
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def read_text(path, limit=4000):
    """The last limit characters of a file, or "(no log)"."""
    try:
        with open(path, errors="replace") as f:
            return f.read()[-limit:]
    except OSError:
        return "(no log)"


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


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(address):
    """Whether a unix socket path exists or a (host, port) accepts."""
    if isinstance(address, str):
        return os.path.exists(address)
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


def file_limit(count):
    """A preexec_fn giving the child count file descriptors."""
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))
    return limit


def peak_rss_kb(pid):
    """VmHWM of a process, in KiB; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Filter:
    """A program in the foreground, ready when socket_path (a unix socket
    path, or a ("127.0.0.1", port) pair) is there."""

    def __init__(self, name, command, socket_path, log_path,
                 preexec_fn=None):
        self.name = name
        self.socket = socket_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log,
                                        stderr=subprocess.STDOUT,
                                        preexec_fn=preexec_fn)
        deadline = time.monotonic() + 20
        while not listening(socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start; see {log_path}")
            time.sleep(0.05)

    def peak_rss_kb(self):
        return peak_rss_kb(self.process.pid)

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


class RedisServer(Filter):
    """A private redis-server on a free loopback port: no persistence, no
    config file, its files in directory."""

    def __init__(self, directory):
        self.port = free_port()
        super().__init__("redis-server", [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", directory, "--save", "", "--appendonly", "no",
            "--protected-mode", "yes", "--daemonize", "no",
            "--logfile", ""], ("127.0.0.1", self.port),
            os.path.join(directory, "redis.log"))

    @property
    def address(self):
        """The server as [redis] address takes it."""
        return f"127.0.0.1:{self.port}"

    def cli(self, *arguments):
        """One redis-cli command; its output, stripped."""
        result = run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port),
                      *arguments], timeout=60)
        if result.returncode != 0 or result.stdout.startswith("ERR"):
            raise RuntimeError(f"redis-cli {arguments[0]}: {result.stdout}")
        return result.stdout.strip()


class Sink(Filter):
    """Postfix's smtp-sink on a loopback port: it discards what it is
    given and writes its running counts (-c) to its log."""

    def __init__(self, work):
        self.port = free_port()
        self.log_path = os.path.join(work, "smtp-sink.log")
        super().__init__("smtp-sink", [
            "smtp-sink", "-u", "nobody", "-c", f"127.0.0.1:{self.port}",
            "1000"], ("127.0.0.1", self.port), self.log_path)

    def messages(self):
        """Messages received so far: the last "mesg=N" it wrote."""
        with open(self.log_path, "rb") as f:
            f.seek(max(0, os.path.getsize(self.log_path) - 256))
            counts = re.findall(rb"mesg=(\d+)", f.read())
        return int(counts[-1]) if counts else 0


def start_opendkim(work, name, key_file, selector, algorithm):
    """Debian's OpenDKIM in the foreground as ANCHORS.md configures it
    (Mode s, one key for example.com, relaxed/relaxed), its config, log
    and unix socket in work as NAME.conf, NAME.log and NAME.sock; UMask
    000 lets any client connect (Postfix's smtpd runs as postfix). work
    must not be under a world-writable directory such as /tmp: OpenDKIM
    refuses such a configuration. algorithm: "rsa" or "ed25519"."""
    socket_path = os.path.join(work, f"{name}.sock")
    config = os.path.join(work, f"{name}.conf")
    write(config, f"Mode s\nDomain example.com\nSelector {selector}\n"
                  f"KeyFile {key_file}\n"
                  f"SignatureAlgorithm {algorithm}-sha256\n"
                  f"Socket local:{socket_path}\nInternalHosts 127.0.0.1\n"
                  f"Canonicalization relaxed/relaxed\nUMask 000\n")
    return Filter(f"opendkim {algorithm}", ["opendkim", "-x", config, "-f"],
                  socket_path, os.path.join(work, f"{name}.log"))


def process_cpu_seconds(pids):
    """CPU time of processes, their waited-for children's included, in
    seconds (user and system): a noisy machine moves it, but less than it
    moves a rate."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def run_measured(command, stdin=None, stdout=None):
    """command to its end under GNU time (/usr/bin/time, Debian's time
    package), its stderr with its stdout: (wall seconds, CPU seconds,
    peak RSS in KiB, exit status). Not os.wait4() on a child of this
    script: the kernel carries the larger of the old and the new
    resident high-water marks across exec into ru_maxrss, so a child of
    this script would show at least this script's own size. GNU time's
    child is forked from a small process."""
    with tempfile.NamedTemporaryFile("r", prefix="waypost-time-") as report:
        started = time.monotonic()
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%U %S %M %x", "-o", report.name,
             *command], stdin=stdin, stdout=stdout,
            stderr=subprocess.STDOUT)
        process.wait()
        elapsed = time.monotonic() - started
        fields = report.read().split("\n")[-2].split()
    user, system, peak, status = fields
    return elapsed, float(user) + float(system), int(peak), int(status)


def children_cpu_seconds():
    """CPU time of this script's finished children (the load clients)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_groups():
    """{pid: (process group, command line)} of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(
                    errors="replace").strip()
        except (OSError, IndexError):
            continue
        found[int(entry)] = (int(fields[2]), command)
    return found


def cpu_times():
    """user, nice, system, idle, iowait, irq, softirq, steal... of all the
    machine's CPUs, from /proc/stat, in clock ticks."""
    with open("/proc/stat") as f:
        return [int(n) for n in f.readline().split()[1:]]


def steal_share(before, after):
    """Of the CPU time between two cpu_times(), the share the hypervisor
    gave to others (steal): a machine that lost much ran slower and
    stalled, and its latencies say so."""
    spent = [b - a for a, b in zip(before, after)]
    return spent[7] / max(sum(spent[:8]), 1) if len(spent) > 7 else 0.0


def stop_all(filters):
    """SIGTERM to all first: libmilter takes seconds to notice one."""
    for f in filters:
        f.signal_stop()
    for f in filters:
        f.stop()


def report_left(what, left):
    """Print which processes a benchmark left running (none, one hopes:
    left is a list of them, as text); whether any."""
    print(f"{what} left: {', '.join(left) if left else 'none'}")
    return bool(left)


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


def alternate(rounds, *sides):
    """Each side's results over rounds, in turns: theirs, ours, theirs...
    (or any number of sides); one list per side."""
    results = [[] for _ in sides]
    for _ in range(rounds):
        for side, side_results in zip(sides, results):
            side_results.append(side())
    return results


def medians(theirs_rates, ours_rates):
    """The two medians and their ratio, ours over theirs."""
    theirs_median = statistics.median(theirs_rates)
    ours_median = statistics.median(ours_rates)
    return theirs_median, ours_median, ours_median / theirs_median
