/*
 * headers_runtime.h - the configuration messages use, swapped whole
 */
#ifndef WAYPOST_HEADERS_RUNTIME_H
#define WAYPOST_HEADERS_RUNTIME_H

#include "headers_config.h"
#include "identity_sources.h"
#include "swap_slot.h"

#define HEADERS_DOMAIN_MAX 255

struct headers_runtime {
	struct swap_item item; /* first: the slot holds this */
	const struct headers_section *config;
	struct headers_config *retired; /* freed with this runtime */
	char message_id_domain[HEADERS_DOMAIN_MAX + 1];
	char authserv_id[HEADERS_DOMAIN_MAX + 1];
	struct identity_sources identities;
};

void headers_runtime_install(
    const struct headers_config *config, struct headers_config *previous);
struct headers_runtime *headers_runtime_acquire(void);
void headers_runtime_release(struct headers_runtime *runtime);
void headers_runtime_shutdown(void);

#endif
