"""A private Postfix instance on loopback, nothing of the system touched.

Its own config_directory, queue_directory and data_directory under one temp
dir; smtpd on 127.0.0.1:PORT; relayhost the test sink; the log in
maillog_file (there is no syslog here). Started with `postfix -c DIR start`
as root; every process it starts is stopped by stop().
"""
import os
import pwd
import re
import shutil
import signal
import subprocess
import time

from . import ports, tempdir

# Every service Postfix needs, none chrooted, smtpd on our own port.
MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
local      unix  - n n -    - local
virtual    unix  - n n -    - virtual
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
"""


class PostfixError(RuntimeError):
    pass


class PrivatePostfix:
    def __init__(self, relay_port, settings=None, master_extra="",
                 master_parameters=()):
        """master_parameters: "SERVICE/TYPE/NAME=VALUE" each, a -o of a
        master.cf service, as postconf -P sets it."""
        self.directory = tempdir.make_dir("postfix")
        self.config_directory = os.path.join(self.directory, "etc")
        self.queue_directory = os.path.join(self.directory, "spool")
        self.data_directory = os.path.join(self.directory, "data")
        self.maillog = os.path.join(self.directory, "maillog")
        self.port = ports.free_port()
        self.relay_port = relay_port
        self.settings = dict(settings or {})
        self.master_extra = master_extra
        self.master_parameters = list(master_parameters)
        self.started = False

    def main_cf(self):
        settings = {
            "compatibility_level": "3.6",
            "config_directory": self.config_directory,
            "queue_directory": self.queue_directory,
            "data_directory": self.data_directory,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "relay.waypost.test",
            "mydomain": "waypost.test",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "relayhost": f"[127.0.0.1]:{self.relay_port}",
            "smtpd_relay_restrictions":
                "permit_mynetworks, permit_sasl_authenticated, "
                "reject_unauth_destination",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.directory,
            "smtp_dns_support_level": "disabled",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "biff": "no",
            "queue_run_delay": "2s",
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "4s",
            "smtp_connect_timeout": "5s",
        }
        settings.update(self.settings)
        return "".join(f"{name} = {value}\n" for name, value in settings.items())

    def write_config(self):
        os.makedirs(self.config_directory, exist_ok=True)
        os.makedirs(self.queue_directory, exist_ok=True)
        os.makedirs(self.data_directory, exist_ok=True)
        postfix_user = pwd.getpwnam("postfix")
        os.chown(self.data_directory, postfix_user.pw_uid, postfix_user.pw_gid)
        with open(os.path.join(self.config_directory, "main.cf"), "w") as f:
            f.write(self.main_cf())
        with open(os.path.join(self.config_directory, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
            f.write(self.master_extra)
        if os.path.exists("/etc/postfix/dynamicmaps.cf"):
            shutil.copy("/etc/postfix/dynamicmaps.cf", self.config_directory)
        if self.master_parameters:
            subprocess.run(["postconf", "-c", self.config_directory, "-P",
                            *self.master_parameters], check=True, timeout=60)

    def _postfix(self, *arguments, check=True):
        result = subprocess.run(
            ["postfix", "-c", self.config_directory, *arguments],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=60)
        if check and result.returncode != 0:
            raise PostfixError(f"postfix {' '.join(arguments)} failed:\n"
                               f"{result.stdout}\n--- maillog:\n{self.log()}")
        return result

    def start(self):
        if os.geteuid() != 0:
            raise PostfixError("a private Postfix needs root to start")
        self.write_config()
        self._postfix("start")
        self.started = True
        ports.wait_for_port(self.port, timeout=20)
        return self

    def postconf(self, **settings):
        """Change main.cf settings and reload."""
        arguments = [f"{name} = {value}" for name, value in settings.items()]
        subprocess.run(["postconf", "-c", self.config_directory, "-e",
                        *arguments], check=True)
        self.settings.update(settings)
        if self.started:
            self._postfix("reload")

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_directory, "pid",
                                   "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        if self.started:
            pid = self.master_pid()
            self._postfix("stop", check=False)
            deadline = time.monotonic() + 15
            while pid and _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid and _alive(pid):
                self._postfix("abort", check=False)
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.started = False
        tempdir.remove_dir(self.directory)

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return "(no maillog)"

    def wait_for_log(self, pattern, timeout=30.0):
        """The first match of a regular expression in the maillog."""
        deadline = time.monotonic() + timeout
        expression = re.compile(pattern)
        while True:
            match = expression.search(self.log())
            if match:
                return match
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {pattern!r} in the Postfix log after "
                                   f"{timeout}s:\n{self.log()}")
            time.sleep(0.1)

    def queue_ids(self):
        """Queue IDs of messages still in the queue."""
        result = subprocess.run(["postqueue", "-c", self.config_directory,
                                 "-j"], stdout=subprocess.PIPE, text=True,
                                check=False)
        return re.findall(r'"queue_id": "([0-9A-F]+)"', result.stdout)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
