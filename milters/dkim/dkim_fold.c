/*
 * NAME
 *	dkim_fold - fold the DKIM-Signature header at 78 columns
 * SYNOPSIS
 *	#include "dkim_sign.h"
 *
 *	void fold_start(fold, out, name_length)
 *	void fold_tag(fold, tag, value, last)
 *	void fold_append(fold, text)
 * DESCRIPTION
 *	Writes "tag=value;" items into out, separated by a space, breaking
 *	the line with CRLF TAB before an item that would pass column 78
 *	(RFC 5322's recommended limit; the header name and colon count on
 *	the first line). A value too long for any line is split where
 *	RFC 6376 allows folding white space: h= after a colon, bh= and b=
 *	(base64) anywhere. fold_append() continues the last value the
 *	same way: it adds the b= data after the signature is made.
 *
 *	The result uses CRLF; it is what simple header canonicalization
 *	hashes. The milter strips the CRs before handing the header to the
 *	MTA, which writes its own line ends.
 */
#include "config.h"

#include <string.h>

#include "dkim_sign.h"

#define FOLD_COLUMNS 78

static void
line_break(struct fold *fold)
{
	buffer_append(fold->out, "\r\n\t", 3);
	fold->column = 1;
}

/* Append text, breaking lines where split allows: ':' for h=, any byte
 * for base64; keep reserve columns free at the end (for a ';'). */
static void
append_splittable(
    struct fold *fold, const char *text, bool any_byte, size_t reserve)
{
	size_t length = strlen(text);
	size_t limit = FOLD_COLUMNS - reserve;

	while (length > 0) {
		size_t room = fold->column < limit ? limit - fold->column : 0;
		size_t take = length;

		if (take > room) {
			take = room;
			if (!any_byte) {
				while (take > 0 && text[take - 1] != ':')
					take--;
				if (take == 0 && fold->column > 1) {
					line_break(fold);
					continue;
				}
				if (take == 0)
					take =
					    strcspn(text, ":") +
					    (text[strcspn(text, ":")] == ':');
			}
			if (take == 0) {
				line_break(fold);
				continue;
			}
		}
		buffer_append(fold->out, text, take);
		fold->column += take;
		text += take;
		length -= take;
		if (length > 0)
			line_break(fold);
	}
}

void
fold_start(struct fold *fold, struct buffer *out, size_t name_length)
{
	fold->out = out;
	fold->column = name_length + 1; /* "Name:" */
}

void
fold_tag(struct fold *fold, const char *tag, const char *value, bool last)
{
	size_t item = strlen(tag) + 1 + strlen(value) + (last ? 0 : 1);
	bool splittable = strcmp(tag, "h") == 0 || strcmp(tag, "bh") == 0 ||
	                  strcmp(tag, "b") == 0;

	if (fold->column + 1 + item > FOLD_COLUMNS && fold->column > 1)
		line_break(fold);
	else {
		buffer_append_char(fold->out, ' ');
		fold->column++;
	}
	buffer_append_text(fold->out, tag);
	buffer_append_char(fold->out, '=');
	fold->column += strlen(tag) + 1;
	if (splittable)
		append_splittable(
		    fold, value, strcmp(tag, "h") != 0, last ? 0 : 1);
	else {
		buffer_append_text(fold->out, value);
		fold->column += strlen(value);
	}
	if (!last) {
		buffer_append_char(fold->out, ';');
		fold->column++;
	}
}

void
fold_append(struct fold *fold, const char *text)
{
	append_splittable(fold, text, true, 0);
}
