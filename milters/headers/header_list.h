/*
 * header_list.h - one message's headers and the edits planned for them
 */
#ifndef WAYPOST_HEADER_LIST_H
#define WAYPOST_HEADER_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "header_store.h"

/* Bounds on what one message's headers may hold (its header_store);
 * beyond them the message gets on_oversize, unchanged. */
#define HEADER_LIST_COUNT_MAX 1000
#define HEADER_LIST_BYTES_MAX (512 * 1024)

struct header {
	char *name;      /* received: the store's; inserted: one allocation */
	char *value;     /* leading space and folds kept */
	char *new_value; /* planned replacement, or NULL */
	bool deleted;
	bool inserted; /* ours: added by a rule */
};

struct header_list {
	struct header *items;
	size_t count, capacity;
	size_t received; /* the first received ones; then the inserted */
	size_t edits;    /* inserts, changes and deletions planned so far */
};

/* One edit as the milter protocol expresses it. */
enum header_operation_kind {
	HEADER_OPERATION_CHANGE, /* value NULL: delete */
	HEADER_OPERATION_INSERT,
};

struct header_operation {
	enum header_operation_kind kind;
	unsigned index; /* CHANGE: occurrence of name; INSERT: position */
	const char *name;
	const char *value;
};

/* Where inserted headers go. Postfix counts its own Received header,
 * which it does not show milters, as index 0: index 1 puts them just
 * below it, above the first header the milter saw, and keeps that
 * Received header first (measured with Postfix 3.7). */
#define HEADER_INSERT_INDEX 1

extern const struct header_limits header_list_limits;

void header_list_init(
    struct header_list *list, const struct header_store *received);
void header_list_free(struct header_list *list);
void header_list_insert(
    struct header_list *list, const char *name, const char *value);
void header_list_change(struct header_list *list, size_t at, const char *value);
void header_list_delete(struct header_list *list, size_t at);
const char *header_list_value(const struct header_list *list, size_t at);
bool header_list_is(const struct header *header, const char *name);
size_t header_list_find(
    const struct header_list *list, const char *name, size_t from);
size_t header_list_count_named(
    const struct header_list *list, const char *name);
typedef bool (*header_operation_send)(
    void *context, const struct header_operation *operation);
bool header_list_send_operations(
    const struct header_list *list, header_operation_send send, void *context);
void header_list_render(const struct header_list *list, struct buffer *out);

#define HEADER_NOT_FOUND ((size_t)-1)

#endif
