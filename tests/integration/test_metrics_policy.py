"""waypost-policyd's metrics: decisions by stage and action, refusals by
check and limit, fail-mode answers, Redis commands and readiness, read
from its /metrics while a real Redis answers (or not)."""
import signal

from harness.metrics_scrape import get, scrape
from harness.policy_client import PolicyClient, encode, request
from harness.ports import free_port


def started(policyd, **options):
    port = free_port()
    setup = policyd({"hourly": "subject = sasl_username\nwindow = 1h\n"
                               "max = 2"},
                    policy_extra=f"metrics = inet:{port}@127.0.0.1\n"
                                 "check_cache_time = 0\n",
                    **options)
    setup.metrics_port = port
    return setup


def test_decisions_and_refusals_counted(policyd):
    setup = started(policyd)
    before = scrape(setup.metrics_port)
    assert before['waypost_policy_decisions_total{stage="end_of_message",'
                  'action="dunno"}'] == 0
    c = PolicyClient(setup.port)
    for _ in range(3):  # two charged, the third over the limit
        c.send_raw(encode(request()))
        c.answer()
    assert c.ask(protocol_state="MAIL", sasl_username="") == "DUNNO"
    after = scrape(setup.metrics_port)
    assert after['waypost_policy_decisions_total{stage="end_of_message",'
                 'action="dunno"}'] == 2
    assert after['waypost_policy_decisions_total{stage="end_of_message",'
                 'action="defer_if_permit"}'] == 1
    assert after['waypost_policy_decisions_total{stage="mail",'
                 'action="dunno"}'] == 1
    assert after['waypost_policy_refusals_total{check="limit",'
                 'limit="hourly"}'] == 1
    assert after['waypost_policy_decision_duration_seconds_count'
                 '{stage="end_of_message"}'] == 3
    # Each request asked Redis once: the MAIL request for the sender's
    # suspension (check_suspension is on by default).
    assert after['waypost_redis_commands_total{result="ok"}'] == 4
    assert after["waypost_redis_command_duration_seconds_count"] == 4
    assert after["waypost_redis_up"] == 1
    assert after["waypost_policy_connections_total"] == 1
    assert after["waypost_policy_connections_open"] == 1
    assert after['waypost_policy_fail_mode_answers_total{mode="closed"}'] \
        == 0
    assert get(setup.metrics_port, "/readyz")[::2] == (200, "ready\n")


def test_fail_mode_answers_and_readiness_without_redis(policyd,
                                                        redis_server):
    setup = started(policyd, redis_extra="timeout = 500ms")
    c = PolicyClient(setup.port)
    redis_server.process.send_signal(signal.SIGKILL)
    redis_server.process.wait()
    setup.daemon.wait_for_log("warning: Redis unavailable")
    for _ in range(4):
        c.send_raw(encode(request()))
        assert c.answer().startswith("DEFER_IF_PERMIT 4.3.0")
    metrics = scrape(setup.metrics_port)
    assert metrics['waypost_policy_fail_mode_answers_total'
                   '{mode="closed"}'] == 4
    assert metrics['waypost_policy_decisions_total{stage="end_of_message",'
                   'action="defer_if_permit"}'] == 4
    assert metrics['waypost_redis_commands_total{result="unavailable"}'] \
        == 4
    assert metrics["waypost_redis_up"] == 0
    status, _, body = get(setup.metrics_port, "/readyz")
    assert (status, body) == (503, "not ready: redis\n")
    assert get(setup.metrics_port, "/healthz")[0] == 200
    redis_server.restart()
    setup.daemon.wait_for_log("Redis available again")
    assert get(setup.metrics_port, "/readyz")[0] == 200
