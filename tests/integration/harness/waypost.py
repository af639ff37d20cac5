"""Run Waypost's own daemons for a test: config file, foreground, log file.

Daemon starts a program built in this tree with -f -c CONFIG, its stderr
(the log) in a file, and waits for its "starting:" line. DkimSetup writes
the KeyTable, SigningTable and [dkim] configuration around a KeyStore.
"""
import grp
import os
import pwd
import resource
import shutil
import subprocess
import time

from . import processes

DAEMON_USER = "nobody"


class Daemon:
    def __init__(self, program, directory, config_text, name="daemon"):
        self.program = program
        self.directory = directory
        self.config = os.path.join(directory, f"{name}.conf")
        self.log_path = os.path.join(directory, f"{name}.log")
        self.process = None
        self.log_file = None
        self.prefix = []  # a command that runs the program, e.g. setpriv
        self.write_config(config_text)

    def write_config(self, text):
        """The file, readable by the daemon user's group, as it must be
        for SIGHUP to reload it after root is gone."""
        with open(self.config, "w") as f:
            f.write(text)
        os.chown(self.config, 0, pwd.getpwnam(DAEMON_USER).pw_gid)
        os.chmod(self.config, 0o640)

    def check(self):
        """Run the program with -n: (exit status, stdout, stderr)."""
        result = subprocess.run([self.program, "-n", "-c", self.config],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, timeout=60)
        return result.returncode, result.stdout, result.stderr

    def start(self, *arguments, wait=True, file_limit=None):
        """file_limit: the daemon's RLIMIT_NOFILE, soft and hard."""
        def limit_files():
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (file_limit, file_limit))

        self.log_file = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [*self.prefix, self.program, "-f", "-c", self.config,
             *arguments],
            stdout=self.log_file, stderr=subprocess.STDOUT,
            preexec_fn=limit_files if file_limit else None)
        if wait:
            self.wait_for_log("starting: listening on", timeout=20,
                              or_exit=True)
        return self

    def read_log(self):
        return processes.read_log(self.log_path, missing="")

    def wait_for_log(self, text, timeout=20, or_exit=False, count=1):
        """Wait until text appears count times in the log."""
        deadline = time.monotonic() + timeout
        while self.read_log().count(text) < count:
            if or_exit and self.process.poll() is not None:
                raise RuntimeError(f"{self.program} exited "
                                   f"({self.process.returncode}):\n"
                                   f"{self.read_log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {text!r} in the log:\n"
                                   f"{self.read_log()}")
            time.sleep(0.02)

    def signal(self, number):
        self.process.send_signal(number)

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL if it does not go; the exit status."""
        status = processes.stop(self.process, timeout)
        if self.log_file:
            self.log_file.close()
            self.log_file = None
        return status


def give_to_daemon_user(path, mode=0o600):
    """Key files: owned by the daemon's user, private (require_safe_keys)."""
    user = pwd.getpwnam(DAEMON_USER)
    os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, mode)


class DkimSetup:
    """KeyTable, SigningTable and waypost.conf for waypost-dkim."""

    def __init__(self, program, directory, keys):
        self.program = program
        self.directory = directory
        self.keys = keys
        self.socket = os.path.join(directory, "dkim.sock")
        self.key_table = os.path.join(directory, "KeyTable")
        self.signing_table = os.path.join(directory, "SigningTable")
        self.daemon = None

    @property
    def milter(self):
        return f"unix:{self.socket}"

    def write_tables(self, key_lines, signing_lines):
        with open(self.key_table, "w") as f:
            f.write("".join(line + "\n" for line in key_lines))
        with open(self.signing_table, "w") as f:
            f.write("".join(line + "\n" for line in signing_lines))
        for path in (self.key_table, self.signing_table):
            os.chmod(path, 0o644)

    def key_line(self, name, key, domain=None):
        give_to_daemon_user(key.path)
        return f"{name} {domain or key.domain}:{key.selector}:{key.path}"

    def config_text(self, extra="", signing_table=True):
        table = (f"signing_table = refile:{self.signing_table}\n"
                 if signing_table else "")
        return (f"[log]\nlevel = info\n"
                f"[dkim]\nsocket = {self.milter}\nsocket_group = "
                f"{grp.getgrnam('postfix').gr_name}\nuser = {DAEMON_USER}\n"
                f"key_table = {self.key_table}\n{table}{extra}")

    def start(self, extra="", signing_table=True, file_limit=None):
        self.daemon = Daemon(self.program, self.directory,
                             self.config_text(extra, signing_table), "dkim")
        return self.daemon.start(file_limit=file_limit)

    def stop(self):
        if self.daemon:
            self.daemon.stop()


class HeadersSetup:
    """waypost.conf for waypost-headers, its socket beside the others."""

    def __init__(self, program, directory):
        self.program = program
        self.directory = directory
        self.socket = os.path.join(directory, "headers.sock")
        self.daemon = None

    @property
    def milter(self):
        return f"unix:{self.socket}"

    def config_text(self, extra=""):
        return (f"[log]\nlevel = info\n"
                f"[headers]\nsocket = {self.milter}\nsocket_group = "
                f"{grp.getgrnam('postfix').gr_name}\nuser = {DAEMON_USER}\n"
                f"message_id_domain = relay.example\n"
                f"authserv_id = relay.example\n{extra}")

    def start(self, extra="", file_limit=None):
        self.daemon = Daemon(self.program, self.directory,
                             self.config_text(extra), "headers")
        return self.daemon.start(file_limit=file_limit)

    def stop(self):
        if self.daemon:
            self.daemon.stop()


