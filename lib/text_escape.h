/*
 * text_escape.h - make untrusted bytes safe to print on one log line
 */
#ifndef WAYPOST_TEXT_ESCAPE_H
#define WAYPOST_TEXT_ESCAPE_H

#include <stddef.h>

size_t text_escape(
    char *out, size_t out_size, const char *in, size_t in_length);

#endif
