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
	if (length >= sizeof(canon->out)) {
		/* Long runs go to the hash as they are, without a copy. */
		flush(canon);
		canon->sink(canon->context, data, length);
		return;
	}
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

/* How each byte counts: 1 white space (relaxed reduces it), 2 a line end;
 * 0 everything else. */
static const unsigned char byte_class[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 2, ['\n'] = 2};

/* Where the run of bytes that starts at data[start] and that this mode
 * copies as they are ends: at a line end, and in relaxed mode at white
 * space. */
static size_t
run_end(enum canon_mode mode, const char *data, size_t start, size_t length)
{
	unsigned char stops = mode == CANON_RELAXED ? 1 | 2 : 2;
	size_t end = start + 1;

	while (end < length && !(byte_class[(unsigned char)data[end]] & stops))
		end++;
	return end;
}

/* A run of ordinary content bytes, handled as one. */
static void
content_run(struct body_canon *canon, const char *data, size_t length)
{
	start_content(canon);
	if (canon->pending_space)
		emit(canon, " ", 1);
	canon->pending_space = false;
	emit(canon, data, length);
}

/* Relaxed, inside a line that has content already (the common case):
 * one tight loop, straight into the output buffer. It stops at a line
 * end, or when the buffer is nearly full; it returns the bytes used.
 * Output is at most one byte per input byte, plus one carried space. */
static size_t
relaxed_inside_line(struct body_canon *canon, const char *data, size_t length)
{
	size_t room, limit, used;
	char *out = canon->out;
	unsigned space = canon->pending_space;
	size_t i;

	if (canon->out_used + 2 >= sizeof(canon->out))
		flush(canon);
	used = canon->out_used;
	room = sizeof(canon->out) - used - 2;
	limit = length < room ? length : room;

	/* Branch-free but for the line end: white space in mail text is too
	 * irregular for the branch predictor. Both bytes are written every
	 * time; "used" moves past them only when they count. */
	for (i = 0; i < limit; i++) {
		unsigned char byte = (unsigned char)data[i];
		unsigned kind = byte_class[byte];
		unsigned content = kind == 0;

		if (kind == 2)
			break;
		out[used] = ' ';
		used += space & content;
		out[used] = (char)byte;
		used += content;
		space = (space | (kind == 1)) & !content;
	}
	canon->pending_space = space;
	canon->out_used = used;
	if (canon->out_used > 0)
		canon->emitted = true;
	if (canon->out_used >= sizeof(canon->out) - 2)
		flush(canon);
	return i;
}

/* One step of the general rules: a CR, LF, white space or run. */
static size_t
general_step(struct body_canon *canon, const char *data, size_t length)
{
	unsigned char byte = (unsigned char)data[0];
	size_t end;

	if (canon->pending_cr) {
		canon->pending_cr = false;
		if (byte == '\n') {
			end_line(canon);
			return 1;
		}
		content_byte(canon, '\r');
	}
	if (byte == '\r' || byte == '\n' ||
	    (canon->mode == CANON_RELAXED && (byte == ' ' || byte == '\t'))) {
		if (byte == '\r')
			canon->pending_cr = true;
		else if (byte == '\n')
			end_line(canon);
		else
			canon->pending_space = true;
		return 1;
	}
	end = run_end(canon->mode, data, 0, length);
	content_run(canon, data, end);
	return end;
}

void
body_canon_update(struct body_canon *canon, const char *data, size_t length)
{
	size_t i = 0;

	while (i < length) {
		if (canon->mode == CANON_RELAXED && canon->line_has_content &&
		    !canon->pending_cr) {
			size_t used =
			    relaxed_inside_line(canon, data + i, length - i);

			i += used;
			if (used > 0)
				continue;
			if (i == length)
				break;
		}
		i += general_step(canon, data + i, length - i);
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
