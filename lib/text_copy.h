/*
 * text_copy.h - copy a string into a fixed-size array, cut if it must be
 */
#ifndef WAYPOST_TEXT_COPY_H
#define WAYPOST_TEXT_COPY_H

#include <stddef.h>

size_t text_copy(char *to, size_t size, const char *from);

#endif
