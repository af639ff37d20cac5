/*
 * NAME
 *	message_file - split a message into header fields and body
 * DESCRIPTION
 *	Splits a message the way an MTA hands it to a milter: each header
 *	as name and value (the value with its leading space and its folds,
 *	as SMFIP_HDR_LEADSPC delivers them), then the body bytes. A message
 *	whose first line ends in a bare LF is taken to use bare LF
 *	throughout. Used by waypost-milter-load and by the DKIM tests.
 *
 *	It is lenient on purpose, because the load tool also sends broken
 *	mail to see what a filter does with it: a header line without a
 *	colon becomes a field with that line as its name and an empty
 *	value; a first line that starts with white space is such a field
 *	too.
 *
 *	message_file_big_body() makes bodies of megabytes that are not worth
 *	committing: lines of varied length and white space, with empty
 *	lines, ending in CRLF, deterministic for a seed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "message_file.h"
#include "xmalloc.h"

#define MESSAGE_FILE_MAX (64 * 1024 * 1024)

static void
add_header(struct message_file *message, const char *line, size_t length)
{
	const char *colon = memchr(line, ':', length);
	struct header_field *header;
	size_t name_length = colon ? (size_t)(colon - line) : length;

	message->headers = xreallocarray(message->headers,
	    message->header_count + 1, sizeof(*message->headers));
	header = &message->headers[message->header_count++];
	header->name = xstrndup(line, name_length);
	header->value =
	    colon ? xstrndup(colon + 1, length - name_length - 1) : xstrdup("");
}

static void
continue_header(struct message_file *message, const char *ending,
    const char *line, size_t length)
{
	struct header_field *header =
	    &message->headers[message->header_count - 1];
	size_t old = strlen(header->value);

	header->value =
	    xreallocarray(header->value, old + strlen(ending) + length + 1, 1);
	strcpy(header->value + old, ending);
	memcpy(header->value + old + strlen(ending), line, length);
	header->value[old + strlen(ending) + length] = '\0';
}

bool
message_file_parse(const char *data, size_t size, struct message_file *message)
{
	const char *cursor = data, *end = data + size;
	const char *first = memchr(data, '\n', size);
	const char *ending;

	memset(message, 0, sizeof(*message));
	message->bare_lf =
	    first != NULL && (first == data || first[-1] != '\r');
	ending = message->bare_lf ? "\n" : "\r\n";
	while (cursor < end) {
		const char *newline =
		    memchr(cursor, '\n', (size_t)(end - cursor));
		size_t length = newline ? (size_t)(newline - cursor)
		                        : (size_t)(end - cursor);
		const char *next = newline ? newline + 1 : end;

		if (!message->bare_lf && length > 0 &&
		    cursor[length - 1] == '\r')
			length--;
		if (length == 0) {
			cursor = next;
			break; /* the empty line: the body follows */
		}
		if ((*cursor == ' ' || *cursor == '\t') &&
		    message->header_count > 0)
			continue_header(message, ending, cursor, length);
		else
			add_header(message, cursor, length);
		cursor = next;
	}
	message->body_length = (size_t)(end - cursor);
	message->body = xmalloc(message->body_length + 1);
	memcpy(message->body, cursor, message->body_length);
	message->body[message->body_length] = '\0';
	return true;
}

bool
message_file_read(const char *path, struct message_file *message)
{
	struct stat st;
	char error[256];
	size_t size;
	char *data =
	    file_read(path, MESSAGE_FILE_MAX, &size, &st, error, sizeof(error));
	bool ok;

	if (data == NULL) {
		fprintf(stderr, "%s\n", error);
		return false;
	}
	ok = message_file_parse(data, size, message);
	free(data);
	return ok;
}

void
message_file_free(struct message_file *message)
{
	for (size_t i = 0; i < message->header_count; i++) {
		free(message->headers[i].name);
		free(message->headers[i].value);
	}
	free(message->headers);
	free(message->body);
	memset(message, 0, sizeof(*message));
}

char *
message_file_big_body(size_t size, unsigned seed)
{
	char *body = xmalloc(size + 1);
	size_t used = 0, end = size >= 2 ? size - 2 : size;
	unsigned state = seed * 2654435761u + 1;

	/* Lines up to end, then a final CRLF, as an MTA always sends. */
	while (used < end) {
		size_t line = (state >> 8) % 200;
		bool blank = (state & 0xf) == 0;

		for (size_t i = 0; i < line && used < end && !blank; i++) {
			state = state * 1103515245u + 12345u;
			body[used++] = (state >> 16) % 7 == 0 ? ' '
			               : (state >> 16) % 11 == 0
			                   ? '\t'
			                   : (char)('a' + (state >> 16) % 26);
		}
		if (used + 2 <= end) {
			body[used++] = '\r';
			body[used++] = '\n';
		} else if (used < end)
			body[used++] = 'x';
		state = state * 1103515245u + 12345u;
	}
	if (end < size) {
		body[used++] = '\r';
		body[used++] = '\n';
	}
	body[size] = '\0';
	return body;
}
