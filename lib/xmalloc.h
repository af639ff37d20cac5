/*
 * xmalloc.h - allocation that never returns failure
 *
 * Out of memory is a broken environment: the process logs a fatal error
 * and exits, so callers never test for NULL. Sizes are checked for
 * overflow before multiplication.
 */
#ifndef WAYPOST_XMALLOC_H
#define WAYPOST_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xreallocarray(void *pointer, size_t count, size_t size);
char *xstrdup(const char *text);
char *xstrndup(const char *text, size_t length);

#endif
