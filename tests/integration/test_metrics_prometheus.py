"""A real Prometheus (Debian's) scrapes every daemon of a whole relay
while mail goes through Postfix, with the alert rules of
contrib/monitoring loaded; the test asks Prometheus' HTTP API and checks
that the counters moved by exactly what the run did, that the rules
load and evaluate, and that every metric the rules and the dashboard
use is scraped."""
import json
import os
import re
import shutil
import subprocess
import uuid

import pytest

from conftest import BUILD_DIR, SOURCE_DIR, program
from harness.ports import free_port
from harness.prometheus import Prometheus
from harness.relay import WholeRelay
from harness.smtp_clients import accepted, swaks
from harness.waiting import wait_until
from harness.waypost import Daemon
from harness.webhook_receiver import WebhookReceiver
from test_hook import SECRET

MONITORING = os.path.join(SOURCE_DIR, "contrib", "monitoring")
RULES = os.path.join(MONITORING, "waypost-alerts.yml")
DASHBOARD = os.path.join(MONITORING, "waypost-dashboard.json")
SENDER = "billing@example.com"
SENT, OVER = 10, 3  # accepted within the limit, then refused by it
NAME = re.compile(r"\b((?:waypost|process)_[a-z_]+)\b")


def message(token):
    """As a legacy application writes it: no Date, no Message-ID, an
    X-Mailer that the header milter removes."""
    return (f"From: Billing <{SENDER}>\r\nTo: customer@example.net\r\n"
            f"Subject: invoice {token}\r\nX-Mailer: LegacyERP 4.2\r\n\r\n"
            f"invoice {token}\r\n").encode()


def used_names():
    """Every metric name the alert rules and the dashboard ask for."""
    with open(RULES) as f:
        names = set(NAME.findall(f.read()))
    with open(DASHBOARD) as f:
        for panel in json.load(f)["panels"]:
            for target in panel.get("targets", []):
                names.update(NAME.findall(target["expr"]))
    return names


