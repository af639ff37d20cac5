#!/bin/sh
# replay-corpus.sh - replay each fuzz target's corpus as an ordinary test
#
# One TAP test per target in $FUZZ_TARGETS: the plain replay program runs
# the target on every file of tests/fuzz/corpus/NAME. Runs on every build,
# with or without clang; under --enable-sanitizers it is ASan/UBSan-checked.
set -u
top="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}"
build="${top_builddir:-$top}"
targets="${FUZZ_TARGETS:-fuzz_config}"

set -- $targets
echo "1..$#"
number=0
for target in $targets; do
	number=$((number + 1))
	corpus="$top/tests/fuzz/corpus/${target#fuzz_}"
	if output=$("$build/tests/fuzz/${target}_replay" "$corpus" 2>&1); then
		echo "ok $number - $target corpus: $output"
	else
		echo "not ok $number - $target corpus replay failed"
		echo "$output" | tail -40 | sed 's/^/# /'
	fi
done
