"""Temporary directories that Postfix's unprivileged processes can enter.

mkdtemp() makes 0700 directories; Postfix's daemons run as the postfix user
and must traverse the path to their queue and log, so these are 0755. They
go in $TMPDIR (/tmp if unset): make check gives every test run a TMPDIR
of its own (tests/with-own-tmpdir.sh), and the demo takes the caller's.
"""
import os
import shutil
import tempfile

PREFIX = "waypost-"


def make_dir(label):
    path = tempfile.mkdtemp(prefix=PREFIX + label + "-")
    os.chmod(path, 0o755)
    return path


def remove_dir(path):
    shutil.rmtree(path, ignore_errors=True)
