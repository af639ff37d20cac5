/*
 * NAME
 *	word_list - walk the words of a comma- or space-separated list
 * SYNOPSIS
 *	#include "word_list.h"
 *
 *	bool word_list_next(const char **cursor, const char **word,
 *			    size_t *length)
 * DESCRIPTION
 *	The one definition of a list in the configuration file: words
 *	separated by any run of commas, spaces and tabs, so "a, b c,d" and
 *	"a,b,c,d" are the same list and empty items do not exist.
 *
 *	word_list_next() sets word and length to the next word at or after
 *	*cursor and moves *cursor past it; it returns false at the end.
 */
#include "config.h"

#include <string.h>

#include "word_list.h"

static const char separators[] = ", \t";

bool
word_list_next(const char **cursor, const char **word, size_t *length)
{
	*cursor += strspn(*cursor, separators);
	if (**cursor == '\0')
		return false;
	*word = *cursor;
	*length = strcspn(*cursor, separators);
	*cursor += *length;
	return true;
}
