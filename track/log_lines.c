/*
 * NAME
 *	log_lines - cut the bytes read from a log into lines, in bounded memory
 * SYNOPSIS
 *	#include "log_lines.h"
 *
 *	void log_lines_init(lines, line, context)
 *	void log_lines_restart(lines, offset)
 *	char *log_lines_room(lines, room)
 *	void log_lines_added(lines, count)
 *	bool log_lines_hand_on(lines, name)
 *	void log_lines_finish(lines, name)
 *	void log_lines_free(lines)
 * DESCRIPTION
 *	One buffer of LOG_LINES_BUFFER_SIZE bytes holds the start of a line
 *	not yet complete, and the bytes read after it. The reader asks
 *	log_lines_room() where to read and how much fits, and reports what
 *	it read with log_lines_added(). log_lines_restart() empties the
 *	buffer for a file read from offset.
 *
 *	log_lines_hand_on() gives each complete line, without its newline
 *	and in place (no copy), to line() with the offset just after it.
 *	When line() returns false it stops there and returns false; the
 *	rest stays for the next call. A line longer than
 *	LOG_LINE_LENGTH_MAX is not handed on: it is skipped up to its
 *	newline, however many reads that takes, counted in skipped and
 *	logged with name (the file) and its offset; the line after it is
 *	read as usual. So the buffer never holds more than one longest line
 *	and one read, whatever the file holds.
 *
 *	log_lines_finish() is for a file that ends for good (rotated away,
 *	truncated, standard input closed): every line still in the buffer
 *	goes on, pause or not, then a last line without its newline goes on
 *	as it is, not lost. Postfix writes each record with one write, so a
 *	cut line means a writer died; the parser counts it as unknown.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "log_lines.h"
#include "xmalloc.h"

void
log_lines_init(struct log_lines *lines, log_lines_fn line, void *context)
{
	memset(lines, 0, sizeof(*lines));
	lines->buffer = xmalloc(LOG_LINES_BUFFER_SIZE);
	lines->line = line;
	lines->context = context;
}

void
log_lines_restart(struct log_lines *lines, uint64_t offset)
{
	lines->used = 0;
	lines->offset = offset;
	lines->skipping = false;
}

char *
log_lines_room(struct log_lines *lines, size_t *room)
{
	*room = LOG_LINES_BUFFER_SIZE - lines->used;
	return lines->buffer + lines->used;
}

void
log_lines_added(struct log_lines *lines, size_t count)
{
	lines->used += count;
}

static void
skip(struct log_lines *lines, const char *name, uint64_t offset)
{
	lines->skipped++;
	log_warning("%s: the line at offset %llu is longer than %d bytes: "
	            "skipped",
	    name, (unsigned long long)offset, LOG_LINE_LENGTH_MAX);
}

bool
log_lines_hand_on(struct log_lines *lines, const char *name)
{
	char *buffer = lines->buffer;
	size_t start = 0;
	bool going = true;

	while (going && start < lines->used) {
		char *newline =
		    memchr(buffer + start, '\n', lines->used - start);
		size_t length, next;

		if (newline == NULL)
			break;
		length = (size_t)(newline - (buffer + start));
		next = (size_t)(newline - buffer) + 1;
		if (lines->skipping)
			lines->skipping = false;
		else if (length > LOG_LINE_LENGTH_MAX)
			skip(lines, name, lines->offset + start);
		else
			going = lines->line(buffer + start, length,
			    lines->offset + next, lines->context);
		start = next;
	}
	/* No newline in sight: a line too long, or the rest of one. */
	if (going &&
	    (lines->skipping || lines->used - start > LOG_LINE_LENGTH_MAX)) {
		if (!lines->skipping)
			skip(lines, name, lines->offset + start);
		lines->skipping = true;
		start = lines->used;
	}
	memmove(buffer, buffer + start, lines->used - start);
	lines->used -= start;
	lines->offset += start;
	return going;
}

void
log_lines_finish(struct log_lines *lines, const char *name)
{
	while (
	    lines->used > 0 && memchr(lines->buffer, '\n', lines->used) != NULL)
		log_lines_hand_on(lines, name);
	if (lines->used > LOG_LINE_LENGTH_MAX && !lines->skipping)
		skip(lines, name, lines->offset);
	else if (lines->used > 0 && !lines->skipping)
		lines->line(lines->buffer, lines->used,
		    lines->offset + lines->used, lines->context);
	log_lines_restart(lines, lines->offset + lines->used);
}

void
log_lines_free(struct log_lines *lines)
{
	free(lines->buffer);
	lines->buffer = NULL;
}
