"""The Debian packages (issue 26), built, installed, removed and purged
on this machine, as an admin would with apt.

From the checkout's files (git ls-files: what a clean clone holds),
dpkg-buildpackage -us -uc -b builds every package; lintian must report no
error and no warning on any .deb nor on the .changes. Then, with apt-get
install ./*.deb:

- the waypost user and group exist, /etc/waypost/waypost.conf is root's,
  group waypost, 0640, a conffile; /etc/waypost/keys is waypost's, 0700;
- every daemon's -n accepts the installed configuration, and each unit is
  enabled (not started: this machine is not booted with systemd, so the
  postinst's start-if-valid does nothing);
- the version of configure.ac is every package's, every program's -V
  and every manual page's;
- remove keeps the edited configuration; purge removes it and every file
  of the packages, but the key directory holding a key, and the user
  (Debian's policy keeps system users).

It installs into the system, so it runs once per CI run (run-all.sh's
packages stage), never in make check, and holds a lock the whole time,
so two copies of the suite on one machine take turns. It purges what a
run before it left, and removes the user it made.
"""
import fcntl
import glob
import gzip
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess

import pytest

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIR = os.environ.get("WAYPOST_PACKAGE_DIR") or "/tmp/waypost-packages"
LOCK = "/run/lock/waypost-package-test.lock"
PACKAGES = ("waypost-common", "waypost-dkim", "waypost-headers",
            "waypost-policyd", "waypost-trackd", "waypost-hookd",
            "waypost-routed", "waypost-tools")
DAEMONS = ("waypost-dkim", "waypost-headers", "waypost-policyd",
           "waypost-trackd", "waypost-hookd", "waypost-routed")
APT = ["apt-get", "-y", "-q", "--no-install-recommends",
       "-o", "DPkg::Lock::Timeout=600"]
ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")


def run(*command, **options):
    options.setdefault("timeout", 1800)
    done = subprocess.run(command, capture_output=True, text=True,
                          env=ENV, **options)
    assert done.returncode == 0, (command, done.stdout[-3000:],
                                  done.stderr[-3000:])
    return done.stdout


def configure_version():
    with open(os.path.join(SOURCE, "configure.ac")) as f:
        return re.search(r"AC_INIT\(\[waypost\], \[([^]]+)\]",
                         f.read()).group(1)


def installed():
    done = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n",
         *PACKAGES], capture_output=True, text=True)
    return {line.split()[0]: line.split()[1]
            for line in done.stdout.splitlines() if len(line.split()) == 2
            and line.split()[1] != "not-installed"}


def purge_all():
    """Purge what is installed (or left configured) of the packages."""
    left = installed()
    if left:
        run(*APT, "purge", *left)


