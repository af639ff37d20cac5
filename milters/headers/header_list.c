/*
 * NAME
 *	header_list - one message's headers and the edits planned for them
 * SYNOPSIS
 *	#include "header_list.h"
 *
 *	void header_list_init(list, received)
 *	void header_list_insert(list, name, value)
 *	void header_list_change(list, at, value)
 *	void header_list_delete(list, at)
 *	bool header_list_send_operations(list, send, context)
 *	void header_list_render(list, out)
 * DESCRIPTION
 *	The rules of waypost-headers read and edit this list, never the
 *	MTA. header_list_init() makes it over the headers a message's
 *	store received (milters/common/header_store.c, within
 *	header_list_limits), which it never changes: each received header
 *	keeps its original value there, and an edit only marks it (deleted,
 *	or a new value). Headers a rule adds are kept after the received
 *	ones. The store must outlive the list.
 *
 *	header_list_send_operations() turns the plan into milter requests,
 *	passed to send() one by one until it returns false, in the
 *	one order that keeps every index right: changes and deletions from
 *	the last header up (a deletion renumbers the same-named headers
 *	after it: deleting forward removed the wrong header in OpenDKIM,
 *	CVE-2022-48521), then the inserts at HEADER_INSERT_INDEX, last
 *	first, so they read in the order the rules added them.
 *
 *	header_list_render() writes the headers as Postfix holds them after
 *	those requests, "Name:value" lines, without its own Received header
 *	(which is where index 0 is): what the unit tests compare.
 *
 *	Names match case-insensitively, and whitespace a client left before
 *	the colon ("From :", obsolete RFC 822 syntax) does not count.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header_list.h"
#include "xmalloc.h"

const struct header_limits header_list_limits = {
    HEADER_LIST_COUNT_MAX, HEADER_LIST_BYTES_MAX};

/* Room for the received headers and a few a rule adds. */
#define INSERTED_ROOM 8

void
header_list_init(struct header_list *list, const struct header_store *received)
{
	memset(list, 0, sizeof(*list));
	list->capacity = received->count + INSERTED_ROOM;
	list->items = xcalloc(list->capacity, sizeof(*list->items));
	for (size_t i = 0; i < received->count; i++) {
		list->items[i].name = received->fields[i].name;
		list->items[i].value = received->fields[i].value;
	}
	list->count = list->received = received->count;
}

void
header_list_free(struct header_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i].inserted)
			free(list->items[i].name);
		free(list->items[i].new_value);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}

static size_t
name_length(const char *name)
{
	size_t length = strlen(name);

	while (
	    length > 0 && (name[length - 1] == ' ' || name[length - 1] == '\t'))
		length--;
	return length;
}

bool
header_list_is(const struct header *header, const char *name)
{
	size_t length = strlen(name);

	return name_length(header->name) == length &&
	       strncasecmp(header->name, name, length) == 0;
}

void
header_list_insert(
    struct header_list *list, const char *name, const char *value)
{
	size_t name_size = strlen(name) + 1, value_size = strlen(value) + 1;
	struct header *header;

	if (list->count == list->capacity) {
		list->capacity = list->capacity ? 2 * list->capacity : 32;
		list->items = xreallocarray(
		    list->items, list->capacity, sizeof(*list->items));
	}
	header = &list->items[list->count++];
	list->edits++;
	memset(header, 0, sizeof(*header));
	header->name = xmalloc(name_size + value_size);
	memcpy(header->name, name, name_size);
	header->value = header->name + name_size;
	memcpy(header->value, value, value_size);
	header->inserted = true;
}

void
header_list_change(struct header_list *list, size_t at, const char *value)
{
	struct header *header = &list->items[at];

	free(header->new_value);
	header->new_value = xstrdup(value);
	list->edits++;
}

void
header_list_delete(struct header_list *list, size_t at)
{
	list->items[at].deleted = true;
	list->edits++;
}

const char *
header_list_value(const struct header_list *list, size_t at)
{
	const struct header *header = &list->items[at];

	return header->new_value ? header->new_value : header->value;
}

size_t
header_list_find(const struct header_list *list, const char *name, size_t from)
{
	for (size_t i = from; i < list->count; i++)
		if (!list->items[i].deleted &&
		    header_list_is(&list->items[i], name))
			return i;
	return HEADER_NOT_FOUND;
}

size_t
header_list_count_named(const struct header_list *list, const char *name)
{
	size_t count = 0;

	for (size_t i = 0; i < list->count; i++)
		count += !list->items[i].deleted &&
		         header_list_is(&list->items[i], name);
	return count;
}

/* The milter protocol names a header by its name and its place among
 * the received headers of that name, counted from 1. Worked out only
 * for the headers that change: most messages change few or none. */
static unsigned
occurrence(const struct header_list *list, size_t at)
{
	const char *name = list->items[at].name;
	size_t length = name_length(name);
	unsigned count = 1;

	for (size_t i = 0; i < at; i++)
		count += name_length(list->items[i].name) == length &&
		         strncasecmp(list->items[i].name, name, length) == 0;
	return count;
}

bool
header_list_send_operations(
    const struct header_list *list, header_operation_send send, void *context)
{
	struct header_operation operation;

	for (size_t i = list->received; i-- > 0;) {
		const struct header *header = &list->items[i];

		if (!header->deleted && header->new_value == NULL)
			continue;
		operation = (struct header_operation){HEADER_OPERATION_CHANGE,
		    occurrence(list, i), header->name,
		    header->deleted ? "" : header->new_value};
		if (!send(context, &operation))
			return false;
	}
	for (size_t i = list->count; i-- > list->received;) {
		const struct header *header = &list->items[i];

		if (header->deleted)
			continue;
		operation = (struct header_operation){HEADER_OPERATION_INSERT,
		    HEADER_INSERT_INDEX, header->name,
		    header_list_value(list, i)};
		if (!send(context, &operation))
			return false;
	}
	return true;
}

static void
render_one(const struct header_list *list, size_t at, struct buffer *out)
{
	buffer_printf(
	    out, "%s:%s\n", list->items[at].name, header_list_value(list, at));
}

void
header_list_render(const struct header_list *list, struct buffer *out)
{
	/* Index HEADER_INSERT_INDEX is just below Postfix's hidden Received
	 * header: above every header the milter saw. */
	for (size_t i = list->received; i < list->count; i++)
		if (!list->items[i].deleted)
			render_one(list, i, out);
	for (size_t at = 0; at < list->received; at++)
		if (!list->items[at].deleted)
			render_one(list, at, out);
	if (out->data == NULL)
		buffer_append_text(out, "");
}
