"""The README's demo keeps working: demo.py runs every story (mail relayed
and DKIM-signed, signatures checked against keys in a real DNS server; a
legacy message normalized; a stranger refused; a user sending as someone
else refused, her own address granted with waypostctl; the message over
a quota deferred, the quota set and shown with waypostctl; a bounce's
event from waypost-trackd, its webhook from waypost-hookd with the
signature checked, the suppression shown by waypostctl, and the next
message to that address refused at RCPT as suppressed; two new sending
addresses warmed up at Gmail by waypost-routed, 2 of 6 messages waiting,
the budgets shown by waypostctl) and stops everything it started: its
temp dir (TMPDIR, one of this test's own) is empty after."""
import os
import re
import subprocess
import sys

import pytest

from conftest import SOURCE_DIR
from harness import tempdir


@pytest.fixture
def demo_tmpdir():
    path = tempdir.make_dir("demo")
    yield path
    tempdir.remove_dir(path)


def test_demo_succeeds_and_cleans_up(demo_tmpdir):
    result = subprocess.run(
        [sys.executable, os.path.join(SOURCE_DIR, "contrib", "demo",
                                      "demo.py")],
        env=dict(os.environ, TMPDIR=demo_tmpdir),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=240)
    assert result.returncode == 0, result.stdout
    assert "body byte-identical to what was sent: yes" in result.stdout
    assert "status=sent" in result.stdout
    for selector, algorithm in (("demo-rsa", "rsa-sha256"),
                                ("demo-ed", "ed25519-sha256")):
        assert (f"python3-dkim, key from DNS: d=app.example.com "
                f"s={selector} a={algorithm}: pass") in result.stdout
        assert f"{selector}._domainkey.app.example.com matches the " \
            "private key" in result.stdout
    out = result.stdout
    legacy = out.split("arrives normalized")[1].split("\n==")[0]
    sent, left = legacy.split("as it leaves the relay")
    left, says = left.split("waypost-headers says:")
    assert "| X-Mailer: LegacyERP" in sent and "| Message-ID" not in sent
    assert "| Message-ID: <" in left and "X-Mailer" not in left
    assert "| Date: Mon, 23 Nov 2026 10:00:00 +0100" in left
    assert ": normalized: " in says and "added Message-ID" in says
    stranger = out.split("cannot use the relay")[1].split("\n==")[0]
    assert "554 5.7.1" in stranger and "Relay access denied" in stranger
    spoofing = out.split("may send only as herself")[1].split("\n==")[0]
    assert "after STARTTLS and AUTH: accepted" in spoofing
    assert "arrived signed, python3-dkim: pass" in spoofing
    assert ("Sender address <ceo@app.example.com> not owned by user "
            "alice@app.example.com") in spoofing
    quota = out.split("3 messages an hour")[1].split("\n==")[0]
    assert [line.split(": ", 1)[1].startswith("accepted") for line in
            quota.splitlines() if line.startswith("   message ")] == \
        [True, True, True, False]
    assert "4.7.1" in quota
    # The plan is set, and shown, by the real waypostctl.
    assert "$ waypostctl quota set newsletter@app.example.com hourly 3" \
        in quota and "newsletter@app.example.com: hourly" in quota, quota
    assert "$ waypostctl quota show newsletter@app.example.com" in quota \
        and "3 (override; configured 100)" in quota, quota
    assert "$ waypostctl senders grant alice@app.example.com " \
        "alice@app.example.com" in spoofing
    assert "redis-cli" not in out.split("is suppressed")[0]
    bounce = out.split("is suppressed")[1].split("\n==")[0]
    assert '"type": "bounced"' in bounce and \
        '"class": "invalid-recipient"' in bounce, bounce
    assert "waypostctl events follow --tenant billing@app.example.com" \
        in bounce, bounce
    assert ("$ waypostctl suppression why nobody@customers.example.org "
            "--tenant billing@app.example.com") in bounce, bounce
    assert re.search(r"\| nobody@customers\.example\.org suppressed for "
                     r"tenant billing@app\.example\.com since \d{4}-.*: "
                     r"bounced: host", bounce), bounce
    assert "waypost-hookd POSTed it to the tenant's webhook" in bounce and \
        "-> signature checked, answered 200" in bounce, bounce
    assert "550 5.1.1 <nobody@customers.example.org>: Recipient address " \
        "rejected: recipient suppressed since" in bounce, bounce
    assert "type suppressed, queue_id NOQUEUE" in bounce, bounce
    warmup = out.split("warm up at Gmail")[1].split("\n==")[0]
    arrived = re.findall(r"reader\d@gmail\.com arrived from "
                         r"(127\.0\.0\.[23])", warmup)
    assert sorted(arrived) == ["127.0.0.2"] * 2 + ["127.0.0.3"] * 2, warmup
    assert warmup.count("waits in the queue: no sending address has "
                        "budget left today") == 2, warmup
    assert "$ waypostctl source show news --provider gmail" in warmup
    assert result.stdout.rstrip().endswith("Demo succeeded.")
    assert f"files in {demo_tmpdir}/waypost-postfix-" in result.stdout
    left = os.listdir(demo_tmpdir)
    assert left == [], f"the demo left {left} behind"
