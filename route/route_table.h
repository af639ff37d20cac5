/*
 * route_table.h - the pools and providers of one configuration, as a
 * route decision reads them
 */
#ifndef WAYPOST_ROUTE_TABLE_H
#define WAYPOST_ROUTE_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_errors.h"
#include "route_config.h"
#include "swap_slot.h"

struct route_pool {
	const struct pool_section *section;
	char *sources_key;   /* lib/redis_keys.c's, under the prefix */
	char *suspended_key; /* the same */
	char *reserved_key;  /* the same, with an empty day */
	char *settled_key;   /* the same */
	char (*transports)[ROUTE_TRANSPORT_MAX]; /* one per address */
	/* Per [provider] in the file's order, then "other": the daily caps
	 * of its schedule as route_script.lua takes them (route_contract.h:
	 * words joined by spaces, "" for no cap). */
	char **caps;
};

struct route_table {
	struct swap_item item; /* first: lib/daemon.c's slot holds this */
	const struct route_config *config;
	size_t pool_count;
	struct route_pool *pools;
	bool knows_mx; /* a provider lists MX host suffixes */
};

struct swap_item *route_table_build(
    const void *config, struct config_errors *errors);
const struct route_pool *route_table_pool(
    const struct route_table *table, const char *sender);
const struct provider_section *route_table_provider(
    const struct route_table *table, const char *domain);
size_t route_table_provider_index(
    const struct route_table *table, const struct provider_section *provider);
const struct provider_section *route_table_provider_by_mx(
    const struct route_table *table, const char *const *hosts, size_t count);
const struct route_pool *route_table_source(
    const struct route_table *table, const char *service, size_t *address);

#endif
