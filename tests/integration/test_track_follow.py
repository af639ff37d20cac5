"""The log follower of waypost-trackd on a real Postfix's maillog_file.

A private Postfix writes its log with postlogd (maillog_file) while
smtp-source sends 200 messages in four batches, and `postfix logrotate`
runs three times, each while a batch is being delivered. It renames the
log, has postlogd restarted and gzips the renamed file a second later;
the new file appears with the next line. Before the second rotation the
follower (tests/integration/log-follow-print) is killed with SIGKILL and
started again after it, from the last position it printed, which by then
names a file that exists only as a .gz.

What the follower printed, across both runs, must be exactly the lines of
the log: the rotated .gz files in order, then the current file. So every
`status=sent` line is seen once, none lost, none twice.
"""
import glob
import gzip
import os
import signal
import subprocess

from conftest import program
from harness.smtp_clients import smtp_source_started
from harness.waiting import wait_until

MESSAGES = 200
BATCHES = 4


class Follower:
    """log-follow-print on the maillog, its output in a file."""

    def __init__(self, maillog, output, position=None):
        self.output = output
        arguments = [program("tests/integration/log-follow-print"), maillog]
        if position:
            arguments.append(position)
        with open(output, "wb") as out:
            self.process = subprocess.Popen(arguments, stdout=out)

    def lines(self):
        """(position, line) of each complete output line."""
        with open(self.output, "rb") as f:
            data = f.read()
        complete = data[:data.rfind(b"\n") + 1]
        return [tuple(row.split(b"\t", 1))
                for row in complete.splitlines()]

    def stop(self, how=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=30)


def log_lines(maillog):
    """The whole log: the rotated files, oldest first, then the current,
    which does not exist between a rotation and postlogd's next line."""
    rotated = sorted(glob.glob(maillog + ".*"), key=os.path.getmtime)
    lines = []
    for path in rotated:
        assert path.endswith(".gz"), f"{path}: a rotated file left plain"
        with gzip.open(path, "rb") as f:
            lines += f.read().splitlines()
    try:
        with open(maillog, "rb") as f:
            lines += f.read().splitlines()
    except FileNotFoundError:
        pass  # just rotated: postlogd makes it with its next line
    return lines


def sent_count(lines):
    return sum(1 for line in lines if b" status=sent " in line)


def rotate(postfix):
    """postfix logrotate, which reloads Postfix: the queue manager ends
    and the new one starts on its next trigger, which may be minutes
    away when no new mail arrives (seen: 14 delivered messages left in
    the active queue for 100 s). postqueue -f triggers it at once."""
    subprocess.run(["postfix", "-c", postfix.config_directory, "logrotate"],
                   check=True, timeout=60)
    subprocess.run(["postqueue", "-c", postfix.config_directory, "-f"],
                   check=True, timeout=60)


def delivered(postfix, count):
    """Wait for count status=sent lines in the whole log; on a timeout,
    say what the log and the queue hold."""
    try:
        wait_until(lambda: sent_count(log_lines(postfix.maillog)) >= count,
                   120, f"{count} messages delivered")
    except TimeoutError as error:
        raise AssertionError(f"{error}: {what_postfix_holds(postfix)}") \
            from None


def what_postfix_holds(postfix):
    """The sent lines, the queue and the log's end, for an assertion."""
    queue = subprocess.run(
        ["postqueue", "-c", postfix.config_directory, "-p"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        check=False, timeout=30).stdout
    lines = log_lines(postfix.maillog)
    tail = b"\n".join(lines[-40:]).decode(errors="replace")
    return (f"{sent_count(lines)} sent lines in the log; the queue:\n"
            f"{queue[-3000:]}\nthe log's end:\n{tail}")


def test_rotations_and_a_kill_lose_no_line(postfix_factory, workdir):
    postfix = postfix_factory({"enable_long_queue_ids": "yes"})
    maillog = postfix.maillog
    followers = [Follower(maillog, os.path.join(workdir, "out-1"))]
    per_batch = MESSAGES // BATCHES
    try:
        for batch in range(BATCHES):
            sender = smtp_source_started(postfix.port, sessions=5,
                                         messages=per_batch)
            if batch == 1:
                followers[0].stop(signal.SIGKILL)
            if batch < 3:
                rotate(postfix)
            if batch == 1:
                position = followers[0].lines()[-1][0].decode()
                followers.append(Follower(
                    maillog, os.path.join(workdir, "out-2"), position))
            try:
                assert sender.wait(timeout=120) == 0, sender.stdout.read()
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"smtp-source still running after 120 s; "
                    f"{what_postfix_holds(postfix)}") from None
            delivered(postfix, (batch + 1) * per_batch)
        expected = log_lines(maillog)
        wait_until(lambda: len(followers[0].lines()) +
                   len(followers[1].lines()) >= len(expected), 30,
                   f"the follower at {len(expected)} lines")
    finally:
        for follower in followers:
            follower.stop()

    assert len(glob.glob(maillog + ".*.gz")) == 3
    seen = [line for follower in followers for _, line in follower.lines()]
    assert sent_count(expected) == MESSAGES
    assert sent_count(seen) == MESSAGES
    # Postfix may have logged more since (qmgr's "removed"): the whole
    # log read now begins with what the followers printed.
    assert seen == log_lines(maillog)[:len(seen)]
