"""Stopping the servers a test started: SIGTERM, then SIGKILL."""
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
