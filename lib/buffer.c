/*
 * NAME
 *	buffer - a growable byte buffer, always NUL-terminated
 * SYNOPSIS
 *	#include "buffer.h"
 *
 *	struct buffer b = {0};
 *	buffer_append(&b, data, length); buffer_printf(&b, "%d", n);
 *	buffer_vprintf(&b, format, arguments);
 *	buffer_text(&b); buffer_reset(&b); buffer_free(&b);
 * DESCRIPTION
 *	Postfix's VSTRING in miniature: appends grow the storage (doubling,
 *	with overflow checks in xreallocarray()), the content may hold any
 *	bytes and is followed by a NUL so text can be used as a C string.
 *	buffer_reset() empties it and keeps the storage for reuse.
 *
 *	A buffer does not bound itself: callers that store peer input
 *	check their own limit before appending.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "log.h"
#include "xmalloc.h"

static void
reserve(struct buffer *buffer, size_t more)
{
	size_t needed = buffer->length + more + 1;
	size_t capacity = buffer->capacity ? buffer->capacity : 64;

	if (needed < buffer->length)
		log_panic("buffer: length overflow");
	if (needed <= buffer->capacity)
		return;
	while (capacity < needed) {
		if (capacity > (size_t)-1 / 2)
			log_panic("buffer: length overflow");
		capacity *= 2;
	}
	buffer->data = xreallocarray(buffer->data, capacity, 1);
	buffer->capacity = capacity;
}

void
buffer_append(struct buffer *buffer, const void *data, size_t length)
{
	reserve(buffer, length);
	if (length > 0)
		memcpy(buffer->data + buffer->length, data, length);
	buffer->length += length;
	buffer->data[buffer->length] = '\0';
}

void
buffer_append_text(struct buffer *buffer, const char *text)
{
	buffer_append(buffer, text, strlen(text));
}

void
buffer_append_char(struct buffer *buffer, char byte)
{
	reserve(buffer, 1);
	buffer->data[buffer->length++] = byte;
	buffer->data[buffer->length] = '\0';
}

void
buffer_vprintf(struct buffer *buffer, const char *format, va_list arguments)
{
	va_list again;
	int length;
	size_t room;

	reserve(buffer, 64);
	room = buffer->capacity - buffer->length;
	va_copy(again, arguments);
	length =
	    vsnprintf(buffer->data + buffer->length, room, format, arguments);
	if (length < 0)
		log_panic("buffer_printf: bad format \"%s\"", format);
	if ((size_t)length >= room) {
		reserve(buffer, (size_t)length);
		vsnprintf(buffer->data + buffer->length, (size_t)length + 1,
		    format, again);
	}
	va_end(again);
	buffer->length += (size_t)length;
}

void
buffer_printf(struct buffer *buffer, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	buffer_vprintf(buffer, format, ap);
	va_end(ap);
}

void
buffer_reset(struct buffer *buffer)
{
	buffer->length = 0;
	if (buffer->data)
		buffer->data[0] = '\0';
}

void
buffer_free(struct buffer *buffer)
{
	free(buffer->data);
	buffer->data = NULL;
	buffer->length = buffer->capacity = 0;
}

const char *
buffer_text(const struct buffer *buffer)
{
	return buffer->data ? buffer->data : "";
}
