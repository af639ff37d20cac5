/*
 * NAME
 *	route_table - the pools and providers of one configuration, as a
 *	route decision reads them
 * SYNOPSIS
 *	#include "route_table.h"
 *
 *	struct swap_item *route_table_build(config, errors)
 *	const struct route_pool *route_table_pool(table, sender)
 *	const struct provider_section *route_table_provider(table, domain)
 *	size_t route_table_provider_index(table, provider)
 *	const struct provider_section *route_table_provider_by_mx(table,
 *		hosts, count)
 *	const struct route_pool *route_table_source(table, service,
 *		address)
 * DESCRIPTION
 *	route_table_build() is waypost-routed's build() for lib/daemon.c:
 *	from a checked configuration, each pool with its Redis keys (the
 *	names are lib/redis_keys.c's), the Postfix transport of each
 *	address (route_config.c's name) and its caps at each provider in
 *	the words route_script.lua takes, made once here, not per lookup;
 *	and whether any provider lists MX host suffixes (knows_mx). A
 *	decision acquires the current table when it starts and releases it
 *	when it ends, so a lookup waiting for Redis finishes with the
 *	pools it started with.
 *
 *	route_table_pool() gives the pool a sender's mail goes through:
 *	the pool whose tenants name the sender's address, else its domain,
 *	else the pool of tenant "*"; NULL when none does (the null sender,
 *	"<>", has only "*"). Case does not matter.
 *
 *	route_table_provider() gives the provider whose domains hold
 *	domain, NULL for the others ("other").
 *
 *	route_table_provider_index() gives the index of a provider's caps
 *	in a pool (that of "other" for NULL). route_table_provider_by_mx()
 *	gives the first provider
 *	(in the file's order) one of whose suffixes ends one of hosts (a
 *	domain's MX hosts, lower case): "google.com" or ".google.com" is
 *	the end of "google.com" and of "aspmx.l.google.com", not of
 *	"notgoogle.com". NULL for none.
 *
 *	route_table_source() reads back a Postfix service name (a
 *	delivery's, as waypost-trackd records it): the pool holding the
 *	address whose transport it is (wp-ADDRESS, or wp-ADDRESS-PROVIDER
 *	of a shaped provider), the address's index in *address; NULL for
 *	any other service.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buffer.h"
#include "domain_list.h"
#include "redis_keys.h"
#include "route_contract.h"
#include "route_schedule.h"
#include "route_table.h"
#include "xmalloc.h"

static void
table_destroy(struct swap_item *item)
{
	struct route_table *table = (struct route_table *)item;

	for (size_t i = 0; i < table->pool_count; i++) {
		struct route_pool *pool = &table->pools[i];

		free(pool->sources_key);
		free(pool->suspended_key);
		free(pool->reserved_key);
		free(pool->settled_key);
		free(pool->transports);
		for (size_t j = 0;
		     pool->caps != NULL && j <= table->config->providers.count;
		     j++)
			free(pool->caps[j]);
		free(pool->caps);
	}
	free(table->pools);
	free(table);
}

static char *
key_of(const struct route_config *config, enum redis_key key, const char *pool)
{
	struct buffer name = {0};

	redis_key_append(&name, config->redis.prefix, key, pool,
	    redis_key_parts(key) == 2 ? "" : NULL);
	return name.data;
}

/* A schedule's caps as the script's word (route_contract.h). */
static char *
caps_word(const struct route_schedule *schedule)
{
	struct buffer word = {0};

	buffer_append_text(&word, "");
	for (size_t day = 0; schedule != NULL && day < schedule->count; day++)
		buffer_printf(&word, "%s%lld", day ? " " : "",
		    schedule->caps[day] == ROUTE_CAP_UNLIMITED
		        ? (long long)SCRIPT_UNLIMITED
		        : schedule->caps[day]);
	return word.data;
}

/* Each provider's caps in a pool, then those of "other". */
static bool
pool_caps(struct route_pool *pool, const struct config_instances *providers,
    char *error, size_t error_size)
{
	struct route_schedules schedules;

	if (!route_schedules_parse(
	        &pool->section->schedule, &schedules, error, error_size))
		return false;
	pool->caps = xcalloc(providers->count + 1, sizeof(*pool->caps));
	for (size_t i = 0; i <= providers->count; i++)
		pool->caps[i] = caps_word(route_schedules_find(&schedules,
		    i < providers->count
		        ? ((const struct provider_section *)providers->items[i])
		              ->name
		        : ROUTE_PROVIDER_OTHER));
	route_schedules_free(&schedules);
	return true;
}

