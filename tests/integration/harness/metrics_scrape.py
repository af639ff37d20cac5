"""Reading a daemon's metrics endpoint as Prometheus does: GET, the
samples of the text format, and promtool's check of it."""
import http.client
import subprocess


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
