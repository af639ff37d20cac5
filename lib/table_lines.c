/*
 * NAME
 *	table_lines - read "key value..." lines of a table file
 * SYNOPSIS
 *	#include "table_lines.h"
 *
 *	void table_lines_init(lines, file, data, size, errors)
 *	bool table_lines_next(lines, &key, &rest)
 *	bool table_lines_next_pair(lines, &key, &value)
 * DESCRIPTION
 *	The files operators keep beside waypost.conf (OpenDKIM's KeyTable
 *	and SigningTable, the sender identities) are text files of lines
 *	that start with a key. "#" starts a comment at the start of a line
 *	or after white space; blank lines are ignored; a CR before the LF
 *	is dropped.
 *
 *	table_lines_next() returns the next line's key (its first word)
 *	and the rest, without the white space around it (possibly empty);
 *	table_lines_next_pair() wants exactly two words. Both return false
 *	at the end of the data. Lines they cannot use are skipped with an
 *	error naming the file and line, added to errors; the caller
 *	refuses a table with errors.
 *
 *	The strings returned point into lines, valid until the next call.
 * SECURITY
 *	Bounds: TABLE_LINE_MAX bytes per line; a NUL byte in a line is an
 *	error. The caller bounds the file's size and its entries.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "table_lines.h"

void
table_lines_init(struct table_lines *lines, const char *file, const char *data,
    size_t size, struct config_errors *errors)
{
	lines->file = file;
	lines->data = data;
	lines->size = size;
	lines->position = 0;
	lines->line = 0;
	lines->errors = errors;
	lines->text[0] = '\0';
}

/* The next line, comment removed, into lines->text; false at the end. */
static bool
next_text(struct table_lines *lines)
{
	while (lines->position < lines->size) {
		const char *start = lines->data + lines->position;
		const char *end =
		    memchr(start, '\n', lines->size - lines->position);
		size_t length =
		    end ? (size_t)(end - start) : lines->size - lines->position;

		lines->position += length + (end != NULL);
		lines->line++;
		if (length > 0 && start[length - 1] == '\r')
			length--;
		if (length > TABLE_LINE_MAX || memchr(start, '\0', length)) {
			config_errors_add(lines->errors,
			    "%s:%d: line longer than %d bytes or with a NUL byte",
			    lines->file, lines->line, TABLE_LINE_MAX);
			continue;
		}
		memcpy(lines->text, start, length);
		lines->text[length] = '\0';
		for (char *hash = lines->text;
		     (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == lines->text ||
			    isspace((unsigned char)hash[-1])) {
				*hash = '\0';
				break;
			}
		if (lines->text[strspn(lines->text, " \t")] != '\0')
			return true;
	}
	return false;
}

bool
table_lines_next(struct table_lines *lines, char **key, char **rest)
{
	char *cursor, *end;

	if (!next_text(lines))
		return false;
	cursor = lines->text + strspn(lines->text, " \t");
	*key = cursor;
	cursor += strcspn(cursor, " \t");
	if (*cursor != '\0')
		*cursor++ = '\0';
	cursor += strspn(cursor, " \t");
	end = cursor + strlen(cursor);
	while (end > cursor && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	*rest = cursor;
	return true;
}

bool
table_lines_next_pair(struct table_lines *lines, char **key, char **value)
{
	while (table_lines_next(lines, key, value)) {
		if ((*value)[0] != '\0' && strpbrk(*value, " \t") == NULL)
			return true;
		config_errors_add(lines->errors,
		    "%s:%d: expected two fields, \"key value\"", lines->file,
		    lines->line);
	}
	return false;
}
