#!/bin/sh
# build.sh - generate, configure and build Waypost in a build directory
#
# usage: contrib/build.sh BUILDDIR [configure options...]
# Runs autogen.sh in the source tree, then configure and make in BUILDDIR
# (created if needed). Their output goes to BUILDDIR/build.log; on failure
# its tail is printed. Used by the README's two commands and by CI.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [configure options...]" >&2; exit 2; }
mkdir -p "$1"
build=$(cd "$1" && pwd) # absolute: the steps below run from inside it
shift
log="$build/build.log"
: >"$log"
step() {
	if ! "$@" >>"$log" 2>&1; then
		echo "build.sh: '$*' failed; the end of $log:" >&2
		tail -40 "$log" >&2
		exit 1
	fi
}
step sh "$top/autogen.sh"
cd "$build"
step "$top/configure" "$@"
step make -j"$(nproc)"
echo "build.sh: built in $build"
