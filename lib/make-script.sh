#!/bin/sh
# make-script.sh - a Lua script as Redis runs it, as a C string
#
# usage: make-script.sh NAME CONTRACT SCRIPT... > NAME.c
#
# Writes the C definition of NAME[] (declared in NAME.h): every
# "#define SCRIPT_NAME VALUE" line of CONTRACT (the C header both sides
# read, e.g. policy/script_contract.h) as "local NAME = VALUE", then each
# SCRIPT in turn (policy's: Redis' clock, or a settable one for tests,
# then decide_script.lua). Run by make.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 NAME CONTRACT SCRIPT..." >&2; exit 2; }
name=$1
contract=$2
shift 2
tab=$(printf '\t')

echo "/* made from $(basename "$contract") and the script by make-script.sh */"
echo "#include \"$name.h\""
echo "const char $name[] ="
{
	sed -n "s/^#define SCRIPT_\([A-Z_]*\)[ $tab]*\([^ $tab/]*\).*/local \1 = \2/p" \
	    "$contract"
	cat "$@"
} | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/'
echo ';'
