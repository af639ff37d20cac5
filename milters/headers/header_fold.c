/*
 * NAME
 *	header_fold - fold a header value into lines of bounded length
 * SYNOPSIS
 *	#include "header_fold.h"
 *
 *	bool header_fold(name_length, value, quotes, out, longest_word)
 * DESCRIPTION
 *	Unfolds value (the part after the colon, its leading space kept)
 *	and folds it again, greedily, so that each line is at most
 *	HEADER_LINE_TARGET octets where the words allow and never more
 *	than HEADER_LINE_MAX. A fold is a line break put before existing
 *	white space (RFC 5322 2.2.3), so unfolding gives back the same
 *	value: nothing is added or removed but the line breaks. With
 *	quotes, white space inside a quoted string is not a fold point.
 *	Folds are written as LF followed by the white space, the form the
 *	MTA stores (it writes CRLF on the wire).
 *
 *	Returns false when a single word (with the "Name:" before the
 *	first one) is longer than HEADER_LINE_MAX: the header cannot be
 *	folded. longest_word says how long the longest was.
 */
#include "config.h"

#include <string.h>

#include "header_fold.h"
#include "header_text.h"

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Where the word that starts at from (with its leading white space)
 * ends: at the next white space outside a quoted string that follows
 * something else, or at the end. */
static size_t
word_end(const char *text, size_t length, size_t from, bool quotes)
{
	bool quoted = false, seen = false;
	size_t at = from;

	for (; at < length; at++) {
		char c = text[at];

		if (quoted) {
			if (c == '\\' && at + 1 < length)
				at++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (is_space(c) && seen)
			break;
		if (!is_space(c))
			seen = true;
		if (c == '"' && quotes)
			quoted = true;
	}
	/* White space with nothing after it stays with its word. */
	while (at < length && is_space(text[at])) {
		size_t next = at;

		while (next < length && is_space(text[next]))
			next++;
		if (next < length)
			break;
		at = next;
	}
	return at;
}

bool
header_fold(size_t name_length, const char *value, bool quotes,
    struct buffer *out, size_t *longest_word)
{
	struct buffer flat = {0};
	size_t line = name_length + 1, at = 0, longest = 0;
	bool fits = true;

	header_unfold(value, &flat);
	buffer_append_text(out, "");
	while (at < flat.length) {
		size_t end = word_end(flat.data, flat.length, at, quotes);
		size_t length = end - at;
		size_t word = at == 0 ? length + line : length;

		longest = word > longest ? word : longest;
		if (at > 0 && line + length > HEADER_LINE_TARGET && line > 0) {
			buffer_append_char(out, '\n');
			line = 0;
		}
		buffer_append(out, flat.data + at, length);
		line += length;
		fits &= line <= HEADER_LINE_MAX;
		at = end;
	}
	buffer_free(&flat);
	if (longest_word != NULL)
		*longest_word = longest;
	return fits;
}
