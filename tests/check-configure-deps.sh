#!/bin/sh
# check-configure-deps.sh - configure names the Debian package of a missing library
#
# One TAP test per library: configure runs in a temp dir with pkg-config
# seeing every .pc file of this machine but that library's, and must stop
# with an error naming the Debian package to install.
set -u
top="${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}"
libraries="milter:libmilter-dev opendkim:libopendkim-dev
  libcrypto:libssl-dev hiredis:libhiredis-dev libevent_core:libevent-dev
  cmocka:libcmocka-dev zlib:zlib1g-dev libcurl:libcurl4-openssl-dev
  jansson:libjansson-dev yajl:libyajl-dev libcares:libc-ares-dev"

set -- $libraries
echo "1..$#"
number=0
for entry in $libraries; do
	number=$((number + 1))
	module=${entry%%:*}
	package=${entry#*:}
	work=$(mktemp -d "${TMPDIR:-/tmp}/waypost-configure-XXXXXX")
	mkdir "$work/pc" "$work/build"
	for directory in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
		for pc in "$directory"/*.pc; do
			[ -f "$pc" ] && ln -sf "$pc" "$work/pc/"
		done
	done
	rm -f "$work/pc/$module.pc"
	(cd "$work/build" &&
	    PKG_CONFIG_LIBDIR="$work/pc" "$top/configure" >"$work/out" 2>&1)
	status=$?
	if [ $status -ne 0 ] &&
	    grep -q "error: .*install the Debian package $package" "$work/out"; then
		echo "ok $number - without $module.pc configure asks for $package"
	else
		echo "not ok $number - without $module.pc: status $status, no" \
		    "message naming $package"
		tail -5 "$work/out" | sed 's/^/# /'
	fi
	rm -rf "$work"
done
