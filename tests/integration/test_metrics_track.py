"""waypost-trackd's metrics after it read a synthetic Postfix log into a
real Redis: outcomes by status equal the log's own outcome lines, by
class the daemon's log lines, suppressions its notes, the line counters
the file, and the lag 0 at the end of the log."""
import collections
import os
import re
import subprocess

from conftest import SOURCE_DIR, program
from harness.metrics_scrape import get, scrape
from harness.ports import free_port
from harness.waiting import wait_until
from harness.waypost import Daemon

GENERATOR = os.path.join(SOURCE_DIR, "tests", "bench", "make-postfix-log.py")
RULES = os.path.join(SOURCE_DIR, "contrib", "bounce-classes.conf")
GARBAGE = b"not a log line\n\x01\x02 neither\n"
STATUS = re.compile(rb"\bstatus=(sent|deferred|bounced|expired)\b")
OUTCOME = re.compile(r": to=<[^>]*>, status=(\w+)(?:.*?, class=([\w-]+))?")


def test_outcomes_lines_and_lag(workdir, redis_server):
    log_file = os.path.join(workdir, "maillog")
    subprocess.run(["/usr/bin/python3", GENERATOR, "--lines", "4000",
                    "--backoff", "20", "--queue-lifetime", "90",
                    "--output", log_file], check=True, timeout=300,
                   stderr=subprocess.DEVNULL)
    with open(log_file, "ab") as f:
        f.write(GARBAGE)
    with open(log_file, "rb") as f:
        data = f.read()
    port = free_port()
    daemon = Daemon(program("track/waypost-trackd"), workdir,
                    f"[log]\nlevel = info\n"
                    f"[redis]\naddress = 127.0.0.1:{redis_server.port}\n"
                    f"[track]\nlog_file = {log_file}\nrules_file = {RULES}\n"
                    f"user = nobody\nrelay_name = r\n"
                    f"metrics = inet:{port}@127.0.0.1\n", "trackd")
    try:
        daemon.start(wait=False)

        def saved():
            position = redis_server.client.get("waypost:track-position:r")
            return position and int(position.split()[2]) == len(data)
        wait_until(saved, 120, "the whole log in Redis")
        # Redis saved the last batch; its reply is read at the next poll.
        wait_until(lambda: scrape(port)["waypost_track_records_waiting"]
                   == 0, 30, "every record's reply read")
        metrics = scrape(port)
        assert get(port, "/readyz")[0] == 200
        log = daemon.read_log()
    finally:
        daemon.stop()

    in_file = collections.Counter(m.group(1).decode()
                                  for m in map(STATUS.search,
                                               data.splitlines()) if m)
    by_status = collections.Counter()
    for name, value in metrics.items():
        match = re.match(r'waypost_track_outcomes_total\{status="(\w+)"',
                         name)
        if match:
            by_status[match.group(1)] += value
    for status in ("sent", "deferred", "bounced"):
        assert in_file[status] > 0, status
    for status in ("sent", "deferred", "bounced", "expired"):
        assert by_status[status] == in_file[status], status
    logged = collections.Counter(OUTCOME.search(line).groups()
                                 for line in log.splitlines()
                                 if OUTCOME.search(line))
    for (status, klass), count in logged.items():
        if status in ("deferred", "bounced"):
            assert metrics[f'waypost_track_outcomes_total{{status='
                           f'"{status}",class="{klass}"}}'] == count
    notes = log.count(">, suppressed for ")
    assert notes > 0
    # Each note is logged with its queue ID first.
    assert len(re.findall(r"\]: [0-9A-F]+: to=<[^>]*>, suppressed for "
                          r"its tenant: bounced: \S", log)) == notes
    assert metrics["waypost_track_suppressions_total"] == notes
    assert metrics['waypost_track_lines_total{kind="all"}'] == \
        len(data.splitlines())
    assert metrics['waypost_track_lines_total{kind="invalid"}'] >= 1
    assert metrics["waypost_track_lag_seconds"] == 0
    assert metrics["waypost_track_records_waiting"] == 0
    assert metrics['waypost_redis_commands_total{result="ok"}'] > 0
    assert metrics["waypost_redis_up"] == 1
