#!/bin/sh
# check-completion.sh - waypostctl's bash completion completes what
# waypostctl(8) documents
#
# TAP. Sources the built contrib/bash-completion/waypostctl in bash and
# asks it, as bash would, for the completions of command lines. What is
# checked is read from the man page, so a command or option documented but
# not completed fails here: the options before the command (OPTIONS), the
# commands and subcommands and each one's options (COMMANDS: the synopsis
# under each .TP); and the keys of webhook set from waypost-hookd's
# [webhook] schema. Limit and warm-up names come from the file of -c; the
# completion runs no program at all (PATH is empty while it runs).
# shellcheck shell=bash
if [ -z "${BASH_VERSION:-}" ]; then
	if ! command -v bash >/dev/null 2>&1; then
		echo "1..0 # SKIP bash not found"
		exit 0
	fi
	exec bash "$0" "$@"
fi
set -u
top="${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}"
build="${top_builddir:-$top}"
completion="$build/contrib/bash-completion/waypostctl"
man="$top/man/waypostctl.8.in"
work=$(mktemp -d "${TMPDIR:-/tmp}/check-completion.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

number=0
failed=0
ok() {
	number=$((number + 1))
	echo "ok $number - $1"
}
not_ok() {
	number=$((number + 1))
	failed=$((failed + 1))
	echo "not ok $number - $1"
}

# The synopsis of each entry of a section of the man page: the line after
# .TP and the macro lines that follow it, one entry a line.
synopses() {
	awk -v section="$1" '
	    /^\.SH / { inside = ($2 == section); next }
	    !inside { next }
	    /^\.TP/ { if (entry != "") print entry; entry = ""; take = 1; first = 1; next }
	    take && (first || /^\./) { entry = entry " " $0; first = 0; next }
	    { take = 0 }
	    END { if (entry != "") print entry }' "$man"
}

# The command words of a synopsis: its leading bold words in lower case
# ("senders grant", "suspended", "message show").
command_of() {
	local line=${1# } words
	case $line in
	'.B '*) words=${line#.B } ;;
	'.BI '* | '.BR '*)
		line=${line#.B? }
		if [[ $line == \"* ]]; then
			words=${line#\"}
			words=${words%%\"*}
		else
			words=${line%% *}
		fi
		;;
	'\fB'*)
		words=${line#\\fB}
		words=${words%%\\f*}
		;;
	*) words="" ;;
	esac
	local word result=""
	for word in $words; do
		[[ $word =~ ^[a-z]+$ ]] || break
		result+="${result:+ }$word"
	done
	echo "$result"
}

# The options a synopsis names (\-\-for -> --for, \-c -> -c), sorted.
options_of() {
	grep -o '\\-\(\\-[a-z]*\|[a-z]\)' <<<"$1" | sed 's/\\-/-/g' |
	    sort -u | tr '\n' ' '
}

if [ ! -s "$completion" ]; then
	echo "1..1"
	echo "not ok 1 - contrib/bash-completion/waypostctl: not built (run make)"
	exit 0
fi
# shellcheck source=/dev/null
. "$completion"

# COMPREPLY for the words given (the last is the one being completed),
# sorted and on one line; bash's own variables set as it sets them.
errors="$work/errors"
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	PATH="" _waypostctl waypostctl "${COMP_WORDS[COMP_CWORD]}" \
	    "${COMP_WORDS[COMP_CWORD - 1]}" 2>>"$errors"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

# expect "what" "expected words" word...
expect() {
	local what=$1 expected=$2
	shift 2
	local got
	got=$(complete_words "$@")
	# shellcheck disable=SC2086 # a word per line
	expected=$(printf '%s\n' $expected | sort | tr '\n' ' ')
	if [ "$got" = "$expected" ]; then
		ok "$what"
	else
		not_ok "$what"
		echo "#   waypostctl ${*:2}<TAB>"
		echo "#   expected: $expected"
		echo "#   got:      $got"
	fi
}

# offers "what" "words that must be among the completions" word...
offers() {
	local what=$1 wanted=$2 word missing=""
	shift 2
	local got
	got=" $(complete_words "$@")"
	for word in $wanted; do
		[[ $got == *" $word "* ]] || missing+=" $word"
	done
	if [ -z "$missing" ]; then
		ok "$what"
	else
		not_ok "$what"
		echo "#   waypostctl ${*:2}<TAB> lacks:$missing (got:$got)"
	fi
}

echo "1..22"

# The commands of the man page, with their subcommands.
commands=""
declare -A subcommands=() synopsis=()
while IFS= read -r line; do
	words=$(command_of "$line")
	[ -n "$words" ] || continue
	synopsis[$words]=$line
	command=${words%% *}
	[[ " $commands " == *" $command "* ]] || commands+=" $command"
	[[ $words == *" "* ]] && subcommands[$command]+=" ${words#* }"
done < <(synopses COMMANDS)
count=$(wc -w <<<"$commands")
if [ "$count" -ge 10 ]; then
	ok "waypostctl(8) documents $count commands:$commands"
else
	not_ok "waypostctl(8): only $count commands found:$commands"
fi
offers "the first word: every command of waypostctl(8)" "$commands" \
    waypostctl ""
offers "after -c FILE --json too" "$commands" \
    waypostctl -c "$work/waypost.conf" --json ""
expect "the first word: no command but those there are, by their start" \
    "senders suspend suspended suppression source" waypostctl s

# Each command's subcommands, and the options before the command.
missing=""
for command in "${!subcommands[@]}"; do
	got=" $(complete_words waypostctl "$command" "")"
	for sub in ${subcommands[$command]}; do
		[[ $got == *" $sub "* ]] || missing+=" $command $sub;"
	done
done
if [ -z "$missing" ]; then
	ok "every subcommand of waypostctl(8) (${#subcommands[@]} commands have some)"
else
	not_ok "subcommands not completed:$missing"
fi
global=""
while IFS= read -r line; do
	global+="$(options_of "$line")"
done < <(synopses OPTIONS)
expect "the options before the command (OPTIONS):${global% }" \
    "$global" waypostctl -

# Each command's options, as its synopsis names them, once its arguments
# are there. A command with options needs a line here.
declare -A sample=(
	["suspend"]="suspend alice@example.com"
	["audit"]="audit"
	["suppression list"]="suppression list app@example.com"
	["suppression add"]="suppression add bob@example.net"
	["suppression remove"]="suppression remove bob@example.net"
	["suppression why"]="suppression why bob@example.net"
	["message show"]="message show 4F3A21C0B2"
	["events follow"]="events follow"
	["top senders"]="top senders"
	["why"]="why alice@example.com alice@example.com bob@example.net"
	["source show"]="source show shared"
	["source suspend"]="source suspend 192.0.2.10"
	["source resume"]="source resume 192.0.2.10"
)
checked=0
wrong=""
for words in "${!synopsis[@]}"; do
	documented=$(options_of "${synopsis[$words]}")
	[ -n "$documented" ] || continue
	checked=$((checked + 1))
	if [ -z "${sample[$words]:-}" ]; then
		wrong+=" $words: no sample line in check-completion.sh;"
		continue
	fi
	# shellcheck disable=SC2086
	got=$(complete_words waypostctl ${sample[$words]} --)
	[ "$got" = "$documented" ] ||
	    wrong+=" $words: documented $documented, completed $got;"
done
if [ -z "$wrong" ] && [ "$checked" -ge 5 ]; then
	ok "the options of each of the $checked commands that have some"
else
	not_ok "the options of each command ($checked checked):$wrong"
fi
expect "an option given is not offered again" "--for" \
    waypostctl suspend alice@example.com --reason "spam complaint" ""
expect "--tenant and --any exclude each other" "--for --reason" \
    waypostctl suppression add bob@example.net --any ""
expect "--from and --since exclude each other" "--count --tenant" \
    waypostctl events follow --since 1h -
expect "no option before the arguments" "" waypostctl suspend -
expect "nothing for an option's value" "" \
    waypostctl events follow --tenant app@example.com --from ""
expect "top senders --window" "1h 24h" waypostctl top senders --window ""
expect "top senders --by" "messages recipients refusals" \
    waypostctl top senders --count 10 --by ""

# Limit and warm-up names from the file of -c.
config="$work/waypost.conf"
cat >"$config" <<'EOF'
[redis]
address = 127.0.0.1:6379
[limit "hourly"]
subject = sasl_username
[limit "per-sender"]
subject = sender
  [ limit  "daily-recipients" ]
[warmup "new-domains"]
EOF
expect "quota set: the limits of -c FILE" \
    "daily-recipients hourly per-sender" \
    waypostctl -c "$config" quota set alice@example.com ""
expect "quota reset: the limits of -cFILE, by their start" "per-sender" \
    waypostctl --json -c"$config" quota reset alice@example.com p
expect "warmup show: the warm-ups of -c FILE" "new-domains" \
    waypostctl -c "$config" warmup show ""
expect "quota clear: no limits from a file that is not there" "" \
    waypostctl -c "$work/none.conf" quota clear alice@example.com ""

# Files for -c and for secret_file=; the keys of webhook set.
: >"$work/webhook.secret"
expect "-c: files" "$config" waypostctl -c "$work/waypost.c"
keys=$(tr '\n' ' ' <"$top/hook/hook_config.c" |
    grep -o 'WEBHOOK_KEY( *"[a-z_]*"' | sed 's/.*"\(.*\)"/\1=/' |
    grep -v -e '^tenants=$' -e '^ca_file=$')
expect "webhook set: the keys of [webhook] but tenants and ca_file" \
    "$keys" waypostctl webhook set app@example.com url = https : //x ""
expect "webhook set: secret_file= is a file" "$work/webhook.secret" \
    waypostctl webhook set app@example.com secret_file = "$work/webhook.s"

if [ -s "$errors" ]; then
	not_ok "nothing on stderr, with no program to run"
	sed 's/^/#   /' "$errors"
else
	ok "nothing on stderr, with no program to run"
fi
[ "$number" -eq 22 ] || echo "# $number tests run, 22 planned"
exit 0
