"""A private Dovecot that only authenticates (no IMAP/POP), for Postfix's
SMTP AUTH: users from a passwd-file, its auth socket in the temp dir."""
import os
import subprocess
import time

from . import processes, tempdir

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols =
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = nobody
default_login_user = nobody
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  unix_listener {dir}/auth {{
    mode = 0666
  }}
}}
"""


class Dovecot:
    def __init__(self, users):
        """users: {"alice@example.com": "secret1", ...}"""
        self.directory = tempdir.make_dir("dovecot")
        self.users = users
        self.process = None

    @property
    def socket(self):
        """For Postfix's smtpd_sasl_path (with smtpd_sasl_type = dovecot)."""
        return os.path.join(self.directory, "auth")

    def start(self):
        with open(os.path.join(self.directory, "passwd"), "w") as f:
            for user, password in self.users.items():
                f.write(f"{user}:{{PLAIN}}{password}\n")
        config = os.path.join(self.directory, "dovecot.conf")
        with open(config, "w") as f:
            f.write(CONFIG.format(dir=self.directory))
        self.process = subprocess.Popen(["dovecot", "-F", "-c", config],
                                        stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log()
                self.stop()
                raise RuntimeError(f"dovecot did not start:\n{log}")
            time.sleep(0.05)
        return self

    def log(self):
        return processes.read_log(os.path.join(self.directory, "dovecot.log"))

    def settings(self):
        """main.cf settings for a Postfix that authenticates here."""
        return {"smtpd_sasl_auth_enable": "yes",
                "smtpd_sasl_type": "dovecot",
                "smtpd_sasl_path": self.socket}

    def stop(self):
        processes.stop(self.process)
        tempdir.remove_dir(self.directory)
