/*
 * header_store.h - one message's headers as the MTA sent them, within bounds
 */
#ifndef WAYPOST_HEADER_STORE_H
#define WAYPOST_HEADER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "header_field.h"

/* A milter's bounds on one message's headers: beyond either, the store
 * refuses the header and every one after it. */
struct header_limits {
	size_t count_max; /* headers */
	size_t bytes_max; /* names and values, as the MTA sent them */
};

struct header_store {
	struct header_field *fields; /* value: leading space, folds kept */
	size_t count, capacity;
	size_t bytes; /* counted as the limits count them */
	struct header_limits limits;
	bool leading_space_sent; /* the MTA granted SMFIP_HDR_LEADSPC */
	bool over_limit;         /* a header was refused */
};

void header_store_init(struct header_store *store,
    const struct header_limits *limits, bool leading_space_sent);
bool header_store_receive(
    struct header_store *store, const char *name, const char *value);
void header_store_free(struct header_store *store);

#endif
