"""The life cycle every daemon gets from lib/daemon.c, driven for real
through waypost-testd: -n, bind with mode and group, pidfile, switch to the
configured user, reload on SIGHUP, graceful and bounded stop on SIGTERM."""
import grp
import os
import pwd
import signal
import stat
import subprocess
import time

import pytest

from conftest import program
from harness.ports import free_port
from harness.testd import TESTD, Testd


@pytest.fixture
def testd(workdir):
    daemon = Testd(program(TESTD), workdir)
    yield daemon
    daemon.stop()


def run_testd(*arguments):
    return subprocess.run([program(TESTD), *arguments], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=30)


def test_check_prints_effective_settings(testd):
    result = run_testd("-n", "-c", testd.config)
    assert result.returncode == 0, result.stderr
    assert f"# waypost-testd: {testd.config} is valid" in result.stdout
    assert f"[testd]\nsocket = unix:{testd.socket_path}\n" in result.stdout
    assert "stop_timeout = 10s\n" in result.stdout
    assert "[log]\nlevel = info\nfacility = mail\n" in result.stdout
    assert not os.path.exists(testd.socket_path), "-n must not bind"


def test_check_names_file_line_and_key(testd):
    testd.configure(extra="greting = typo\n")
    result = run_testd("-n", "-c", testd.config)
    assert result.returncode == 1
    assert (f"waypost-testd: {testd.config}:8: unknown key \"greting\" in "
            f"[testd] (did you mean \"greeting\"?)") in result.stderr
    assert "configuration is not valid" in result.stderr


def test_check_fails_on_missing_socket_directory(testd):
    testd.socket_spec = "unix:/nonexistent/dir/testd.sock"
    testd.configure()
    result = run_testd("-n", "-c", testd.config)
    assert result.returncode == 1
    assert "socket: directory /nonexistent/dir does not exist" in result.stderr


def test_command_line_errors_and_help():
    assert run_testd("-V").stdout.startswith("waypost-testd ")
    assert "usage: waypost-testd" in run_testd("-h").stdout
    result = run_testd("-x")
    assert result.returncode == 1
    assert "unknown option -x" in result.stderr
    assert "usage:" in result.stderr
    result = run_testd("-n", "-c", "/nonexistent.conf")
    assert result.returncode == 1
    assert "/nonexistent.conf: cannot open" in result.stderr


def test_socket_pidfile_and_user(testd):
    testd.start()
    info = os.stat(testd.socket_path)
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o660
    assert info.st_gid == grp.getgrnam("nogroup").gr_gid
    with open(testd.pidfile) as f:
        assert int(f.read()) == testd.process.pid
    nobody = pwd.getpwnam("nobody")
    assert testd.request("whoami") == f"uid={nobody.pw_uid} " \
                                      f"gid={nobody.pw_gid}"
    assert testd.request("hello") == "hello"
    testd.wait_for_log(f"starting: listening on unix:{testd.socket_path}")


def test_reload_applies_a_good_file_and_keeps_on_a_bad_one(testd):
    testd.start()
    testd.configure(greeting="reloaded")
    testd.signal(signal.SIGHUP)
    testd.wait_for_log(f"reloaded {testd.config}")
    assert testd.request("hello") == "reloaded"
    testd.configure(greeting="broken", extra="retries = many\n")
    testd.signal(signal.SIGHUP)
    testd.wait_for_log("keeping the running configuration")
    assert "retries: bad value \"many\"" in testd.read_log()
    assert testd.request("hello") == "reloaded"


def test_reload_of_unreadable_file_keeps_running(testd):
    testd.start()
    os.chmod(testd.config, 0o600)
    testd.signal(signal.SIGHUP)
    testd.wait_for_log("keeping the running configuration")
    assert "cannot open: Permission denied" in testd.read_log()
    assert testd.request("hello") == "hello"


def test_warns_when_the_user_cannot_read_the_file(testd):
    os.chmod(testd.config, 0o600)
    testd.start()
    testd.wait_for_log("warning: user nobody cannot read "
                       f"{testd.config}: SIGHUP will not reload it")


def test_sigterm_finishes_work_in_flight(testd):
    testd.start()
    client = testd.connect()
    client.sendall(b"work 1500\n")
    testd.wait_for_log("work of 1500 ms started")
    testd.signal(signal.SIGTERM)
    assert client.makefile().readline().strip() == "done"
    client.close()
    assert testd.process.wait(timeout=15) == 0
    log = testd.read_log()
    assert "stopping on signal 15: 1 requests in flight" in log
    assert "stopped" in log
    assert not os.path.exists(testd.pidfile)
    assert not os.path.exists(testd.socket_path)


def test_stop_timeout_bounds_the_wait(testd):
    testd.configure(extra="stop_timeout = 500ms\n")
    testd.start()
    client = testd.connect()
    client.sendall(b"work 30000\n")
    testd.wait_for_log("work of 30000 ms started")
    testd.signal(signal.SIGINT)
    assert testd.process.wait(timeout=15) == 0
    assert "stop timeout: abandoning 1 requests in flight" in testd.read_log()
    assert client.makefile().readline() == ""
    client.close()


def test_refuses_root_without_user(testd):
    with open(testd.config, "w") as f:
        f.write(f"[testd]\nsocket = unix:{testd.socket_path}\n")
    result = run_testd("-f", "-c", testd.config)
    assert result.returncode == 1
    assert "refusing to run as root: set user in [testd]" in result.stderr
    assert not os.path.exists(testd.socket_path)


def test_second_instance_is_refused(testd, workdir):
    testd.start()
    other = os.path.join(workdir, "other.conf")
    with open(other, "w") as f:
        f.write(f"[testd]\nsocket = unix:{workdir}/other.sock\n"
                f"user = nobody\npidfile = {testd.pidfile}\n")
    result = run_testd("-f", "-c", other)
    assert result.returncode == 1
    assert f"already running as PID {testd.process.pid}" in result.stderr
    assert testd.request("hello") == "hello"


def test_inet_socket(workdir):
    port = free_port()
    daemon = Testd(program(TESTD), workdir,
                   socket_spec=f"inet:{port}@127.0.0.1")
    try:
        daemon.start()
        assert daemon.request("hello") == "hello"
    finally:
        daemon.stop()


def test_background_mode_detaches(testd):
    result = run_testd("-c", testd.config)
    assert result.returncode == 0
    # The daemon creates the file, then writes its PID: wait for the PID.
    deadline = time.monotonic() + 10
    text = ""
    while not text.strip() and time.monotonic() < deadline:
        try:
            with open(testd.pidfile) as f:
                text = f.read()
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    pid = int(text)
    try:
        assert testd.request("hello") == "hello"
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        assert int(fields[3]) == pid, "the daemon leads its own session"
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not running(pid)


def running(pid):
    """Alive and not a zombie (the detached daemon's parent is init)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
