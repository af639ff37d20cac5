#!/bin/sh
# summarize-results.sh - add up automake's test-suite.log files
#
# usage: summarize-results.sh STAGE=BUILDDIR ... [STAGE=pass|fail ...]
# For a build directory, reads BUILDDIR/test-suite.log (counts of every TAP
# test case); a missing log counts as one failure of that stage. A stage
# given as pass or fail counts as one test. Prints one line per stage, the
# names of failed tests with a few lines on why, and last the line CI reads: "N passed, N failed".
# Exits 1 if anything failed.
set -u
passed=0
failed=0
skipped=0
# Why a test log failed, in a few lines, since CI shows only the end of
# what was printed: pytest's assertion lines and errors, a sanitizer's or
# libFuzzer's summary, a crashing input's first bytes.
why() {
	grep -E '^(E  |[A-Za-z_.]+Error|FAILED )|SUMMARY|^# input|^#  ( [0-9a-f]{2})+$|^not ok|Assertion|error:' \
	    "$1" | cut -c1-300 | head -12 | sed 's/^/    | /'
}
count() {
	sed -n "s/^# $1: *\([0-9]*\).*/\1/p" "$2" | head -1
}
for stage in "$@"; do
	name=${stage%%=*}
	what=${stage#*=}
	case $what in
	pass) passed=$((passed + 1)); echo "$name: passed"; continue ;;
	fail) failed=$((failed + 1)); echo "$name: FAILED"; continue ;;
	esac
	log="$what/test-suite.log"
	if [ ! -f "$log" ]; then
		failed=$((failed + 1))
		echo "$name: FAILED (no $log: the build or make check did not run)"
		continue
	fi
	p=$(( $(count PASS "$log") + $(count XFAIL "$log") ))
	f=$(( $(count FAIL "$log") + $(count XPASS "$log") + $(count ERROR "$log") ))
	s=$(count SKIP "$log")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	echo "$name: $p passed, $f failed, $s skipped"
	for test_log in $(grep -lE '^(FAIL|ERROR|XPASS):' "$what"/tests/*.log \
	    "$what"/tests/*/*.log 2>/dev/null); do
		grep -hE '^(FAIL|ERROR|XPASS):' "$test_log" | sed 's/^/  /'
		why "$test_log"
	done
done
[ "$skipped" -eq 0 ] || echo "$skipped skipped (not counted as passed)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
