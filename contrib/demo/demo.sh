#!/bin/sh
# demo.sh - the README's first command: install, build, and show Waypost work
#
# As root on Debian 12: installs the Debian packages, builds Waypost in
# build/demo, and runs demo.py, which starts Redis, a private Postfix and
# an SMTP sink on loopback (nothing of the system's configuration is
# touched), sends real mail through them and prints what happened.
# Options are passed to demo.py: --keep leaves everything running.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
sh "$top/contrib/install-deps.sh"
sh "$top/contrib/build.sh" "${WAYPOST_BUILD_ROOT:-$top/build}/demo"
top_builddir="${WAYPOST_BUILD_ROOT:-$top/build}/demo" \
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$top/contrib/demo/demo.py" "$@"
