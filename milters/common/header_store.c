/*
 * NAME
 *	header_store - one message's headers as the MTA sent them, within
 *	bounds
 * SYNOPSIS
 *	#include "header_store.h"
 *
 *	void header_store_init(store, limits, leading_space_sent)
 *	bool header_store_receive(store, name, value)
 *	void header_store_free(store)
 * DESCRIPTION
 *	What every Waypost milter keeps of a message's headers: each one
 *	as received, in order, the name and value in one allocation, the
 *	value with its leading space and its folds (struct header_field).
 *	The milter reads them at the end of the headers or of the message;
 *	waypost-headers plans its edits over them (header_list.c) and
 *	never changes them.
 *
 *	header_store_receive() refuses a header that would make more than
 *	limits.count_max headers, or more than limits.bytes_max bytes of
 *	names and values as the MTA sent them, and every header after it:
 *	over_limit tells the milter, whose own setting decides what the
 *	message gets. Each milter states its own limits.
 *
 *	Without SMFIP_HDR_LEADSPC (leading_space_sent false) the MTA drops
 *	the space after the colon; the store puts back the one space it
 *	almost always is, so every milter reads values the same way
 *	whatever was negotiated. That space is not counted in the bytes.
 * SECURITY
 *	Names and values come from the MTA's client: only copied, within
 *	the bounds, never parsed here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "header_store.h"
#include "xmalloc.h"

void
header_store_init(struct header_store *store,
    const struct header_limits *limits, bool leading_space_sent)
{
	memset(store, 0, sizeof(*store));
	store->limits = *limits;
	store->leading_space_sent = leading_space_sent;
}

static struct header_field *
append(struct header_store *store)
{
	if (store->count == store->capacity) {
		store->capacity = store->capacity ? 2 * store->capacity : 32;
		store->fields = xreallocarray(
		    store->fields, store->capacity, sizeof(*store->fields));
	}
	return &store->fields[store->count++];
}

bool
header_store_receive(
    struct header_store *store, const char *name, const char *value)
{
	size_t name_size = strlen(name) + 1, value_size = strlen(value) + 1;
	size_t bytes = name_size + value_size - 2;
	size_t space = store->leading_space_sent ? 0 : 1;
	struct header_field *field;

	if (store->over_limit || store->count == store->limits.count_max ||
	    bytes > store->limits.bytes_max - store->bytes) {
		store->over_limit = true;
		return false;
	}
	store->bytes += bytes;
	field = append(store);
	field->name = xmalloc(name_size + space + value_size);
	memcpy(field->name, name, name_size);
	field->value = field->name + name_size;
	if (space)
		field->value[0] = ' ';
	memcpy(field->value + space, value, value_size);
	return true;
}

void
header_store_free(struct header_store *store)
{
	for (size_t i = 0; i < store->count; i++)
		free(store->fields[i].name);
	free(store->fields);
	store->fields = NULL;
	store->count = store->capacity = store->bytes = 0;
	store->over_limit = false;
}
