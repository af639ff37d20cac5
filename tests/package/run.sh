#!/bin/sh
# run.sh - the Debian packages stage of run-all.sh
#
# usage: run.sh DIR
#
# Builds the packages from the checkout (test_debian_packages.py), installs
# them on this machine, removes and purges them, in DIR. Writes
# DIR/test-suite.log with automake's counts, and DIR/tests/package.log with
# pytest's output and a "FAIL: NAME" line per failed test, as
# summarize-results.sh reads a build directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
rm -rf "$dir"
mkdir -p "$dir/tests"
log="$dir/tests/package.log"
WAYPOST_PACKAGE_DIR="$dir/build" /usr/bin/python3 -m pytest -p no:cacheprovider \
    -rA -v "$here/test_debian_packages.py" >"$log" 2>&1
count() {
	grep -cE "^$1 " "$log"
}
passed=$(count PASSED)
failed=$(count FAILED)
errors=$(count ERROR)
skipped=$(count SKIPPED)
grep -E '^(FAILED|ERROR) ' "$log" | sed 's/^[A-Z]* /FAIL: /; s/ - .*//' \
    >>"$log"
if [ $((passed + failed + errors)) -eq 0 ]; then
	errors=1 # pytest did not run
	echo "FAIL: pytest did not run" >>"$log"
fi
cat >"$dir/test-suite.log" <<END
# TOTAL: $((passed + failed + errors + skipped))
# PASS: $passed
# SKIP: $skipped
# XFAIL: 0
# FAIL: $failed
# XPASS: 0
# ERROR: $errors
END
tail -3 "$log"
