#!/bin/sh
# rename-keys.sh - moves Waypost's Redis keys to their names with hash tags
#
# Since issue 24, a key about a user, a tenant or a limit's subject
# carries that subject in braces, its Redis Cluster hash tag
# (doc/redis-cluster.md): "senders:alice@example.com" is now
# "senders:{alice@example.com}". Daemons of this version read only the
# new names, so an upgrade must move what Redis holds under the old ones:
# grants (senders:), suspensions of users, overrides and counters of
# limits, warm-ups, suppressions, and waypost-trackd's expirations and
# bounce-rate counts. This script does it with RENAMENX, which keeps each
# key's value and expiry and never overwrites a key that already has the
# new name (one a new daemon wrote meanwhile): those are listed at the
# end, for you to compare and delete.
#
# Left to expire (they live for a detector window or a decision's keep
# time): clients:, failures: and instance:.
#
# Usage: rename-keys.sh [-n] [-p PREFIX] [-- REDIS-CLI-OPTIONS...]
#   -n          list the renames, change nothing
#   -p PREFIX   [redis] prefix (default "waypost:"; no glob characters)
#   after --    redis-cli's options: -h HOST -p PORT -a PASSWORD, ...
#               (with Sentinel, the master's address)
#
# When: after installing the new version and before restarting its
# daemons; then once more after the restart, for what the old daemons
# wrote in between. Keys are read with SCAN, never KEYS.
set -eu
export LC_ALL=C # ${#text} counts bytes, as RESP does

dry=no
prefix=waypost:
while getopts np: option; do
	case $option in
	n) dry=yes ;;
	p) prefix=$OPTARG ;;
	*) sed -n 's/^# \{0,1\}//; /^Usage/,/^$/p' "$0" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
case $prefix in
*[\*\?\[\]\\{}]*)
	echo "rename-keys.sh: prefix \"$prefix\": glob characters or braces" >&2
	exit 64 ;;
esac

# new KIND KEY: the new name of KEY (of KIND), or nothing when it has it.
new() {
	rest=${2#"$prefix$1:"}
	case $1 in
	limit | warmup)
		name=${rest%%:*} subject=${rest#*:}
		[ "$name" = "$rest" ] && return 0
		case $subject in "{"*"}") return 0 ;; esac
		printf '%s%s:%s:{%s}' "$prefix" "$1" "$name" "$subject" ;;
	suppressed | expirations)
		tenant=${rest%%:*} address=${rest#*:}
		[ "$tenant" = "$rest" ] && return 0
		case $tenant in "{"*"}") return 0 ;; esac
		printf '%s%s:{%s}:%s' "$prefix" "$1" "$tenant" "$address" ;;
	*)
		case $rest in "{"*"}") return 0 ;; esac
		printf '%s%s:{%s}' "$prefix" "$1" "$rest" ;;
	esac
}

# The old keys of every kind, as "KEY<TAB>NEW" lines.
old_keys() {
	for kind in senders suspended:user override bounce-rate limit warmup \
	    suppressed expirations; do
		redis-cli "$@" --scan --pattern "$prefix$kind:*" |
		while IFS= read -r key; do
			to=$(new "$kind" "$key")
			if [ -n "$to" ]; then
				printf '%s\t%s\n' "$key" "$to"
			fi
		done
	done
}

# RESP of RENAMENX KEY NEW for each line, for redis-cli --pipe.
renames() {
	while IFS="$(printf '\t')" read -r key to; do
		# shellcheck disable=SC2016 # RESP's "$" lengths, not the shell's
		printf '*3\r\n$8\r\nRENAMENX\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' \
		    "${#key}" "$key" "${#to}" "$to"
	done
}

if [ "$(redis-cli "$@" PING 2>&1)" != PONG ]; then
	echo "rename-keys.sh: Redis does not answer: redis-cli $*" >&2
	exit 69
fi
list=$(old_keys "$@")
count=$(printf '%s' "$list" | grep -c . || true)
if [ "$dry" = yes ]; then
	[ "$count" -gt 0 ] && printf '%s\n' "$list" | sed 's/\t/ -> /'
	echo "rename-keys.sh: $count keys to rename (-n: none renamed)"
	exit 0
fi
if [ "$count" -gt 0 ]; then
	# A key that expired since the SCAN makes an error reply ("no such
	# key"), which --pipe counts: not a failure; what is left is
	# checked below.
	printf '%s\n' "$list" | renames |
	    redis-cli "$@" --pipe >/dev/null 2>&1 || true
fi
left=$(old_keys "$@")
kept=$(printf '%s' "$left" | grep -c . || true)
echo "rename-keys.sh: $((count - kept)) keys renamed"
if [ "$kept" -gt 0 ]; then
	echo "rename-keys.sh: $kept keys kept: their new name exists" >&2
	printf '%s\n' "$left" | sed 's/\t/ -> /' >&2
	exit 1
fi
