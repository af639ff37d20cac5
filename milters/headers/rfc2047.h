/*
 * rfc2047.h - RFC 2047 encoded-words for 8-bit header text
 */
#ifndef WAYPOST_RFC2047_H
#define WAYPOST_RFC2047_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

/* RFC 2047 2: an encoded-word is at most 75 octets. Ours are shorter,
 * so "Subject: " and one word fit the 78 octets of a line. */
#define RFC2047_WORD_MAX 66

void rfc2047_encode_words(const char *text, size_t length, struct buffer *out);
void rfc2047_encode_unstructured(const char *text, struct buffer *out);

#endif
