/*
 * NAME
 *	xmalloc - allocation that never returns failure
 * DESCRIPTION
 *	Thin wrappers around malloc(3) and friends. An allocation that fails
 *	ends the process through log_fatal(): a daemon that cannot allocate
 *	a few bytes cannot do anything useful, and every caller testing for
 *	NULL is a caller that can get it wrong.
 *
 *	xreallocarray() and xcalloc() refuse count * size overflows.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

static void
out_of_memory(size_t size)
{
	log_fatal("out of memory allocating %zu bytes", size);
}

void *
xmalloc(size_t size)
{
	void *pointer = malloc(size ? size : 1);

	if (pointer == NULL)
		out_of_memory(size);
	return pointer;
}

void *
xcalloc(size_t count, size_t size)
{
	void *pointer;

	if (count == 0 || size == 0)
		count = size = 1;
	pointer = calloc(count, size);
	if (pointer == NULL)
		out_of_memory(size);
	return pointer;
}

void *
xreallocarray(void *pointer, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		log_panic("xreallocarray: %zu * %zu overflows", count, size);
	if (count == 0 || size == 0)
		count = size = 1;
	pointer = realloc(pointer, count * size);
	if (pointer == NULL)
		out_of_memory(count * size);
	return pointer;
}

char *
xstrdup(const char *text)
{
	return xstrndup(text, strlen(text));
}

char *
xstrndup(const char *text, size_t length)
{
	char *copy;

	length = strnlen(text, length);
	copy = xmalloc(length + 1);
	memcpy(copy, text, length);
	copy[length] = '\0';
	return copy;
}
