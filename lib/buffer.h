/*
 * buffer.h - a growable byte buffer, always NUL-terminated
 */
#ifndef WAYPOST_BUFFER_H
#define WAYPOST_BUFFER_H

#include <stdarg.h>
#include <stddef.h>

struct buffer {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t length;
	size_t capacity;
};

void buffer_append(struct buffer *buffer, const void *data, size_t length);
void buffer_append_text(struct buffer *buffer, const char *text);
void buffer_append_char(struct buffer *buffer, char byte);
void buffer_printf(struct buffer *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void buffer_vprintf(struct buffer *buffer, const char *format,
    va_list arguments) __attribute__((format(printf, 2, 0)));
void buffer_reset(struct buffer *buffer);
void buffer_free(struct buffer *buffer);
const char *buffer_text(const struct buffer *buffer);

#endif
