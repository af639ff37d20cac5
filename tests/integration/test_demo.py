"""The README's demo keeps working: demo.py runs the whole story (mail
relayed and DKIM-signed, signatures checked against keys in a real DNS
server) and stops everything it started."""
import os
import subprocess
import sys

import pytest

from conftest import SOURCE_DIR

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the demo starts a private Postfix")


def test_demo_succeeds_and_cleans_up():
    before = set(os.listdir("/tmp"))
    result = subprocess.run(
        [sys.executable, os.path.join(SOURCE_DIR, "contrib", "demo",
                                      "demo.py")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=120)
    assert result.returncode == 0, result.stdout
    assert "body byte-identical to what was sent: yes" in result.stdout
    assert "status=sent" in result.stdout
    for selector, algorithm in (("demo-rsa", "rsa-sha256"),
                                ("demo-ed", "ed25519-sha256")):
        assert (f"python3-dkim, key from DNS: d=app.example.com "
                f"s={selector} a={algorithm}: pass") in result.stdout
        assert f"{selector}._domainkey.app.example.com matches the " \
            "private key" in result.stdout
    assert "arrived with 0 DKIM-Signature headers" in result.stdout
    assert result.stdout.rstrip().endswith("Demo succeeded.")
    left = [name for name in set(os.listdir("/tmp")) - before
            if name.startswith(("waypost-postfix-", "waypost-redis-",
                                "waypost-dkim-"))]
    assert left == [], f"the demo left {left} behind"
