"""pytest plugin: write one TAP line per test to $WAYPOST_TAP_FILE.

Loaded by run-pytest.sh (-p tap_plugin) so automake's TAP driver counts the
integration tests one by one alongside the C unit tests. A test is "not ok"
if any of its phases (setup, call, teardown) failed, "ok # SKIP" if it was
skipped. Collection errors and a pytest exit status other than 0 or 1 (no
tests, interrupted, internal error) each add a "not ok" line, so a suite
that could not run never looks green.
"""
import os

_results = {}
_order = []


def _record(nodeid, outcome, reason=""):
    if nodeid not in _results:
        _order.append(nodeid)
        _results[nodeid] = (outcome, reason)
        return
    if _results[nodeid][0] != "failed":
        if outcome == "failed" or _results[nodeid][0] == "passed":
            _results[nodeid] = (outcome, reason)


def pytest_runtest_logreport(report):
    if report.failed:
        _record(report.nodeid, "failed", report.when)
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) \
            else str(report.longrepr)
        _record(report.nodeid, "skipped", reason)
    elif report.when == "call":
        _record(report.nodeid, "passed")


def pytest_collectreport(report):
    if report.failed:
        _record("collect " + report.nodeid, "failed", "collection error")


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("WAYPOST_TAP_FILE")
    if not path:
        return
    lines = []
    for nodeid in _order:
        outcome, reason = _results[nodeid]
        name = nodeid.replace("#", "")
        if outcome == "passed":
            lines.append(f"ok {len(lines) + 1} - {name}")
        elif outcome == "skipped":
            lines.append(f"ok {len(lines) + 1} - {name} # SKIP {reason}")
        else:
            lines.append(f"not ok {len(lines) + 1} - {name} ({reason})")
    if int(exitstatus) not in (0, 1):
        lines.append(f"not ok {len(lines) + 1} - pytest ended with exit "
                     f"status {int(exitstatus)}")
    with open(path, "w") as tap:
        tap.write(f"1..{len(lines)}\n")
        for line in lines:
            tap.write(line + "\n")
