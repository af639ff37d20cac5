/*
 * NAME
 *	text_copy - copy a string into a fixed-size array, cut if it must be
 * SYNOPSIS
 *	#include "text_copy.h"
 *
 *	size_t text_copy(char *to, size_t size, const char *from)
 * DESCRIPTION
 *	text_copy() copies from into to, at most size - 1 bytes of it, and
 *	NUL-terminates to when size > 0: what snprintf(to, size, "%s",
 *	from) does (and BSD's strlcpy(), which glibc 2.36 lacks), without
 *	printf's format machinery, which perf showed on waypost-policyd's
 *	path of every request.
 * RETURN VALUE
 *	The length of from: size or more means to holds a cut copy.
 */
#include "config.h"

#include <string.h>

#include "text_copy.h"

size_t
text_copy(char *to, size_t size, const char *from)
{
	size_t length = strlen(from);

	if (size > 0) {
		size_t copied = length < size ? length : size - 1;

		memcpy(to, from, copied);
		to[copied] = '\0';
	}
	return length;
}
