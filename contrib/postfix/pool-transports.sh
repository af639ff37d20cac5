#!/bin/sh
# pool-transports.sh - the master.cf services of a pool's source addresses
#
# usage: pool-transports.sh ADDRESS[=HELO_NAME]... >> /etc/postfix/master.cf
#
# Prints one smtp service per source address, named as waypost-routed
# answers it: "wp-" and the address with "." and ":" made "-" (192.0.2.10:
# wp-192-0-2-10). Each binds its address, and only it
# (smtp_bind_address_enforce, Postfix 3.7: a delivery fails rather than
# leave from another address), says HELO with the name the address's PTR
# record gives (HELO_NAME; without it, Postfix's myhostname), and logs as
# postfix/wp-ADDRESS so its deliveries are told apart in the log. Then
# "postfix reload".
set -eu
[ $# -ge 1 ] || { echo "usage: $0 ADDRESS[=HELO_NAME]..." >&2; exit 2; }
for word in "$@"; do
	address=${word%%=*}
	helo=
	[ "$address" = "$word" ] || helo=${word#*=}
	case $address in
	*[!0-9A-Fa-f.:]* | "")
		echo "$0: $address is no IP address" >&2
		exit 2
		;;
	esac
	case $helo in
	*[!0-9A-Za-z.-]*)
		echo "$0: $helo is no host name" >&2
		exit 2
		;;
	esac
	service=wp-$(printf '%s' "$address" | tr '.:' '--')
	bind=smtp_bind_address
	case $address in *:*) bind=smtp_bind_address6 ;; esac
	printf '%-10s unix  -       -       n       -       -       smtp\n' \
	    "$service"
	printf '  -o %s=%s\n' "$bind" "$address"
	printf '  -o smtp_bind_address_enforce=yes\n'
	[ -z "$helo" ] || printf '  -o smtp_helo_name=%s\n' "$helo"
	printf '  -o syslog_name=postfix/%s\n' "$service"
done
