#!/bin/sh
# run-pytest.sh - the pytest integration suite as one TAP test of make check
#
# pytest's own report goes to stderr (the .log file automake keeps); stdout
# carries the TAP lines tap_plugin.py writes, one per test. Extra pytest
# arguments may come from WAYPOST_PYTEST_ARGS (e.g. "-k smoke").
set -u
here="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration"
python="${PYTHON3:-/usr/bin/python3}"
tap=$(mktemp "${TMPDIR:-/tmp}/waypost-tap-XXXXXX")
trap 'rm -f "$tap"' EXIT

if ! "$python" -c 'import pytest, dkim, aiosmtpd, redis' 2>/dev/null; then
	echo "1..1"
	echo "not ok 1 - $python lacks pytest, dkim, aiosmtpd or redis:" \
	    "run contrib/install-deps.sh"
	exit 0
fi

WAYPOST_TAP_FILE=$tap PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
PYTHONDONTWRITEBYTECODE=1 \
    "$python" -m pytest -p tap_plugin -p no:cacheprovider -v --tb=short \
    -o console_output_style=classic ${WAYPOST_PYTEST_ARGS:-} "$here" >&2
status=$?

if [ -s "$tap" ]; then
	cat "$tap"
else
	echo "1..1"
	echo "not ok 1 - pytest wrote no results (exit status $status)"
fi
