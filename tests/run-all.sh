#!/bin/sh
# run-all.sh - the whole Waypost test suite, on a fresh Debian 12 machine
#
# The README's second Quick start command, and what CI runs (.ci/run). As
# root: installs the Debian packages, then runs three stages:
#
#   main      gcc, --enable-werror: make check (cmocka unit tests, pytest
#             integration tests against real Postfix and Redis, the format
#             check, the fuzz corpus replay)
#   sanitize  clang, --enable-sanitizers --enable-fuzzing: make check again
#             under ASan and UBSan, plus a bounded libFuzzer run per target
#   distcheck make distcheck: the release tarball builds, checks, installs
#             and uninstalls cleanly
#   packages  the Debian packages built from this checkout, lintian-clean,
#             installed on this machine with apt, removed and purged
#             (tests/package/run.sh)
#
# Build trees go to build/ in the source tree (or $WAYPOST_BUILD_ROOT). The
# last line printed is "N passed, N failed" over every test case.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
root="${WAYPOST_BUILD_ROOT:-$top/build}"
jobs=$(nproc)

sh "$top/contrib/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }

run_stage() {
	name=$1
	dir=$2
	compiler=$3
	shift 3
	echo "== $name: building with $compiler in $dir"
	rm -rf "$dir"
	if CC=$compiler sh "$top/contrib/build.sh" "$dir" "$@"; then
		echo "== $name: make check"
		(cd "$dir" && make -j"$jobs" check >check.out 2>&1) ||
		    tail -8 "$dir/check.out"
	fi
}

run_stage main "$root/main" gcc --enable-werror
run_stage sanitize "$root/sanitize" clang --enable-werror \
    --enable-sanitizers --enable-fuzzing

echo "== distcheck"
distcheck=fail
if [ -f "$root/main/Makefile" ] &&
   (cd "$root/main" && make -j"$jobs" distcheck >distcheck.out 2>&1); then
	distcheck=pass
else
	tail -40 "$root/main/distcheck.out" 2>/dev/null
fi

echo "== packages"
sh "$top/tests/package/run.sh" "$root/packages"

echo "== results"
sh "$top/tests/summarize-results.sh" "main=$root/main" \
    "sanitize=$root/sanitize" "distcheck=$distcheck" \
    "packages=$root/packages"
