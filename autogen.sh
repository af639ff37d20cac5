#!/bin/sh
# autogen.sh - generate configure and Makefile.in from a git checkout
#
# Run once after cloning; release tarballs (make dist) already contain the
# generated files. Needs autoconf, automake and pkg-config (for its m4 macros).
set -eu
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf --force --install --verbose
