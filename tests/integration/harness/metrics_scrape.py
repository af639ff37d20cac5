"""Reading a daemon's metrics endpoint as Prometheus does: GET, the
samples of the text format, promtool's check of it, and a wait for a
sample to reach a value."""
import http.client
import re
import subprocess
import time


def get(port, path, method="GET"):
    """(status, headers, body) of one request to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return (response.status, dict(response.getheaders()),
                response.read().decode())
    finally:
        connection.close()


def samples(text):
    """{'name{labels}': value} of every sample line."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def sample(text, name):
    """The value of the sample name (with its labels, as written)."""
    values = samples(text)
    if name not in values:
        raise AssertionError(f"no sample {name} in:\n{text}")
    return values[name]


def scrape(port):
    """The samples of /metrics, after promtool found the text valid."""
    status, _, body = get(port, "/metrics")
    assert status == 200, body
    check_with_promtool(body)
    return samples(body)


def check_with_promtool(text):
    check = subprocess.run(["promtool", "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def family_samples(text, family):
    """Every sample of a family without suffix: {name{labels}: value}."""
    found = {}
    for line in text.splitlines():
        match = re.match(re.escape(family) + r"(\{[^}]*\})? (\S+)$", line)
        if match:
            found[family + (match.group(1) or "")] = float(match.group(2))
    return found


def wait_for_sample(port, name, value, timeout=20):
    """The metrics text once the sample name reads value."""
    deadline = time.monotonic() + timeout
    while True:
        body = get(port, "/metrics")[2]
        if samples(body).get(name) == value:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} is not {value} after {timeout}s:"
                                 f"\n{body}")
        time.sleep(0.05)
