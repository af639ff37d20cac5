/*
 * identity_sources.h - what an authenticated user may send as, for rule 2
 */
#ifndef WAYPOST_IDENTITY_SOURCES_H
#define WAYPOST_IDENTITY_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"
#include "headers_config.h"
#include "redis_pool.h"
#include "rules.h"
#include "sender_identity.h"

struct identity_sources {
	bool open;
	bool has_file;
	struct identity_file file;
	struct redis_pool *redis; /* NULL: no Redis lookups */
	char *key_prefix;
};

bool identity_sources_open(struct identity_sources *sources,
    const struct headers_config *config, struct config_errors *errors);
enum identity_answer identity_sources_owns(void *sources, const char *user,
    const struct identity_address *addresses, size_t count, size_t *first,
    char *why, size_t why_size);
void identity_sources_probe(const struct identity_sources *sources);
void identity_sources_close(struct identity_sources *sources);

#endif
