"""The metrics endpoint every daemon gets from lib/daemon.c and
lib/metrics_http.c, driven through waypost-testd: /metrics in Prometheus'
format (checked by promtool), /healthz, /readyz, methods and paths
refused, the allow-list, configuration errors, reloads counted."""
import http.client
import signal
import subprocess

import pytest

from conftest import program
from harness.metrics_scrape import check_with_promtool, get, sample
from harness.ports import free_port
from harness.testd import TESTD, Testd


@pytest.fixture
def served(workdir):
    port = free_port()
    daemon = Testd(program(TESTD), workdir,
                   extra=f"metrics = inet:{port}@127.0.0.1\n")
    daemon.port = port
    yield daemon
    daemon.stop()


def test_metrics_health_and_readiness(served):
    served.start()
    served.wait_for_log(f"serving metrics on inet:{served.port}@127.0.0.1")
    status, headers, body = get(served.port, "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    version = subprocess.run([program(TESTD), "-V"], capture_output=True,
                             text=True).stdout.split()[1]
    assert sample(body, 'waypost_build_info{daemon="waypost-testd",'
                        f'version="{version}"}}') == 1
    assert sample(body, 'waypost_config_reloads_total{result="ok"}') == 0
    assert sample(body, "process_resident_memory_bytes") > 0
    assert sample(body, "process_max_fds") > 0
    check_with_promtool(body)
    assert get(served.port, "/healthz")[::2] == (200, "ok\n")
    assert get(served.port, "/readyz")[::2] == (200, "ready\n")
    status, headers, _ = get(served.port, "/metrics", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert get(served.port, "/metrics", method="HEAD")[0] == 200
    assert get(served.port, "/secret")[0] == 404


def test_reloads_counted_by_result(served):
    served.start()
    served.signal(signal.SIGHUP)
    served.wait_for_log("reloaded")
    served.write_config(served.text("metrics = inet:1@127.0.0.1\n"
                                    "greting = typo\n"))
    served.signal(signal.SIGHUP)
    served.wait_for_log("failed: keeping the running configuration")
    _, _, body = get(served.port, "/metrics")
    assert sample(body, 'waypost_config_reloads_total{result="ok"}') == 1
    assert sample(body, 'waypost_config_reloads_total{result="error"}') == 1


def test_address_outside_the_allow_list_gets_nothing(workdir):
    port = free_port()
    daemon = Testd(program(TESTD), workdir,
                   extra=f"metrics = inet:{port}@127.0.0.1\n"
                         "metrics_allow = 192.0.2.0/24\n")
    try:
        daemon.start()
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            get(port, "/metrics")
        assert daemon.request("hello") == "hello"
    finally:
        daemon.stop()


@pytest.mark.parametrize("extra, error", [
    ("metrics = unix:/run/x.sock\n",
     "[testd] metrics: Prometheus scrapes over TCP: give inet:PORT@HOST"),
    ("metrics = inet:9100@192.0.2.1\n",
     "[testd] metrics: 192.0.2.1 is not a loopback address: set "
     "metrics_allow to the networks that may scrape it"),
    ("metrics = inet:9100@127.0.0.1\nmetrics_allow = 10.0.0.0/33\n",
     "metrics_allow"),
])
def test_bad_metrics_settings_refused(workdir, extra, error):
    daemon = Testd(program(TESTD), workdir, extra=extra)
    status, _, stderr = daemon.check()
    assert status == 1
    assert error in stderr


def test_non_loopback_with_allow_list_accepted(workdir):
    daemon = Testd(program(TESTD), workdir,
                   extra="metrics = inet:9100@192.0.2.1\n"
                         "metrics_allow = 192.0.2.0/24\n")
    status, stdout, stderr = daemon.check()
    assert status == 0, stderr
    assert "metrics_allow = 192.0.2.0/24" in stdout


def test_no_metrics_unless_configured(workdir):
    daemon = Testd(program(TESTD), workdir)
    try:
        daemon.start()
        assert "serving metrics" not in daemon.read_log()
        assert "metrics =" in daemon.check()[1]
    finally:
        daemon.stop()
