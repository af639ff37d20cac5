/*
 * message_file.h - split a message into header fields and body
 */
#ifndef WAYPOST_MESSAGE_FILE_H
#define WAYPOST_MESSAGE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "header_field.h"

struct message_file {
	struct header_field *headers; /* as a milter gets them: leading space */
	size_t header_count;
	char *body;
	size_t body_length;
	bool bare_lf; /* lines end in LF, not CRLF */
};

bool message_file_parse(
    const char *data, size_t size, struct message_file *message);
bool message_file_read(const char *path, struct message_file *message);
void message_file_free(struct message_file *message);
char *message_file_big_body(size_t size, unsigned seed);

#endif
