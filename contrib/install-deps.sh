#!/bin/sh
# install-deps.sh - install the Debian 12 packages Waypost builds and tests with
#
# Used by both README Quick start commands and by CI. Idempotent: a package
# already installed costs nothing but the apt-get update. Must run as root.
# Touches no configuration: Postfix is installed with "No configuration" and
# its system instance is never started by Waypost.
#
# usage: install-deps.sh [--build-only]
# --build-only: what building needs and nothing else (for a production
# relay: no test peers such as Dovecot, OpenDKIM or postfwd).
set -eu

build="autoconf automake libtool pkg-config make gcc clang clang-format groff-base"
libraries="libmilter-dev libopendkim-dev libssl-dev libhiredis-dev
  libevent-dev libcmocka-dev zlib1g-dev libcurl4-openssl-dev libjansson-dev
  libyajl-dev libmicrohttpd-dev libc-ares-dev"
peers="postfix redis-server swaks python3 python3-pytest prometheus python3-dkim
  python3-aiosmtpd python3-redis dnsmasq-base dovecot-core opendkim opendkim-tools postfwd openssl
  debhelper lintian git"

case "${1:-}" in
--build-only) peers="" ;;
"") ;;
*)
	echo "usage: install-deps.sh [--build-only]" >&2
	exit 2
	;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: must run as root (it calls apt-get)" >&2
	exit 1
fi

missing=""
for p in $build $libraries $peers; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps.sh: every package is installed"
	exit 0
fi

echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
apt-get update -qq
# Packages such as redis-server and prometheus start a system service on
# install; the tests run their own, so none is started here (invoke-rc.d
# and deb-systemd-invoke ask policy-rc.d). An admin's own policy-rc.d is
# left alone.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# install-deps.sh: no service starts during its install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps.sh: done"
