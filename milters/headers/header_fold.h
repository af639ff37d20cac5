/*
 * header_fold.h - fold a header value into lines of bounded length
 */
#ifndef WAYPOST_HEADER_FOLD_H
#define WAYPOST_HEADER_FOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

/* RFC 5322 2.1.1: lines SHOULD be at most 78 and MUST be at most 998
 * octets, CRLF excluded. */
#define HEADER_LINE_TARGET 78
#define HEADER_LINE_MAX    998

bool header_fold(size_t name_length, const char *value, bool quotes,
    struct buffer *out, size_t *longest_word);

#endif
