/*
 * fuzz.h - the libFuzzer entry point every fuzz target defines
 *
 * The same function is linked into two programs: the libFuzzer binary
 * (--enable-fuzzing, clang) and a plain replay program that runs it on
 * every file of the corpus, built by every compiler on every build.
 */
#ifndef WAYPOST_FUZZ_H
#define WAYPOST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
