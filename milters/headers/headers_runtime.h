/*
 * headers_runtime.h - the configuration messages use, swapped whole
 */
#ifndef WAYPOST_HEADERS_RUNTIME_H
#define WAYPOST_HEADERS_RUNTIME_H

#include "config_file.h"
#include "headers_config.h"
#include "identity_sources.h"
#include "swap_slot.h"

#define HEADERS_DOMAIN_MAX 255

struct headers_runtime {
	struct swap_item item; /* first: lib/daemon.c's slot holds this */
	const struct headers_section *config; /* lives as long as this */
	char message_id_domain[HEADERS_DOMAIN_MAX + 1];
	char authserv_id[HEADERS_DOMAIN_MAX + 1];
	struct identity_sources identities;
};

struct swap_item *headers_runtime_build(
    const void *config, struct config_errors *errors);

#endif
