"""Webhooks through a real Postfix and waypost-trackd.

A private Postfix relays to a test server that answers each recipient
its own way (harness/answering_server.py: accept; 550 5.1.1 user
unknown; 450 4.2.1 once, then accept). waypost-trackd follows Postfix's
maillog_file into a redis-server; waypost-hookd delivers from there to
two receivers (harness/webhook_receiver.py, each checking every
signature), one webhook per tenant: without a login the tenant is the
sender. Each receiver must get its tenant's events and only those:
accepted, delivered, the bounce with the remote reply and its class,
the deferral and the delivery after it, each id once, Postfix's own
bounce notification never. Waits are for events, never a fixed time.
"""
import base64
import os
import shutil
import subprocess

import pytest

from conftest import SOURCE_DIR, program
from harness.answering_server import MIXED_ANSWERS, AnsweringServer
from harness.smtp_clients import accepted, swaks
from harness.waiting import wait_until
from harness.waypost import Daemon
from harness.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"p" * 32).decode()


@pytest.fixture
def setup(postfix_factory, redis_server, workdir):
    server = AnsweringServer(MIXED_ANSWERS).start()
    postfix = postfix_factory(relay_port=server.port)
    rules = os.path.join(workdir, "bounce-classes.conf")
    shutil.copy(os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf"),
                rules)
    os.chmod(rules, 0o644)
    receivers = {name: WebhookReceiver(os.path.join(workdir, name),
                                       [SECRET]).start()
                 for name in ("app", "shop")}
    redis = f"[redis]\naddress = 127.0.0.1:{redis_server.port}\n"
    tracker = Daemon(program("track/waypost-trackd"), workdir,
                     f"[log]\nlevel = info\n{redis}"
                     f"[track]\nlog_file = {postfix.maillog}\n"
                     f"rules_file = {rules}\nuser = nobody\n"
                     f"relay_name = test\n", "trackd")
    hooks = (f"[log]\nlevel = info\n{redis}[hooks]\nuser = nobody\n"
             f"poll_interval = 50ms\n")
    for name, receiver in receivers.items():
        hooks += (f'[webhook "{name}"]\nurl = {receiver.url()}\n'
                  f"secret = {SECRET}\ntenants = {name}@example.com\n")
    hookd = Daemon(program("hook/waypost-hookd"), workdir, hooks, "hookd")
    hookd.start(wait=False)
    for name in receivers:
        wait_until(lambda name=name: any(
            g["name"] == f"waypost-hookd:{name}".encode() for g in
            _groups(redis_server.client, f"waypost:events:{name}@example.com")),
            20, f"{name}'s consumer group")
    tracker.start(wait=False)
    tracker.wait_for_log("records in Redis", or_exit=True)
    yield postfix, receivers, redis_server.client
    assert hookd.stop() == 0
    assert tracker.stop() == 0
    for receiver in receivers.values():
        receiver.stop()
    server.stop()


def _groups(client, stream):
    try:
        return client.xinfo_groups(stream)
    except Exception:
        return []


def queue_id_of(result):
    output = result.stdout.decode("utf-8", "replace")
    assert accepted(result), output
    return output.split("queued as ")[1].split()[0]


def test_each_tenant_gets_its_outcomes_and_only_them(setup):
    postfix, receivers, client = setup
    app_queue_id = queue_id_of(swaks(
        postfix.port, sender="app@example.com",
        to="ok@example.net,unknown@example.net,later@example.net"))
    shop_queue_id = queue_id_of(swaks(
        postfix.port, sender="shop@example.com", to="ok@example.net"))

    def outcomes(name):
        return {(e["recipient"], e["type"])
                for e in receivers[name].events()}

    def app_done():
        if ("later@example.net", "delivered") not in outcomes("app"):
            subprocess.run(["postqueue", "-c", postfix.config_directory,
                            "-f"], check=True, timeout=30)
            return False
        return True
    wait_until(app_done, 90, "the app's last outcome")
    wait_until(lambda: ("ok@example.net", "delivered") in outcomes("shop"),
               60, "the shop's delivery")
    app = receivers["app"].events()
    assert {e["queue_id"] for e in app} == {app_queue_id}
    assert outcomes("app") >= {(None, "accepted"),
                               ("ok@example.net", "delivered"),
                               ("unknown@example.net", "bounced"),
                               ("later@example.net", "deferred"),
                               ("later@example.net", "delivered")}
    bounce = [e for e in app if e["type"] == "bounced"][0]
    assert "550 5.1.1" in bounce["reply"]
    assert bounce["class"] == "invalid-recipient"
    assert bounce["tenant"] == "app@example.com"
    shop = receivers["shop"].events()
    assert {e["queue_id"] for e in shop} == {shop_queue_id}
    assert {e["tenant"] for e in shop} == {"shop@example.com"}
    for receiver in receivers.values():
        assert receiver.duplicates() == {}
        assert all(r.valid for r in receiver.requests())
