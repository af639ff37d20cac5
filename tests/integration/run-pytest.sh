#!/bin/sh
# run-pytest.sh - pytest integration tests as one TAP test of make check
#
# usage: run-pytest.sh [AREA.pytest]
# make check runs it once per area file (tests/integration/*.pytest: the
# test modules of one area, as file name patterns such as test_dkim*.py,
# one a line, # for comments), so that areas run side by side with
# make -j and a failure names its area. Without an area file it runs
# every module. pytest's own report goes to stderr (the .log file
# automake keeps); stdout carries the TAP lines tap_plugin.py writes, one
# per test. Extra pytest arguments may come from WAYPOST_PYTEST_ARGS
# (e.g. "-k smoke"); an area none of whose tests they select fails, as
# pytest ran nothing.
set -u
here="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration"
python="${PYTHON3:-/usr/bin/python3}"
area=${1:-}

if ! "$python" -c 'import pytest, dkim, aiosmtpd, redis' 2>/dev/null; then
	echo "1..1"
	echo "not ok 1 - $python lacks pytest, dkim, aiosmtpd or redis:" \
	    "run contrib/install-deps.sh"
	exit 0
fi

set --
if [ -n "$area" ]; then
	set -f
	patterns=$(sed 's/#.*//' "$area")
	for pattern in $patterns; do
		set +f
		for path in "$here"/$pattern; do
			[ -f "$path" ] && set -- "$@" "$path"
		done
		set -f
	done
	set +f
	if [ $# -eq 0 ]; then
		echo "1..1"
		echo "not ok 1 - $area names no test module"
		exit 0
	fi
else
	set -- "$here"
fi

tap=$(mktemp "${TMPDIR:-/tmp}/waypost-tap-XXXXXX")
trap 'rm -f "$tap"' EXIT
WAYPOST_TAP_FILE=$tap PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
PYTHONDONTWRITEBYTECODE=1 \
    "$python" -m pytest -p tap_plugin -p no:cacheprovider -v --tb=short \
    -o console_output_style=classic ${WAYPOST_PYTEST_ARGS:-} "$@" >&2
status=$?

if [ -s "$tap" ]; then
	cat "$tap"
else
	echo "1..1"
	echo "not ok 1 - pytest wrote no results (exit status $status)"
fi
