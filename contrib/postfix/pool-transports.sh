#!/bin/sh
# pool-transports.sh - the Postfix services of a pool's source addresses
#
# usage: pool-transports.sh [-p PROVIDER[:CONCURRENCY[:DELAY]]]...
#            ADDRESS[=HELO_NAME]... >> /etc/postfix/master.cf
#        pool-transports.sh -m -p PROVIDER:CONCURRENCY[:DELAY]...
#            ADDRESS... >> /etc/postfix/main.cf
#
# Prints one smtp service per source address, named as waypost-routed
# answers it: "wp-" and the address with "." and ":" made "-" (192.0.2.10:
# wp-192-0-2-10). Each binds its address, and only it
# (smtp_bind_address_enforce, Postfix 3.7: a delivery fails rather than
# leave from another address), says HELO with the name the address's PTR
# record gives (HELO_NAME; without it, Postfix's myhostname), and logs as
# postfix/wp-ADDRESS so its deliveries are told apart in the log.
#
# Each -p PROVIDER (a [provider "PROVIDER"] with "shaped = yes" in
# waypost.conf) adds a service per address for that provider's mail,
# wp-ADDRESS-PROVIDER, so that each address is shaped at each provider on
# its own. With -m the script prints instead the main.cf lines of that
# shaping: at most CONCURRENCY deliveries at once to one of the
# provider's domains from one address, and DELAY between them (a
# non-zero delay also means one at a time: for a provider that still
# answers 421). Then "postfix reload".
set -eu
usage() {
	echo "usage: $0 [-m] [-p PROVIDER[:CONCURRENCY[:DELAY]]]..." \
	    "ADDRESS[=HELO_NAME]..." >&2
	exit 2
}
main=no
providers=""
while getopts mp: option; do
	case $option in
	m) main=yes ;;
	p)
		case $OPTARG in
		"" | :* | *[!0-9A-Za-z_.:-]*)
			echo "$0: -p $OPTARG: PROVIDER[:CONCURRENCY[:DELAY]]" >&2
			exit 2
			;;
		esac
		providers="$providers $OPTARG"
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage

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
	if [ $main = yes ]; then
		for entry in $providers; do
			provider=${entry%%:*}
			rest=${entry#"$provider"}
			rest=${rest#:}
			concurrency=${rest%%:*}
			delay=${rest#"$concurrency"}
			delay=${delay#:}
			[ -z "$concurrency" ] || echo "$service-${provider}_destination_concurrency_limit = $concurrency"
			[ -z "$delay" ] || echo "$service-${provider}_destination_rate_delay = $delay"
		done
		continue
	fi
	for suffix in "" $providers; do
		name=$service
		[ -z "$suffix" ] || name=$service-${suffix%%:*}
		printf '%-10s unix  -       -       n       -       -       smtp\n' \
		    "$name"
		printf '  -o %s=%s\n' "$bind" "$address"
		printf '  -o smtp_bind_address_enforce=yes\n'
		[ -z "$helo" ] || printf '  -o smtp_helo_name=%s\n' "$helo"
		printf '  -o syslog_name=postfix/%s\n' "$name"
	done
done
