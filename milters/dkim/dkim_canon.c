/*
 * NAME
 *	dkim_canon - RFC 6376 canonicalization of headers and body
 * SYNOPSIS
 *	#include "dkim_canon.h"
 *
 *	void body_canon_init(canon, mode, sink, context)
 *	void body_canon_update(canon, data, length)
 *	void body_canon_final(canon)
 *	void canon_header(mode, name, value, out)
 * DESCRIPTION
 *	The body canonicalizer streams: it takes the body in chunks of any
 *	size, cut anywhere (even inside CRLF), and hands canonical bytes to
 *	sink in blocks of up to CANON_OUT_SIZE. Its memory does not
 *	grow with the body: a run of empty lines is a counter, released
 *	only when a non-empty line follows (trailing empty lines are
 *	ignored, RFC 6376 3.4.3 and 3.4.4).
 *
 *	simple: the body as it is; an empty body becomes one CRLF.
 *	relaxed: runs of SP and HTAB inside a line become one SP, and are
 *	dropped at the end of a line; an empty body stays empty.
 *	Either way a last line without CRLF gets one.
 *
 *	Line ends: CRLF is a line end, and so is a bare LF (Postfix sends
 *	CRLF; a bare LF would leave the relay as CRLF anyway). A CR not
 *	followed by LF is an ordinary byte.
 *
 *	canon_header() appends one canonical header line, CRLF
 *	included, to out. value is the field body as the milter gets it
 *	with SMFIP_HDR_LEADSPC: leading space kept, folded lines joined by
 *	LF or CRLF. simple writes "name:value" with every line break as
 *	CRLF; relaxed lowercases the name, unfolds, turns runs of SP and
 *	HTAB into one SP and removes them around the colon and at the end.
 */
#include "config.h"

#include <string.h>

#include "dkim_canon.h"

static void
flush(struct body_canon *canon)
{
	if (canon->out_used > 0) {
		canon->sink(canon->context, canon->out, canon->out_used);
		canon->out_used = 0;
	}
}

static void
emit(struct body_canon *canon, const char *data, size_t length)
{
	canon->emitted = true;
	while (length > 0) {
		size_t room = sizeof(canon->out) - canon->out_used;
		size_t take = length < room ? length : room;

		memcpy(canon->out + canon->out_used, data, take);
		canon->out_used += take;
		data += take;
		length -= take;
		if (canon->out_used == sizeof(canon->out))
			flush(canon);
	}
}

void
body_canon_init(struct body_canon *canon, enum canon_mode mode, canon_sink sink,
    void *context)
{
	memset(canon, 0, offsetof(struct body_canon, out));
	canon->mode = mode;
	canon->sink = sink;
	canon->context = context;
}

/* The first output byte of a line proves the empty lines before it inner. */
static void
start_content(struct body_canon *canon)
{
	if (canon->line_has_content)
		return;
	for (; canon->pending_lines > 0; canon->pending_lines--)
		emit(canon, "\r\n", 2);
	canon->line_has_content = true;
}

static void
end_line(struct body_canon *canon)
{
	if (canon->line_has_content)
		emit(canon, "\r\n", 2);
	else
		canon->pending_lines++;
	canon->line_has_content = false;
	canon->pending_space = false;
}

static void
content_byte(struct body_canon *canon, char byte)
{
	if (canon->mode == CANON_RELAXED) {
		if (byte == ' ' || byte == '\t') {
			canon->pending_space = true;
			return;
		}
		start_content(canon);
		if (canon->pending_space)
			emit(canon, " ", 1);
		canon->pending_space = false;
	} else {
		start_content(canon);
	}
	emit(canon, &byte, 1);
}

void
body_canon_update(struct body_canon *canon, const char *data, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		char byte = data[i];

		if (canon->pending_cr) {
			canon->pending_cr = false;
			if (byte == '\n') {
				end_line(canon);
				continue;
			}
			content_byte(canon, '\r');
		}
		if (byte == '\r')
			canon->pending_cr = true;
		else if (byte == '\n')
			end_line(canon);
		else
			content_byte(canon, byte);
	}
}

void
body_canon_final(struct body_canon *canon)
{
	if (canon->pending_cr) {
		canon->pending_cr = false;
		content_byte(canon, '\r');
	}
	if (canon->line_has_content)
		end_line(canon);
	if (!canon->emitted && canon->mode == CANON_SIMPLE)
		emit(canon, "\r\n", 2);
	flush(canon);
}

static void
header_simple(const char *name, const char *value, struct buffer *out)
{
	buffer_append_text(out, name);
	buffer_append_char(out, ':');
	for (const char *cursor = value; *cursor; cursor++) {
		if (*cursor == '\n' && (cursor == value || cursor[-1] != '\r'))
			buffer_append_char(out, '\r');
		buffer_append_char(out, *cursor);
	}
	buffer_append(out, "\r\n", 2);
}

static void
header_relaxed(const char *name, const char *value, struct buffer *out)
{
	size_t length = strlen(name);
	bool space = false, started = false;

	while (
	    length > 0 && (name[length - 1] == ' ' || name[length - 1] == '\t'))
		length--;
	for (size_t i = 0; i < length; i++) {
		char byte = name[i];

		buffer_append_char(out, byte >= 'A' && byte <= 'Z'
		                            ? (char)(byte - 'A' + 'a')
		                            : byte);
	}
	buffer_append_char(out, ':');
	for (const char *cursor = value; *cursor; cursor++) {
		if (*cursor == '\r' || *cursor == '\n')
			continue;
		if (*cursor == ' ' || *cursor == '\t') {
			space = started;
			continue;
		}
		if (space)
			buffer_append_char(out, ' ');
		space = false;
		started = true;
		buffer_append_char(out, *cursor);
	}
	buffer_append(out, "\r\n", 2);
}

void
canon_header(enum canon_mode mode, const char *name, const char *value,
    struct buffer *out)
{
	if (mode == CANON_RELAXED)
		header_relaxed(name, value, out);
	else
		header_simple(name, value, out);
}