struct swap_item *
route_table_build(const void *config_struct, struct config_errors *errors)
{
	const struct route_config *config = config_struct;
	struct route_table *table = xcalloc(1, sizeof(*table));
	char error[256];

	swap_item_init(&table->item, table_destroy);
	table->config = config;
	table->pools = xcalloc(config->pools.count + 1, sizeof(*table->pools));
	for (size_t i = 0; i < config->pools.count; i++) {
		const struct pool_section *section = config->pools.items[i];
		struct route_pool *pool = &table->pools[i];

		table->pool_count++;
		pool->section = section;
		pool->sources_key =
		    key_of(config, REDIS_KEY_SOURCES, section->name);
		pool->suspended_key =
		    key_of(config, REDIS_KEY_SOURCES_SUSPENDED, section->name);
		pool->reserved_key =
		    key_of(config, REDIS_KEY_SOURCES_RESERVED, section->name);
		pool->settled_key =
		    key_of(config, REDIS_KEY_SOURCES_SETTLED, section->name);
		pool->transports = xcalloc(
		    section->addresses.count + 1, sizeof(*pool->transports));
		for (size_t j = 0; j < section->addresses.count; j++)
			route_transport_name(section->addresses.items[j],
			    pool->transports[j], sizeof(pool->transports[j]));
		if (!pool_caps(
		        pool, &config->providers, error, sizeof(error))) {
			config_errors_add(errors, "[pool \"%s\"]: schedule: %s",
			    section->name, error);
			table_destroy(&table->item);
			return NULL;
		}
	}
	for (size_t i = 0; i < config->providers.count; i++)
		if (((const struct provider_section *)
		            config->providers.items[i])
		        ->mx.count > 0)
			table->knows_mx = true;
	return &table->item;
}

/* The pool whose tenants hold word exactly (case aside). */
static const struct route_pool *
pool_naming(const struct route_table *table, const char *word)
{
	for (size_t i = 0; i < table->pool_count; i++) {
		const struct config_list *tenants =
		    &table->pools[i].section->tenants;

		for (size_t j = 0; j < tenants->count; j++)
			if (strcasecmp(tenants->items[j], word) == 0)
				return &table->pools[i];
	}
	return NULL;
}

const struct route_pool *
route_table_pool(const struct route_table *table, const char *sender)
{
	const struct route_pool *pool = NULL;
	const char *at = strrchr(sender, '@');

	if (at != NULL && at != sender && at[1] != '\0') {
		pool = pool_naming(table, sender);
		if (pool == NULL)
			pool = pool_naming(table, at + 1);
	}
	return pool != NULL ? pool : pool_naming(table, "*");
}

const struct provider_section *
route_table_provider(const struct route_table *table, const char *domain)
{
	const struct config_instances *providers = &table->config->providers;

	for (size_t i = 0; i < providers->count; i++) {
		const struct provider_section *provider = providers->items[i];

		if (domain_list_match(
		        &provider->domains, domain, strlen(domain)))
			return provider;
	}
	return NULL;
}

size_t
route_table_provider_index(
    const struct route_table *table, const struct provider_section *provider)
{
	const struct config_instances *providers = &table->config->providers;
	size_t i = 0;

	while (i < providers->count && providers->items[i] != provider)
		i++;
	return i;
}

/* Whether host is suffix or ends with "." and suffix (a leading dot of
 * suffix aside), without regard to case. */
static bool
host_ends_with(const char *host, const char *suffix)
{
	size_t host_length = strlen(host), length;

	if (*suffix == '.')
		suffix++;
	length = strlen(suffix);
	if (host_length < length ||
	    strcasecmp(host + host_length - length, suffix) != 0)
		return false;
	return host_length == length || host[host_length - length - 1] == '.';
}

const struct provider_section *
route_table_provider_by_mx(
    const struct route_table *table, const char *const *hosts, size_t count)
{
	const struct config_instances *providers = &table->config->providers;

	for (size_t i = 0; i < providers->count; i++) {
		const struct provider_section *provider = providers->items[i];

		for (size_t j = 0; j < provider->mx.count; j++)
			for (size_t k = 0; k < count; k++)
				if (host_ends_with(
				        hosts[k], provider->mx.items[j]))
					return provider;
	}
	return NULL;
}

/* Whether rest is "" or "-" and the name of a shaped provider. */
static bool
shaped_suffix(const struct route_table *table, const char *rest)
{
	const struct config_instances *providers = &table->config->providers;

	if (*rest == '\0')
		return true;
	if (*rest != '-')
		return false;
	for (size_t i = 0; i < providers->count; i++) {
		const struct provider_section *provider = providers->items[i];

		if (provider->shaped && strcmp(rest + 1, provider->name) == 0)
			return true;
	}
	return false;
}

const struct route_pool *
route_table_source(
    const struct route_table *table, const char *service, size_t *address)
{
	for (size_t i = 0; i < table->pool_count; i++) {
		const struct route_pool *pool = &table->pools[i];

		for (size_t j = 0; j < pool->section->addresses.count; j++) {
			size_t length = strlen(pool->transports[j]);

			if (strncmp(service, pool->transports[j], length) ==
			        0 &&
			    shaped_suffix(table, service + length)) {
				*address = j;
				return pool;
			}
		}
	}
	return NULL;
}
