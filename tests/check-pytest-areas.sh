#!/bin/sh
# check-pytest-areas.sh - every integration test module runs, in one area
#
# One TAP test: each tests/integration/test_*.py matches the patterns of
# exactly one area file (tests/integration/*.pytest, which run-pytest.sh
# runs), so a new module cannot go unrun by make check, nor run twice.
set -u
top="${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}"
here="$top/tests/integration"

echo "1..1"
bad=""
modules=0
for module in "$here"/test_*.py; do
	name=${module##*/}
	modules=$((modules + 1))
	areas=""
	for area in "$here"/*.pytest; do
		set -f
		for pattern in $(sed 's/#.*//' "$area"); do
			case $name in
			$pattern)
				areas="$areas ${area##*/}"
				break
				;;
			esac
		done
		set +f
	done
	set -- $areas
	[ $# -eq 1 ] || bad="$bad
# $name in:${areas:- no area}"
done
if [ -z "$bad" ]; then
	echo "ok 1 - each of $modules test modules is in one pytest area"
else
	echo "not ok 1 - test modules in no pytest area or in several$bad"
fi
