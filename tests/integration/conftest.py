"""Fixtures for Waypost's integration tests: real components on loopback.

    sink            an SMTP sink that keeps every message (aiosmtpd)
    postfix         a private Postfix relaying to the sink (needs root)
    postfix_factory the same with main.cf settings and master.cf lines
    redis_server    a private redis-server on a free port
    dovecot         a private Dovecot auth service (alice@example.com,
                    password secret1) for Postfix's SMTP AUTH
    keys            a store of DKIM keys, and the python3-dkim verifier
    workdir         a temp dir (0755) removed after the test
    program(name)   path of a program built in this build tree

Every fixture stops what it started, whatever the test did.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import dkim_keys, tempdir  # noqa: E402
from harness.dovecot import Dovecot  # noqa: E402
from harness.postfix import PrivatePostfix  # noqa: E402
from harness.redis_server import RedisServer  # noqa: E402
from harness.sink import Sink  # noqa: E402

SOURCE_DIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("top_builddir") or SOURCE_DIR


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
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root")
    instances = []

    def make(settings=None, master_extra="", relay_port=None):
        instance = PrivatePostfix(relay_port or sink.port, settings,
                                  master_extra)
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
def dovecot():
    if os.geteuid() != 0:
        pytest.skip("dovecot's auth service needs root")
    server = Dovecot({"alice@example.com": "secret1"}).start()
    yield server
    server.stop()


@pytest.fixture
def keys():
    directory = tempdir.make_dir("keys")
    yield dkim_keys.KeyStore(directory)
    tempdir.remove_dir(directory)
