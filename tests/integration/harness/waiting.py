"""Waiting for a state: a condition polled until it holds.

For what a test can see but no log line announces: a key gone from Redis,
a queue empty, a count reached. Each check is cheap next to the interval
between them, and the wait has a deadline, so a state that never comes
fails the test with what was awaited.
"""
import time


def wait_until(condition, timeout, what, interval=0.05):
    """Return once condition() is true; TimeoutError(what) after timeout
    seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} (after {timeout}s)")
        time.sleep(interval)