def test_the_rules_and_the_example_configuration_check():
    for arguments in (["check", "rules", RULES],
                      ["check", "config",
                       os.path.join(MONITORING, "prometheus.yml")]):
        result = subprocess.run(["promtool", *arguments], cwd=MONITORING,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
    assert len(used_names()) >= 20


@pytest.fixture
def observed(sink, redis_server, workdir):
    """A whole relay (headers, dkim, policyd, Postfix) with waypost-trackd
    on its log and waypost-hookd posting to a receiver, every daemon
    serving metrics, and a Prometheus scraping them each second."""
    started = []
    relay = WholeRelay(BUILD_DIR, "smarthost", sink, redis_server,
                       limits={"hourly": "subject = sender\nwindow = 1h\n"
                                         f"max = {SENT}"},
                       metrics=True)
    started.append(relay)
    relay.start()
    ports = {f"waypost-{name}": port
             for name, port in relay.metrics_ports.items()}
    ports["waypost-policyd"] = ports.pop("waypost-policy")
    rules = os.path.join(workdir, "bounce-classes.conf")
    shutil.copy(os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf"),
                rules)
    os.chmod(rules, 0o644)
    ports["waypost-trackd"] = free_port()
    trackd = Daemon(program("track/waypost-trackd"), workdir,
                    f"[redis]\naddress = {redis_server.address}\n"
                    f"[track]\nlog_file = {relay.postfix.maillog}\n"
                    f"rules_file = {rules}\nuser = nobody\n"
                    f"metrics = inet:{ports['waypost-trackd']}@127.0.0.1\n",
                    "trackd")
    started.append(trackd)
    trackd.start(wait=False)
    trackd.wait_for_log("starting: no socket", or_exit=True)
    receiver = WebhookReceiver(os.path.join(workdir, "receiver"), [SECRET])
    receiver.__enter__()
    ports["waypost-hookd"] = free_port()
    hookd = Daemon(program("hook/waypost-hookd"), workdir,
                   f"[redis]\naddress = {redis_server.address}\n"
                   f"[hooks]\nuser = nobody\nconsumer = test\n"
                   f"poll_interval = 50ms\n"
                   f"metrics = inet:{ports['waypost-hookd']}@127.0.0.1\n"
                   f'[webhook "app"]\nurl = {receiver.url()}\n'
                   f"secret = {SECRET}\n", "hookd")
    started.append(hookd)
    hookd.start(wait=False)
    hookd.wait_for_log("starting: no socket", or_exit=True)
    prometheus = Prometheus(ports, rule_files=[RULES]).start()
    started.append(prometheus)
    relay.receiver = receiver
    relay.prometheus = prometheus
    relay.jobs = ports
    try:
        yield relay
    finally:
        receiver.__exit__(None, None, None)
        for thing in reversed(started):
            thing.stop()


def wait_for_value(prometheus, expression, expected, timeout=60):
    wait_until(lambda: prometheus.value(expression) == expected, timeout,
               f"{expression} == {expected} (last: "
               f"{prometheus.query(expression)})")


def test_prometheus_sees_what_the_run_did(observed):
    prometheus = observed.prometheus
    # Every job is up before any mail: the counters start at 0 in it.
    wait_until(lambda: prometheus.value(
        'count(up{job=~"waypost.*"} == 1)') == len(observed.jobs), 60,
        "every daemon scraped")
    results = [swaks(observed.postfix.port, sender=SENDER,
                     to="customer@example.net",
                     data=message(uuid.uuid4().hex))
               for _ in range(SENT + OVER)]
    assert [accepted(r) for r in results] == [True] * SENT + [False] * OVER
    observed.sink.wait_for(SENT, timeout=60)

    wait_for_value(prometheus, "sum(waypost_dkim_signatures_total)",
                   2 * SENT)
    for algorithm in ("rsa-sha256", "ed25519-sha256"):
        wait_for_value(prometheus,
                       f'sum(waypost_dkim_signatures_total{{domain='
                       f'"example.com",algorithm="{algorithm}"}})', SENT)
    wait_for_value(prometheus, 'sum(waypost_policy_refusals_total{'
                   'check="limit",limit="hourly"})', OVER)
    wait_for_value(prometheus, "sum(waypost_policy_refusals_total)", OVER)
    wait_for_value(prometheus, 'sum(waypost_track_outcomes_total{'
                   'status="sent"})', SENT)
    wait_for_value(prometheus, "sum(waypost_policy_fail_mode_answers_total)",
                   0)
    # The header milter repaired each message: its Date, its Message-ID,
    # its X-Mailer (each daemon is scraped at its own moment: waited for).
    def repaired():
        repairs = prometheus.query(
            "sum by (rule) (waypost_headers_repairs_total) > 0")
        return len(repairs) >= 2 and all(v == SENT
                                         for v in repairs.values())
    wait_until(repaired, 60, "each repair rule at 10: " + str(
        prometheus.query("sum by (rule) (waypost_headers_repairs_total)")))
    # The webhook got an event per accepted message and per delivery.
    events = 2 * SENT
    observed.receiver.wait_for_events(events, timeout=60)
    wait_for_value(prometheus, 'sum(waypost_hook_events_total{'
                   'result="delivered"})', events)
    wait_for_value(prometheus, 'sum(waypost_redis_up)', 3)

    # The alert rules loaded and evaluate; none fires on a healthy relay.
    def evaluated():
        groups = prometheus.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        return (len(rules) >= 9 and all(r["health"] == "ok" for r in rules)
                and all(r.get("lastEvaluation", "").startswith("2")
                        for r in rules))
    wait_until(evaluated, 30, "every rule evaluated")
    assert prometheus.api("alerts")["alerts"] == []
    # Every metric the rules and the dashboard use is scraped.
    scraped = set(prometheus.api("label/__name__/values"))
    missing = sorted(used_names() - scraped)
    assert missing == [], missing
