/*
 * NAME
 *	dkim_line_break - body lines broken as Postfix's SMTP client sends them
 * SYNOPSIS
 *	#include "dkim_line_break.h"
 *
 *	void line_break_init(lines, limit, sink, context)
 *	void line_break_update(lines, data, length)
 *	void line_break_final(lines)
 * DESCRIPTION
 *	Postfix's SMTP client sends a line longer than
 *	smtp_line_length_limit (998 octets by default) as several: the
 *	first limit octets, then CRLF, a space and the next limit - 1
 *	octets, and so on (smtp_text_out() in Postfix's smtp_proto.c).
 *	The milter sees the line whole, so a signature over what it sees
 *	would not verify at the receiver. This stage sits in front of
 *	the body canonicalizer and makes the same breaks, so what is
 *	signed is what leaves: a line of exactly limit octets is left
 *	alone, a longer one gets CRLF SP after each full piece that more
 *	octets follow.
 *
 *	Line ends are those of dkim_canon.c: CRLF or a bare LF, passed on
 *	as they are; a CR not followed by LF is an ordinary octet and
 *	counts. Chunks may be cut anywhere, even inside CRLF: a CR that
 *	ends a chunk waits for the next one. With limit 0 bytes pass as
 *	they are. Nothing is stored but that one CR.
 */
#include "config.h"

#include <string.h>

#include "dkim_line_break.h"

void
line_break_init(
    struct line_break *lines, size_t limit, canon_sink sink, void *context)
{
	lines->limit = limit;
	lines->column = 0;
	lines->pending_cr = false;
	lines->sink = sink;
	lines->context = context;
}

/* A line is full: the break Postfix makes before its next octet. */
static void
line_full(struct line_break *lines)
{
	lines->sink(lines->context, "\r\n ", 3);
	lines->column = 1;
}

/* An octet passed on alone: a CR kept back that was not a line end. */
static void
lone_octet(struct line_break *lines, const char *octet)
{
	if (lines->column == lines->limit)
		line_full(lines);
	lines->sink(lines->context, octet, 1);
	lines->column++;
}

/*
 * length octets inside a line at data, which follows *run (octets not yet
 * passed on) directly. A line that fits only moves the column, so that
 * ordinary lines go on in one call of the sink; one that does not is
 * passed on piece by piece, with its breaks, and *run moves past it.
 */
static void
inside_line(
    struct line_break *lines, const char **run, const char *data, size_t length)
{
	size_t take;

	if (lines->column + length <= lines->limit) {
		lines->column += length;
		return;
	}
	take = lines->limit - lines->column;
	lines->sink(lines->context, *run, (size_t)(data - *run) + take);
	data += take;
	length -= take;
	while (length > 0) {
		line_full(lines);
		take = length < lines->limit - 1 ? length : lines->limit - 1;
		lines->sink(lines->context, data, take);
		lines->column += take;
		data += take;
		length -= take;
	}
	*run = data;
}

void
line_break_update(struct line_break *lines, const char *data, size_t length)
{
	const char *run, *end = data + length;

	if (lines->limit == 0) {
		lines->sink(lines->context, data, length);
		return;
	}
	if (length == 0)
		return;
	if (lines->pending_cr) {
		lines->pending_cr = false;
		if (data[0] == '\n') {
			lines->sink(lines->context, "\r\n", 2);
			lines->column = 0;
			data++;
		} else
			lone_octet(lines, "\r");
	}
	run = data;
	while (data < end) {
		const char *newline = memchr(data, '\n', (size_t)(end - data));
		size_t inside;

		if (newline == NULL) {
			inside = (size_t)(end - data);
			if (end[-1] == '\r') {
				lines->pending_cr = true;
				inside--;
			}
			inside_line(lines, &run, data, inside);
			end -= lines->pending_cr;
			break;
		}
		inside = (size_t)(newline - data);
		if (inside > 0 && newline[-1] == '\r')
			inside--;
		inside_line(lines, &run, data, inside);
		lines->column = 0;
		data = newline + 1;
	}
	if (end > run)
		lines->sink(lines->context, run, (size_t)(end - run));
}

void
line_break_final(struct line_break *lines)
{
	if (lines->pending_cr) {
		lines->pending_cr = false;
		lone_octet(lines, "\r");
	}
}
