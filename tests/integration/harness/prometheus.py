"""A private Prometheus (Debian's prometheus) on a free loopback port,
scraping the targets a test gives it every second, with the alert rules
it gives it, its data in a temp dir; and its HTTP API, as a test asks
it."""
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

from . import ports, processes, tempdir


class Prometheus:
    def __init__(self, jobs, rule_files=()):
        """jobs: {job name: port on 127.0.0.1}."""
        self.directory = tempdir.make_dir("prometheus")
        self.port = ports.free_port()
        self.jobs = jobs
        self.rule_files = []
        for path in rule_files:
            copy = os.path.join(self.directory, os.path.basename(path))
            shutil.copy(path, copy)
            self.rule_files.append(copy)
        self.process = None
        self.log_path = os.path.join(self.directory, "prometheus.log")

    def config_text(self):
        text = ("global:\n  scrape_interval: 1s\n"
                "  evaluation_interval: 1s\n")
        if self.rule_files:
            text += "rule_files:\n" + "".join(
                f"  - {path}\n" for path in self.rule_files)
        text += "scrape_configs:\n"
        for job, port in self.jobs.items():
            text += (f"  - job_name: {job}\n    static_configs:\n"
                     f"      - targets: ['127.0.0.1:{port}']\n")
        return text

    def start(self):
        config = os.path.join(self.directory, "prometheus.yml")
        with open(config, "w") as f:
            f.write(self.config_text())
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                ["prometheus", f"--config.file={config}",
                 f"--storage.tsdb.path={self.directory}/data",
                 f"--web.listen-address=127.0.0.1:{self.port}",
                 "--web.enable-lifecycle"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("prometheus did not start:\n"
                                   + processes.read_log(self.log_path))
            time.sleep(0.1)
        return self

    def _ready(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/-/ready", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **parameters):
        """The data of an API answer, which must be a success."""
        query = urllib.parse.urlencode(parameters)
        with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}/api/v1/{path}?{query}",
                timeout=10) as answer:
            body = json.load(answer)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expression):
        """{frozenset of label items: value} of an instant query."""
        return {frozenset(r["metric"].items()): float(r["value"][1])
                for r in self.api("query", query=expression)["result"]}

    def value(self, expression):
        """The one value of a query that gives one series, else None."""
        result = self.query(expression)
        return next(iter(result.values())) if len(result) == 1 else None

    def stop(self):
        if self.process:
            processes.stop(self.process)
        tempdir.remove_dir(self.directory)
