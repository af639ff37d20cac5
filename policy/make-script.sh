#!/bin/sh
# make-script.sh - decide_script.lua as Redis runs it, as a C string
#
# usage: make-script.sh CONTRACT CLOCK SCRIPT > decide_script.c
#
# Writes the C definition of decide_script[]: every "#define SCRIPT_NAME
# VALUE" line of CONTRACT (policy/script_contract.h) as "local NAME =
# VALUE", then CLOCK (the function clock_ms(): Redis' TIME for the daemon,
# a settable clock for tests), then SCRIPT. Run by make.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 CONTRACT CLOCK SCRIPT" >&2; exit 2; }
contract=$1
clock=$2
script=$3
tab=$(printf '\t')

echo "/* made from $(basename "$script") by make-script.sh */"
echo '#include "decide_script.h"'
echo 'const char decide_script[] ='
{
	sed -n "s/^#define SCRIPT_\([A-Z_]*\)[ $tab]*\([^ $tab/]*\).*/local \1 = \2/p" \
	    "$contract"
	cat "$clock" "$script"
} | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/'
echo ';'
