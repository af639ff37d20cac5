"""Fixtures for Waypost's integration tests: real components on loopback.

    sink            an SMTP sink that keeps every message (aiosmtpd)
    postfix         a private Postfix relaying to the sink (needs root)
    postfix_factory the same with main.cf settings and master.cf lines
    redis_server    a private redis-server on a free port
    sentinels       three redis-servers (a master, two replicas) and three
                    sentinels watching them as "waypost", down-after 1 s
    dovecot         a private Dovecot auth service (alice@example.com,
                    password secret1) for Postfix's SMTP AUTH
    keys            a store of DKIM keys, and the python3-dkim verifier
    policyd         starts waypost-policyd on redis_server
    workdir         a temp dir (0755) removed after the test
    program(name)   path of a program built in this build tree

Every fixture stops what it started, whatever the test did.

Most tests need root: they start a private Postfix, or daemons that bind,
chown and switch to the user nobody. Run by another user, every test is
skipped but those of the modules in AS_ANY_USER, and of those the tests
marked needs_root are skipped too.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import dkim_keys, tempdir  # noqa: E402
from harness.dovecot import Dovecot  # noqa: E402
from harness.ports import free_port  # noqa: E402
from harness.postfix import PrivatePostfix  # noqa: E402
from harness.redis_server import RedisServer  # noqa: E402
from harness.sentinel import RedisSentinelSet  # noqa: E402
from harness.sink import Sink  # noqa: E402
from harness.waypost import PolicySetup  # noqa: E402

SOURCE_DIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("top_builddir") or SOURCE_DIR

AS_ANY_USER = {"test_dkim_corpus.py", "test_dkim_keygen.py",
               "test_harness_dkim.py", "test_harness_redis.py",
               "test_harness_sentinel.py", "test_harness_webhook.py"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "needs_root: skipped unless run as root, in a module "
                   "of AS_ANY_USER too")


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root: a private Postfix, or "
                                   "daemons that bind, chown and switch "
                                   "user")
    for item in items:
        if (item.path.name not in AS_ANY_USER
                or item.get_closest_marker("needs_root")):
            item.add_marker(skip)


def program(relative_path):
    """A program built by make in this build tree."""
    path = os.path.join(BUILD_DIR, relative_path)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run make check (top_builddir="
                    f"{BUILD_DIR})")
    return path


@pytest.fixture
def workdir():
    path = tempdir.make_dir("test")
    yield path
    tempdir.remove_dir(path)


@pytest.fixture
def sink():
    server = Sink().start()
    yield server
    server.stop()


@pytest.fixture
def postfix_factory(sink):
    instances = []

    def make(settings=None, master_extra="", relay_port=None,
             master_parameters=()):
        instance = PrivatePostfix(relay_port or sink.port, settings,
                                  master_extra, master_parameters)
        instances.append(instance)
        return instance.start()

    yield make
    for instance in instances:
        instance.stop()


@pytest.fixture
def postfix(postfix_factory):
    return postfix_factory()


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def sentinels():
    cluster = RedisSentinelSet().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def dovecot():
    server = Dovecot({"alice@example.com": "secret1"}).start()
    yield server
    server.stop()


@pytest.fixture
def keys():
    directory = tempdir.make_dir("keys")
    yield dkim_keys.KeyStore(directory)
    tempdir.remove_dir(directory)


@pytest.fixture
def policyd(workdir, redis_server):
    """start(limits, **options) starts a waypost-policyd in workdir on a
    free port, with these [limit "name"] sections ({name: body}) and the
    options of harness/waypost.py's PolicySetup.start(); it returns the
    PolicySetup. Unless redis_extra sets one, the Redis timeout is 2 s,
    which a busy machine does not reach: tests about timeouts set their
    own. Every one started is stopped after the test."""
    setups = []

    def start(limits=None, **options):
        redis_extra = options.get("redis_extra", "")
        if "timeout" not in redis_extra:
            options["redis_extra"] = redis_extra + "\ntimeout = 2s"
        setup = PolicySetup(program("policy/waypost-policyd"), workdir,
                            redis_server.address, free_port())
        setups.append(setup)
        setup.start(limits or {}, name=f"policy{len(setups) - 1}",
                    **options)
        return setup

    yield start
    for setup in setups:
        setup.stop()
