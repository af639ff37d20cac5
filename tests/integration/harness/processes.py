"""Stopping the servers a test started (SIGTERM, then SIGKILL), reading
their logs, and measuring their memory."""
import os
import subprocess


def stop(process, timeout=10):
    """Stop process (a Popen, or None) if it runs; its exit status."""
    if process is None:
        return None
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def read_log(path, missing="(no log)"):
    """A server's log file as text, or missing when there is none."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return missing


def peak_memory_kb(process):
    """The peak resident memory (VmHWM) of a running Popen, in KiB."""
    with open(f"/proc/{process.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM for process {process.pid}")


def measure_memory_under_asan(monkeypatch):
    """Under AddressSanitizer (make check in a --enable-sanitizers build)
    freed memory sits in a quarantine of up to 256 MB, which would read as
    growth; without it a daemon's memory is what it uses. Call before
    starting the daemon whose memory a test measures."""
    options = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", options + (":" if options else "")
                       + "quarantine_size_mb=0")
