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
- the demo (contrib/demo/demo.py --installed) runs on the installed
  programs: among its stories, mail signed with RSA and Ed25519 keys made
  by the installed waypost-dkim-keygen, checked by python3-dkim;
- an upgrade to a second build (a later version, a changed default in
  waypost-routed, a changed example configuration) keeps the admin's
  edited configuration (the new example beside it as .dpkg-dist, as
  dpkg does when told to keep the old) and brings the new default;
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


UPGRADE = "+upgrade1"
NEW_DEFAULT = "4.7.0 no sending address has budget left (new default)"


def build(source, directory):
    """dpkg-buildpackage in source; the .debs it left in directory."""
    run("dpkg-buildpackage", "-us", "-uc", "-b", f"-j{os.cpu_count()}",
        cwd=source)
    return sorted(glob.glob(os.path.join(directory, "*.deb")))


def second_build(source):
    """The tree of the next version: configure.ac's and the changelog's
    version raised, a default of waypost-routed and the example
    configuration changed."""
    def edit(path, old, new):
        path = os.path.join(source, path)
        with open(path) as f:
            text = f.read()
        assert old in text, (path, old)
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))
    version = configure_version()
    edit("configure.ac", f"AC_INIT([waypost], [{version}]",
         f"AC_INIT([waypost], [{version}{UPGRADE}]")
    edit("route/route_config.c",
         '"4.7.0 no sending address has budget left today"',
         f'"{NEW_DEFAULT}"')
    edit("contrib/waypost.conf.in", "\n[route]\n",
         "\n# (the second build's example)\n[route]\n")
    with open(os.path.join(source, "debian", "changelog")) as f:
        old = f.read()
    with open(os.path.join(source, "debian", "changelog"), "w") as f:
        f.write(f"waypost ({version}{UPGRADE}) unstable; urgency=medium\n\n"
                f"  * The upgrade test's second build.\n\n"
                f" -- Waypost developers <waypost@example.org>  "
                f"Thu, 03 Dec 2026 12:00:00 +0000\n\n{old}")


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
        shutil.rmtree(DIR, ignore_errors=True)
        os.makedirs(DIR)
        files = run("git", "-C", SOURCE, "ls-files", "-z", "-co",
                    "--exclude-standard").split("\0")
        subprocess.run(["tar", "-C", SOURCE, "--null", "-T", "-", "-cf",
                        os.path.join(DIR, "source.tar")],
                       input="\0".join(f for f in files if f), text=True,
                       check=True)
        debs = {}
        for name in ("first", "second"):
            source = os.path.join(DIR, name, "waypost")
            os.makedirs(source)
            run("tar", "-C", source, "-xf", os.path.join(DIR, "source.tar"))
            if name == "second":
                second_build(source)
            debs[name] = build(source, os.path.dirname(source))
        yield debs
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
    changes = glob.glob(os.path.join(DIR, "first", "*.changes"))
    assert len(changes) == 1, changes
    names = {os.path.basename(p).split("_")[0] for p in packages["first"]}
    assert set(PACKAGES) <= names, names
    done = subprocess.run(["lintian", "--fail-on", "error,warning",
                           "--no-tag-display-limit", changes[0]],
                          capture_output=True, text=True, timeout=600)
    problems = [line for line in done.stdout.splitlines()
                if line[:2] in ("E:", "W:")]
    assert done.returncode == 0 and not problems, done.stdout


def test_apt_installs_them_with_the_user_and_the_permissions(packages):
    debs = [p for p in packages["first"] if "-dbgsym_" not in p]
    run(*APT, "install", *debs)
    assert set(installed()) == set(PACKAGES), installed()
    assert installed()["waypost-dkim"] == "installed"
    user = pwd.getpwnam("waypost")
    assert grp.getgrgid(user.pw_gid).gr_name == "waypost"
    assert user.pw_shell in ("/usr/sbin/nologin", "/bin/false")
    # In Postfix's group, to give it the sockets outside systemd too.
    assert "waypost" in grp.getgrnam("postfix").gr_mem
    # The sockets' directory, before any unit ran (tmpfiles.d).
    run_dir = os.stat("/run/waypost")
    assert pwd.getpwuid(run_dir.st_uid).pw_name == "waypost"
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


def test_the_demo_runs_on_the_installed_programs(packages):
    tmp = os.path.join(DIR, "demo-tmp")
    os.makedirs(tmp)
    done = subprocess.run(
        ["/usr/bin/python3", os.path.join(SOURCE, "contrib", "demo",
                                          "demo.py"), "--installed"],
        env=dict(os.environ, TMPDIR=tmp), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-5000:]
    for selector, algorithm in (("demo-rsa", "rsa-sha256"),
                                ("demo-ed", "ed25519-sha256")):
        assert (f"python3-dkim, key from DNS: d=app.example.com "
                f"s={selector} a={algorithm}: pass") in done.stdout
    assert "the installed programs (/usr/sbin, /usr/bin)" in done.stdout
    assert os.listdir(tmp) == []


def test_an_upgrade_keeps_the_edited_configuration_and_brings_defaults(
        packages):
    with open("/etc/waypost/waypost.conf", "a") as f:
        f.write("# edited by the admin\n")
    debs = [p for p in packages["second"] if "-dbgsym_" not in p]
    run(*APT, "-o", "Dpkg::Options::=--force-confdef",
        "-o", "Dpkg::Options::=--force-confold", "install", *debs)
    version = configure_version() + UPGRADE
    for package in PACKAGES:
        assert run("dpkg-query", "-W", "-f", "${Version}",
                   package) == version, package
    with open("/etc/waypost/waypost.conf") as f:
        assert "# edited by the admin" in f.read()
    with open("/etc/waypost/waypost.conf.dpkg-dist") as f:
        assert "# (the second build's example)" in f.read()
    config = os.stat("/etc/waypost/waypost.conf")
    assert stat.S_IMODE(config.st_mode) == 0o640
    assert f"retry_reason = {NEW_DEFAULT}\n" in run(
        "/usr/sbin/waypost-routed", "-n")
    assert f"waypost-routed {version}" in run("/usr/sbin/waypost-routed",
                                              "-V")


def test_remove_keeps_the_edited_configuration_purge_keeps_only_keys(
        packages):
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
    assert not os.path.exists("/run/waypost")
    assert user_exists()  # Debian's policy: system users stay
    os.remove("/etc/waypost/keys/s1.private")
    os.rmdir("/etc/waypost/keys")
    os.rmdir("/etc/waypost")
