#!/bin/sh
# check-man.sh - the man pages render cleanly and document every key
#
# TAP: one test per page (groff with all warnings on must print nothing),
# and one per daemon section: every key of the section's schema appears
# as a bold term in waypost.conf(5).
set -u
top="${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}"
build="${top_builddir:-$top}"
pages="waypost.conf.5 waypost-dkim.8 waypost-dkim-keygen.8
  waypost-headers.8 waypost-milter-load.1 waypost-policyd.8
  waypost-bounce-classes.5 waypost-trackd.8 waypost-events.7
  waypost-hookd.8 waypostctl.8 waypost-routed.8"
schemas="dkim:milters/dkim/dkim_config.c
  headers:milters/headers/headers_config.c
  policy:policy/policy_config.c
  track:track/track_config.c
  hooks:hook/hook_config.c
  route:route/route_config.c"

set -- $pages $schemas
echo "1..$#"
number=0
for page in $pages; do
	number=$((number + 1))
	file="$build/man/$page"
	if [ ! -s "$file" ]; then
		echo "not ok $number - man/$page: not built (run make)"
		continue
	fi
	warnings=$(LC_ALL=C.UTF-8 groff -t -man -ww -z "$file" 2>&1)
	if [ -n "$warnings" ]; then
		echo "not ok $number - man/$page renders with warnings"
		echo "$warnings" | sed 's/^/# /'
	else
		echo "ok $number - man/$page renders without warnings"
	fi
done
for entry in $schemas; do
	number=$((number + 1))
	section=${entry%%:*}
	keys=$(sed -n 's/^ *[A-Z_]*KEY("\([a-z0-9_]*\)".*/\1/p' "$top/${entry#*:}")
	missing=""
	for key in $keys; do
		grep -q "^\.B $key\$" "$build/man/waypost.conf.5" ||
		    missing="$missing $key"
	done
	if [ -z "$keys" ]; then
		echo "not ok $number - [$section]: no keys found in ${entry#*:}"
	elif [ -n "$missing" ]; then
		echo "not ok $number - [$section] keys missing from" \
		    "waypost.conf(5):$missing"
	else
		echo "ok $number - [$section]: all $(echo $keys | wc -w) keys" \
		    "in waypost.conf(5)"
	fi
done