@pytest.fixture(scope="module")
def packages():
    """The .debs built from the checkout, the lock held; the user removed
    at the end if this run made it."""
    if os.geteuid() != 0:
        pytest.skip("needs root: it installs packages")
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    lock = open(LOCK, "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        purge_all()
        had_user = user_exists()
        source = os.path.join(DIR, "waypost")
        shutil.rmtree(DIR, ignore_errors=True)
        os.makedirs(source)
        files = run("git", "-C", SOURCE, "ls-files", "-z", "-co",
                    "--exclude-standard").split("\0")
        subprocess.run(["tar", "-C", SOURCE, "--null", "-T", "-", "-cf",
                        os.path.join(DIR, "source.tar")],
                       input="\0".join(f for f in files if f), text=True,
                       check=True)
        run("tar", "-C", source, "-xf", os.path.join(DIR, "source.tar"))
        run("dpkg-buildpackage", "-us", "-uc", "-b",
            f"-j{os.cpu_count()}", cwd=source)
        yield sorted(glob.glob(os.path.join(DIR, "*.deb")))
        purge_all()
        if not had_user and user_exists():
            run("deluser", "--quiet", "--system", "waypost")
    finally:
        lock.close()


def user_exists():
    try:
        pwd.getpwnam("waypost")
        return True
    except KeyError:
        return False


def test_lintian_reports_no_error_and_no_warning(packages):
    changes = glob.glob(os.path.join(DIR, "*.changes"))
    assert len(changes) == 1, changes
    names = {os.path.basename(p).split("_")[0] for p in packages}
    assert set(PACKAGES) <= names, names
    done = subprocess.run(["lintian", "--fail-on", "error,warning",
                           "--no-tag-display-limit", changes[0]],
                          capture_output=True, text=True, timeout=600)
    problems = [line for line in done.stdout.splitlines()
                if line[:2] in ("E:", "W:")]
    assert done.returncode == 0 and not problems, done.stdout


def test_apt_installs_them_with_the_user_and_the_permissions(packages):
    debs = [p for p in packages if "-dbgsym_" not in p]
    run(*APT, "install", *debs)
    assert set(installed()) == set(PACKAGES), installed()
    assert installed()["waypost-dkim"] == "installed"
    user = pwd.getpwnam("waypost")
    assert grp.getgrgid(user.pw_gid).gr_name == "waypost"
    assert user.pw_shell in ("/usr/sbin/nologin", "/bin/false")
    config = os.stat("/etc/waypost/waypost.conf")
    assert (config.st_uid, grp.getgrgid(config.st_gid).gr_name,
            stat.S_IMODE(config.st_mode)) == (0, "waypost", 0o640)
    keys = os.stat("/etc/waypost/keys")
    assert (pwd.getpwuid(keys.st_uid).pw_name,
            stat.S_IMODE(keys.st_mode)) == ("waypost", 0o700)
    conffiles = run("dpkg-query", "-W", "-f", "${Conffiles}\n",
                    "waypost-common")
    assert "/etc/waypost/waypost.conf " in conffiles, conffiles
    assert "/etc/waypost/bounce-classes.conf " in conffiles, conffiles


def test_every_daemon_accepts_the_installed_configuration(packages):
    for daemon in DAEMONS:
        path = f"/usr/sbin/{daemon}"
        assert os.access(path, os.X_OK), path
        run(path, "-n")
        # Enabled by dh_installsystemd, for multi-user.target.
        assert os.path.islink(f"/etc/systemd/system/multi-user.target.wants/"
                              f"{daemon}.service"), daemon


def test_one_version_everywhere(packages):
    version = configure_version()
    for package in PACKAGES:
        assert run("dpkg-query", "-W", "-f", "${Version}",
                   package) == version, package
    for program in (*(f"/usr/sbin/{d}" for d in DAEMONS),
                    "/usr/sbin/waypostctl"):
        done = subprocess.run([program, "-V"], capture_output=True,
                              text=True)
        assert f" {version}" in done.stdout + done.stderr, program
    pages = glob.glob("/usr/share/man/man*/waypost*.gz")
    assert len(pages) >= 12, pages
    for page in pages:
        with gzip.open(page, "rt") as f:
            title = next(line for line in f if line.startswith(".TH"))
        assert f'"Waypost {version}"' in title, (page, title)


def test_remove_keeps_the_edited_configuration_purge_keeps_only_keys(
        packages):
    with open("/etc/waypost/waypost.conf", "a") as f:
        f.write("# edited by the admin\n")
    with open("/etc/waypost/keys/s1.private", "w") as f:
        f.write("not a real key\n")
    files = set()
    for package in PACKAGES:
        files.update(run("dpkg-query", "-L", package).split("\n"))
    run(*APT, "remove", *PACKAGES)
    assert not os.path.exists("/usr/sbin/waypost-dkim")
    assert set(installed().values()) == {"config-files"}, installed()
    with open("/etc/waypost/waypost.conf") as f:
        assert "# edited by the admin" in f.read()
    purge_all()
    assert installed() == {}, installed()
    left = sorted(f for f in files if f and os.path.lexists(f)
                  and not os.path.isdir(f))
    assert left == [], left
    # The key and its directory stay; the configuration is gone.
    assert os.path.exists("/etc/waypost/keys/s1.private")
    assert not os.path.exists("/etc/waypost/waypost.conf")
    assert not glob.glob("/etc/systemd/system/*/waypost-*.service")
    assert user_exists()  # Debian's policy: system users stay
    os.remove("/etc/waypost/keys/s1.private")
    os.rmdir("/etc/waypost/keys")
    os.rmdir("/etc/waypost")
