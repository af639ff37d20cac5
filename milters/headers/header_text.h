/*
 * header_text.h - reading header values: unfold, trim, classify bytes
 */
#ifndef WAYPOST_HEADER_TEXT_H
#define WAYPOST_HEADER_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

void header_unfold(const char *value, struct buffer *out);
void header_unfold_trim(const char *value, struct buffer *out);
bool header_has_8bit(const char *text);
bool header_valid_utf8(const char *text);
bool header_is_address(const char *name);
bool header_is_unstructured(const char *name);
size_t header_longest_line(const char *name, const char *value);

#endif
