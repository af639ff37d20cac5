/*
 * fuzz_dkim_canon.c - fuzz target: body and header canonicalization
 *
 * The first byte picks the mode and a chunk size, the second how many
 * times the rest is repeated (so bodies cross the canonicalizer's 8 KB
 * output buffer, which libFuzzer's short inputs alone would not); that
 * body is fed in chunks of that size, and whole: both must give
 * the same canonical bytes (the canonicalizer keeps state across chunk
 * boundaries, and a bug there is silent). The input is also split into
 * a header name and value for canon_header(). Finds out-of-bounds writes
 * in the output buffer and disagreements between chunkings.
 *
 * The body also goes through the line breaker (dkim_line_break.c) with
 * a limit from the second byte's high bits (2 to 1007 octets), whole
 * and in chunks: the two must agree, no output line may be longer than
 * the limit, and the output must be the input plus 3 octets (CRLF SP)
 * for each break that lines of that length need.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"
#include "dkim_line_break.h"
#include "fuzz.h"

static void
collect(void *context, const char *data, size_t length)
{
	buffer_append(context, data, length);
}

static void
canonicalize(enum canon_mode mode, const char *data, size_t size, size_t chunk,
    struct buffer *out)
{
	struct body_canon *canon = malloc(sizeof(*canon));

	if (canon == NULL)
		abort();
	body_canon_init(canon, mode, collect, out);
	for (size_t done = 0; done < size; done += chunk)
		body_canon_update(canon, data + done,
		    size - done < chunk ? size - done : chunk);
	body_canon_final(canon);
	free(canon);
}

static void
break_lines(size_t limit, const char *data, size_t size, size_t chunk,
    struct buffer *out)
{
	struct line_break lines;

	line_break_init(&lines, limit, collect, out);
	for (size_t done = 0; done < size; done += chunk)
		line_break_update(&lines, data + done,
		    size - done < chunk ? size - done : chunk);
	line_break_final(&lines);
}

/* Octets of each line, CR of a CRLF left out, as the breaker counts. */
static size_t
next_line(const char *data, size_t size, size_t *octets)
{
	const char *newline = memchr(data, '\n', size);
	size_t end = newline ? (size_t)(newline - data) : size;

	*octets = end > 0 && newline && data[end - 1] == '\r' ? end - 1 : end;
	return newline ? end + 1 : end;
}

static void
check_breaks(size_t limit, const char *data, size_t size, size_t chunk)
{
	struct buffer whole = {0}, pieces = {0};
	size_t breaks = 0, octets;

	break_lines(limit, data, size, size ? size : 1, &whole);
	break_lines(limit, data, size, chunk, &pieces);
	if (whole.length != pieces.length ||
	    (whole.length && memcmp(whole.data, pieces.data, whole.length)))
		abort(); /* the chunking changed the result */
	for (size_t at = 0; at < size;) {
		at += next_line(data + at, size - at, &octets);
		if (octets > limit)
			breaks += (octets - limit + limit - 2) / (limit - 1);
	}
	if (whole.length != size + 3 * breaks)
		abort(); /* a break too many or too few */
	for (size_t at = 0; at < whole.length;) {
		at += next_line(whole.data + at, whole.length - at, &octets);
		if (octets > limit)
			abort(); /* a line left too long */
	}
	buffer_free(&whole);
	buffer_free(&pieces);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer whole = {0}, pieces = {0}, header = {0}, body = {0};
	enum canon_mode mode;
	size_t chunk, repeats, limit;
	char *name, *value;

	if (size < 2)
		return 0;
	mode = (data[0] & 1) ? CANON_RELAXED : CANON_SIMPLE;
	chunk = (size_t)(data[0] >> 1) * 97 + 1;
	repeats = 1 + data[1] % 16;
	limit = (size_t)(data[1] >> 4) * 67 + 2;
	data += 2;
	size -= 2;
	for (size_t i = 0; i < repeats; i++)
		buffer_append(&body, data, size);
	canonicalize(mode, body.data ? body.data : "", body.length,
	    body.length ? body.length : 1, &whole);
	canonicalize(
	    mode, body.data ? body.data : "", body.length, chunk, &pieces);
	if (whole.length != pieces.length ||
	    (whole.length && memcmp(whole.data, pieces.data, whole.length)))
		abort(); /* the chunking changed the result */
	check_breaks(limit, body.data ? body.data : "", body.length, chunk);
	name = strndup((const char *)data, size < 40 ? size : 40);
	value = strndup((const char *)data + (size < 40 ? size : 40),
	    size < 40 ? 0 : size - 40);
	if (name != NULL && value != NULL)
		canon_header(mode, name, value, &header);
	free(name);
	free(value);
	buffer_free(&body);
	buffer_free(&whole);
	buffer_free(&pieces);
	buffer_free(&header);
	return 0;
}
