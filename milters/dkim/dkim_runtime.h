/*
 * dkim_runtime.h - what a message signs with: settings and keys, swapped whole
 */
#ifndef WAYPOST_DKIM_RUNTIME_H
#define WAYPOST_DKIM_RUNTIME_H

#include <stdbool.h>

#include "config_file.h"
#include "dkim_canon.h"
#include "dkim_config.h"
#include "dkim_keyset.h"
#include "dkim_sign.h"
#include "swap_slot.h"

struct runtime {
	struct swap_item item; /* first: lib/daemon.c's slot holds this */
	const struct dkim_section *config; /* lives as long as this */
	enum canon_mode header_canon;
	enum canon_mode body_canon;
	size_t line_limit; /* smtp_line_length_limit; 0: none */
	struct header_policy policy;
	long long ttl_seconds;
	struct keyset *keyset;
};

bool key_owner_for(const struct dkim_section *config, struct key_owner *owner,
    char *error, size_t error_size);
struct runtime *runtime_build(
    const struct dkim_section *config, struct config_errors *errors);
struct runtime *runtime_acquire(void);
void runtime_release(struct runtime *runtime);

#endif
