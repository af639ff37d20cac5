"""waypost-hookd's metrics against a real Redis and the harness's
receiver: events by endpoint and result (delivered, failed attempts,
dead letters, skipped), request durations, the backlog back at 0, and a
410 shown as a disabled endpoint."""
import os

from harness.metrics_scrape import get, scrape
from harness.ports import free_port
from harness.waiting import wait_until
from harness.webhook_receiver import WebhookReceiver
from test_hook import PREFIX, SECRET, event, hookd, publish, started
from test_hook import stop_daemons  # noqa: F401 (the autouse fixture)


def test_events_by_result_backlog_and_disabled(workdir, redis_server):
    answers = iter([500, 500])

    def answer(request):
        if request.path == "/gone":
            return 410
        return next(answers, 200)

    port = free_port()
    with WebhookReceiver(os.path.join(workdir, "receiver"),
                         [SECRET]) as receiver:
        receiver.answer_with(answer)
        daemon = started(hookd(workdir, redis_server, {
            "app": {"url": receiver.url(), "secret": SECRET,
                    "events": "delivered", "retry_min": "10ms",
                    "breaker_failures": "100"},
            "gone": {"url": receiver.url("/gone"), "secret": SECRET,
                     "events": "delivered"}},
            hooks=f"metrics = inet:{port}@127.0.0.1\n"), redis_server,
            [(f"{PREFIX}events", "waypost-hookd:app"),
             (f"{PREFIX}events", "waypost-hookd:gone")])
        publish(redis_server, [event(n) for n in range(5)])
        publish(redis_server, [event(9, kind="deferred")])
        redis_server.client.xadd(f"{PREFIX}events", {"event": "{not json"})
        receiver.wait_for_events(5, timeout=30)
        wait_until(lambda: redis_server.client.xlen(
            f"{PREFIX}hook-dead:app") == 1, 20, "the dead letter")

        def settled():
            m = scrape(port)
            return (m['waypost_hook_backlog{endpoint="app"}'] == 0 and
                    m['waypost_hook_events_total{endpoint="app",'
                      'result="skipped"}'] == 1 and
                    m['waypost_hook_disabled{endpoint="gone"}'] == 1)
        wait_until(settled, 20, "app's backlog empty, gone disabled")
        metrics = scrape(port)
        app_requests = [r for r in receiver.requests() if r.path == "/hook"]
    assert metrics['waypost_hook_events_total{endpoint="app",'
                   'result="delivered"}'] == 5
    assert metrics['waypost_hook_events_total{endpoint="app",'
                   'result="failed"}'] == 2
    assert metrics['waypost_hook_events_total{endpoint="app",'
                   'result="dead_letter"}'] == 1
    assert metrics['waypost_hook_request_duration_seconds_count'
                   '{endpoint="app"}'] == len(app_requests) == 7
    assert metrics['waypost_hook_disabled{endpoint="app"}'] == 0
    assert metrics['waypost_hook_breaker_open{endpoint="app"}'] == 0
    assert metrics['waypost_hook_events_total{endpoint="gone",'
                   'result="delivered"}'] == 0
    assert metrics["waypost_redis_up"] == 1
    assert get(port, "/readyz")[0] == 200
    assert daemon.stop() == 0
