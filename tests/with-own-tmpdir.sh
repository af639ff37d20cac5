#!/bin/sh
# with-own-tmpdir.sh - run one test of make check in a temp dir of its own
#
# usage: with-own-tmpdir.sh COMMAND [ARGUMENT...]
# Makes a directory under $TMPDIR (/tmp if unset), runs COMMAND with
# TMPDIR set to it, removes it however COMMAND ended, and exits with
# COMMAND's status. Makefile.am puts it in front of the test driver, so
# LOG_COMPILER stays free (e.g. for valgrind). Every test writes its
# files there (the pytest harness, mktemp, the unit tests' mkstemp), so
# two runs of make check on one machine, of one checkout or of two,
# never meet in /tmp. Mode 0755: a private Postfix's unprivileged
# processes reach their queue through it.
set -u
dir=$(mktemp -d "${TMPDIR:-/tmp}/waypost-check-XXXXXX") || exit 99
chmod 755 "$dir"
trap 'rm -rf "$dir"; exit 129' HUP
trap 'rm -rf "$dir"; exit 130' INT
trap 'rm -rf "$dir"; exit 143' TERM
TMPDIR=$dir "$@"
status=$?
rm -rf "$dir"
exit $status
