"""make install and the systemd units, as a mail admin meets them.

make install (into a DESTDIR) puts the daemons in sbin, the man pages, the
units, waypostctl's bash completion, an example waypost.conf that every daemon accepts with -n (and
that a second install leaves alone, as it does bounce-classes.conf), and
a private key directory; make uninstall takes away neither an edited
configuration nor a key. The
units pass systemd-analyze verify with the hardening the README promises,
and a daemon run as a unit runs it (not root: the unit's user, group
postfix, its socket in the RuntimeDirectory) can be reached by Postfix.
"""
import grp
import os
import pwd
import re
import stat
import subprocess
import time

import pytest

from conftest import BUILD_DIR, program
from harness import tempdir

UNITS = ("waypost-dkim", "waypost-headers", "waypost-hookd",
         "waypost-policyd", "waypost-routed", "waypost-trackd")
# The group of each unit: postfix, to reach the sockets, but for
# waypost-trackd, which has none and reads the log through adm, and
# waypost-hookd, which has none and reads its secrets through waypost.
UNIT_GROUPS = {"waypost-trackd": "adm", "waypost-hookd": "waypost"}


def make(*arguments):
    """make in this build tree, outside the make check that runs us."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "-C", BUILD_DIR, *arguments], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)


@pytest.fixture
def destdir():
    path = tempdir.make_dir("install")
    yield path
    tempdir.remove_dir(path)


def configured():
    """{sbindir, sysconfdir, mandir, systemdunitdir, bashcompletiondir}
    as ./configure set them."""
    result = make("-s", "--no-print-directory", "print-install-dirs")
    assert result.returncode == 0, result.stdout
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def check(path, config):
    return subprocess.run([path, "-n", "-c", config], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)


def test_install_keeps_the_configuration_and_the_keys(destdir):
    result = make("install", f"DESTDIR={destdir}")
    assert result.returncode == 0, result.stdout
    dirs = configured()
    sbindir = destdir + dirs["sbindir"]
    etc = os.path.join(destdir + dirs["sysconfdir"], "waypost")
    for name in UNITS + ("waypost-dkim-keygen",):
        assert os.access(os.path.join(sbindir, name), os.X_OK), name
    mandir = destdir + dirs["mandir"]
    for page in ("man5/waypost.conf.5", "man8/waypost-dkim.8",
                 "man8/waypost-headers.8", "man8/waypost-policyd.8",
                 "man8/waypost-trackd.8", "man8/waypost-hookd.8",
                 "man8/waypost-routed.8", "man7/waypost-events.7"):
        assert os.path.exists(os.path.join(mandir, page)), page
    unitdir = destdir + dirs["systemdunitdir"]
    assert sorted(os.listdir(unitdir)) == [f"{unit}.service"
                                           for unit in UNITS]
    # waypostctl's completion, where bash-completion loads it, reading the
    # installed configuration's limits.
    completion = os.path.join(destdir + dirs["bashcompletiondir"],
                              "waypostctl")
    with open(completion) as f:
        assert f"config={dirs['sysconfdir']}/waypost/waypost.conf\n" in \
            f.read()
    config = os.path.join(etc, "waypost.conf")
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o640
    keys = os.path.join(etc, "keys")
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    rules = os.path.join(etc, "bounce-classes.conf")
    assert stat.S_IMODE(os.stat(rules).st_mode) == 0o644

    # Every daemon accepts the example; waypost-dkim only once its tables
    # exist (it must not run signing nothing by accident). /run/waypost
    # is the units' RuntimeDirectory: here, a directory of the test. Each
    # daemon's user is waypost, as in the units (so that root's -n judges
    # the key files as the daemon will); nobody stands for it here.
    runtime = os.path.join(destdir, "run")
    os.mkdir(runtime)
    with open(config) as f:
        text = f.read()
    assert text.count("\nuser = waypost\n") == 6
    text = text.replace(dirs["sysconfdir"] + "/waypost/", etc + "/").replace(
        "/run/waypost/", runtime + "/").replace(
        "\nuser = waypost\n", "\nuser = nobody\n")
    with open(config, "w") as f:
        f.write(text)
    result = check(os.path.join(sbindir, "waypost-dkim"), config)
    assert result.returncode != 0 and "KeyTable" in result.stdout, \
        result.stdout
    for table in ("KeyTable", "SigningTable"):
        open(os.path.join(etc, table), "w").close()
    for name in UNITS:
        result = check(os.path.join(sbindir, name), config)
        assert result.returncode == 0, result.stdout

    # An edited configuration and a key survive install and uninstall.
    with open(config, "a") as f:
        f.write("# edited by the admin\n")
    with open(os.path.join(keys, "2026a.pem"), "w") as f:
        f.write("a key\n")
    result = make("install", f"DESTDIR={destdir}")
    assert result.returncode == 0, result.stdout
    assert f"kept {config}" in result.stdout
    assert f"kept {rules}" in result.stdout
    result = make("uninstall", f"DESTDIR={destdir}")
    assert result.returncode == 0, result.stdout
    assert f"kept {config} (edited)" in result.stdout
    assert f"kept {keys} (not empty)" in result.stdout
    assert "Error" not in result.stdout, result.stdout
    with open(config) as f:
        assert f.read().endswith("# edited by the admin\n")
    assert os.path.exists(os.path.join(keys, "2026a.pem"))
    assert not os.path.exists(rules), "the shipped rules, unedited"
    assert not os.path.exists(os.path.join(sbindir, "waypost-dkim"))
    assert not os.path.exists(completion)


def unit_text(name, sbindir):
    """The unit as built, its programs those of this build tree."""
    with open(os.path.join(BUILD_DIR, "contrib", "systemd",
                           f"{name}.service")) as f:
        text = f.read()
    return re.sub(r"=\S+/(waypost-\w+) ", rf"={sbindir}/\1 ", text)


def settings(text):
    return dict(line.split("=", 1) for line in text.splitlines()
                if "=" in line and not line.startswith("#"))


def test_units_pass_systemd_analyze_verify(workdir):
    sbindir = os.path.join(workdir, "sbin")
    os.mkdir(sbindir)
    for path in ("milters/dkim/waypost-dkim",
                 "milters/headers/waypost-headers", "policy/waypost-policyd",
                 "track/waypost-trackd", "hook/waypost-hookd",
                 "route/waypost-routed"):
        os.symlink(program(path), os.path.join(sbindir,
                                               os.path.basename(path)))
    for name in UNITS:
        path = os.path.join(workdir, f"{name}.service")
        text = unit_text(name, sbindir)
        with open(path, "w") as f:
            f.write(text)
        result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                 path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                timeout=60)
        assert result.returncode == 0 and result.stderr == "", \
            result.stderr
        unit = settings(text)
        assert unit["ExecStart"] == f"{sbindir}/{name} -f"
        assert unit["ExecCondition"] == f"{sbindir}/{name} -n"
        assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"
        for key, value in (("Type", "simple"), ("User", "waypost"),
                           ("Group", UNIT_GROUPS.get(name, "postfix")),
                           ("SupplementaryGroups", "waypost"),
                           ("RuntimeDirectory", "waypost"),
                           ("NoNewPrivileges", "yes"),
                           ("ProtectSystem", "strict"),
                           ("ProtectHome", "yes"), ("PrivateTmp", "yes")):
            assert unit.get(key) == value, (name, key)


def as_user(user, group, groups=()):
    """setpriv arguments: run as user and group, with groups and no
    other, as a unit's User=, Group= and SupplementaryGroups= do (the
    user is in no group of /etc/group here)."""
    return ["setpriv", f"--reuid={user}", f"--regid={group}",
            f"--groups={','.join((group, *groups))}"]


# Stand-ins for what the test machine lacks: the user waypost and its
# group, which owns the configuration.
STAND_INS = {"waypost": "nobody"}
GROUP_STAND_INS = {"waypost": "nogroup"}


def test_a_daemon_run_as_its_unit_runs_it_serves_postfix(workdir):
    # The unit's credentials, nobody and nogroup standing for waypost.
    unit = settings(unit_text("waypost-headers", "/usr/sbin"))
    user = STAND_INS[unit["User"]]
    unit_user = as_user(user, unit["Group"], [
        GROUP_STAND_INS[group]
        for group in unit.get("SupplementaryGroups", "").split()])
    runtime = os.path.join(workdir, "run")
    os.mkdir(runtime, 0o750)
    os.chown(runtime, pwd.getpwnam(user).pw_uid,
             pwd.getpwnam("postfix").pw_gid)
    # The configuration as make install and the README leave it.
    config = os.path.join(workdir, "waypost.conf")
    sock = os.path.join(runtime, "headers.sock")
    with open(config, "w") as f:
        f.write(f"[headers]\nsocket = unix:{sock}\nsocket_group = postfix\n"
                f"message_id_domain = relay.example\n")
    os.chown(config, 0, grp.getgrnam(GROUP_STAND_INS["waypost"]).gr_gid)
    os.chmod(config, 0o640)
    headers = program("milters/headers/waypost-headers")
    result = subprocess.run([*unit_user, headers, "-n", "-c", config],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout
    log = open(os.path.join(workdir, "headers.log"), "w")
    daemon = subprocess.Popen([*unit_user, headers, "-f", "-c", config],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(400):
            if os.path.exists(sock) or daemon.poll() is not None:
                break
            time.sleep(0.05)
        assert os.path.exists(sock), open(log.name).read()
        info = os.stat(sock)
        assert info.st_uid == pwd.getpwnam("nobody").pw_uid
        # Postfix's processes run as postfix: they get in.
        probe = ("import socket,sys; s=socket.socket(socket.AF_UNIX); "
                 "s.connect(sys.argv[1]); print('connected')")
        result = subprocess.run(
            [*as_user("postfix", "postfix"), "/usr/bin/python3", "-c", probe,
             sock], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=30)
        assert result.stdout.strip() == "connected", result.stdout
        # Another unprivileged user does not.
        result = subprocess.run(
            [*as_user("daemon", "daemon"), "/usr/bin/python3", "-c", probe,
             sock], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=30)
        assert "connected" not in result.stdout
        assert "Permission denied" in result.stdout
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        log.close()
    assert not os.path.exists(sock)
