#!/bin/sh
# run-fuzz.sh - a short, bounded libFuzzer run of each fuzz target
#
# Built with --enable-fuzzing (clang) only. Each target in $FUZZ_TARGETS
# runs for WAYPOST_FUZZ_SECONDS (default 20) from a copy of its corpus, in a
# temp dir, so the source tree is never written. A crash fails the test and
# its input is printed (hex) so it can be added to the corpus.
set -u
top="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}"
build="${top_builddir:-$top}"
targets="${FUZZ_TARGETS:-fuzz_config}"
seconds="${WAYPOST_FUZZ_SECONDS:-20}"

set -- $targets
echo "1..$#"
number=0
for target in $targets; do
	number=$((number + 1))
	work=$(mktemp -d "${TMPDIR:-/tmp}/waypost-fuzz-XXXXXX")
	cp -r "$top/tests/fuzz/corpus/${target#fuzz_}/." "$work/"
	mkdir "$work/crashes"
	if "$build/tests/fuzz/$target" -max_total_time="$seconds" \
	    -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	    -artifact_prefix="$work/crashes/" "$work" >"$work/log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$work/log" | tail -1)
		echo "ok $number - $target: ${runs:-done} in ${seconds}s"
	else
		echo "not ok $number - $target found a bug"
		tail -60 "$work/log" | sed 's/^/# /'
		for crash in "$work"/crashes/*; do
			[ -f "$crash" ] || continue
			echo "# input $(basename "$crash"):"
			od -An -tx1 "$crash" | head -20 | sed 's/^/#  /'
		done
	fi
	rm -rf "$work"
done