def postfix_milter_settings(milter):
    """main.cf lines every Waypost deployment uses for its milters."""
    return {
        "smtpd_milters": milter,
        "non_smtpd_milters": milter,
        "milter_default_action": "tempfail",
        "milter_protocol": "6",
    }


def identities_file(directory, text):
    """An identities_file of sender grants (lines "user grant, ..."),
    readable by the daemons once they have dropped root."""
    path = os.path.join(directory, "identities")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


class PolicySetup:
    """waypost.conf for waypost-policyd on a loopback port, or (port None)
    on the unix socket policy.sock in directory, in Postfix's group, as
    contrib/ has it; its limits given as {"name": "subject = ...\\n
    window = ...\\nmax = ..."}."""

    def __init__(self, program, directory, redis_address, port=None):
        self.program = program
        self.directory = directory
        self.redis_address = redis_address
        self.port = port
        self.socket = os.path.join(directory, "policy.sock")
        self.daemon = None

    @property
    def service(self):
        """For Postfix's check_policy_service."""
        if self.port is None:
            return f"unix:{self.socket}"
        return f"inet:127.0.0.1:{self.port}"

    @property
    def address(self):
        """Where a PolicyClient connects."""
        return self.socket if self.port is None else self.port

    def socket_text(self):
        if self.port is None:
            return (f"socket = unix:{self.socket}\nsocket_group = "
                    f"{grp.getgrnam('postfix').gr_name}\n")
        return f"socket = inet:{self.port}@127.0.0.1\n"

    def config_text(self, limits, redis_extra="", policy_extra="",
                    sections=""):
        text = (f"[log]\nlevel = info\n"
                f"[redis]\naddress = {self.redis_address}\n{redis_extra}\n"
                f"[policy]\n{self.socket_text()}"
                f"user = {DAEMON_USER}\n{policy_extra}\n")
        for name, body in limits.items():
            text += f'[limit "{name}"]\n{body}\n'
        return text + sections

    def start(self, limits, redis_extra="", policy_extra="", name="policy",
              wait_for_redis=True, sections="", arguments=(),
              file_limit=None):
        """Start, and (wait_for_redis) wait until its Redis connection is
        up, so a test's first request is not answered by the fail mode
        on a machine too busy to connect within the timeout."""
        self.daemon = Daemon(self.program, self.directory,
                             self.config_text(limits, redis_extra,
                                              policy_extra, sections), name)
        self.daemon.start(*arguments, file_limit=file_limit)
        if wait_for_redis:
            self.daemon.wait_for_log("Redis connected")
        return self.daemon

    def stop(self):
        if self.daemon:
            self.daemon.stop()


class RouteSetup:
    """waypost-routed on the unix socket route.sock in directory, in
    Postfix's group, as contrib/ has it; its [pool] and [provider]
    sections given as text."""

    def __init__(self, program, directory, redis_address):
        self.program = program
        self.directory = directory
        self.redis_address = redis_address
        self.socket = os.path.join(directory, "route.sock")
        self.daemon = None

    def table(self, name):
        """A socketmap table of it, for Postfix."""
        return f"socketmap:unix:{self.socket}:{name}"

    def config_text(self, sections, route_extra=""):
        return (f"[log]\nlevel = info\n"
                f"[redis]\naddress = {self.redis_address}\ntimeout = 2s\n"
                f"[route]\nsocket = unix:{self.socket}\nsocket_group = "
                f"{grp.getgrnam('postfix').gr_name}\nuser = {DAEMON_USER}\n"
                f"{route_extra}\n{sections}")

    def configure(self, sections, route_extra="", name="route"):
        """The Daemon, not started; name: its config and log files'."""
        self.daemon = Daemon(self.program, self.directory,
                             self.config_text(sections, route_extra), name)
        return self.daemon

    def start(self, sections, route_extra="", name="route"):
        self.configure(sections, route_extra, name).start()
        self.daemon.wait_for_log("Redis connected")
        return self.daemon

    def stop(self):
        if self.daemon:
            self.daemon.stop()


def start_tracker(program, directory, redis_address, maillog):
    """waypost-trackd following a private Postfix's maillog_file into the
    Redis at redis_address, with contrib's bounce-classes.conf (copied
    into directory); started, its records being written."""
    rules = os.path.join(directory, "bounce-classes.conf")
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "..", "..", "..", "contrib",
                             "bounce-classes.conf"), rules)
    os.chmod(rules, 0o644)
    tracker = Daemon(
        program, directory,
        f"[log]\nlevel = info\n[redis]\naddress = {redis_address}\n"
        f"[track]\nlog_file = {maillog}\nrules_file = {rules}\n"
        f"user = {DAEMON_USER}\n", "trackd")
    tracker.start(wait=False)
    tracker.wait_for_log("records in Redis", or_exit=True)
    return tracker
