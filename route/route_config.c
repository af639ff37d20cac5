/*
 * NAME
 *	route_config - [route], [pool "NAME"] and [provider "NAME"] of
 *	waypost.conf
 * SYNOPSIS
 *	#include "route_config.h"
 *
 *	const struct config_schema route_schema
 *	void route_config_check(config, errors)
 *	bool route_provider_known(config, name)
 *	void route_transport_name(address, out, out_size)
 * DESCRIPTION
 *	The keys of waypost-routed: [route] for the daemon (its socket,
 *	the text of a "retry:" answer, what to answer when Redis fails,
 *	whether to settle charges from waypost-trackd's events and as which
 *	consumer),
 *	any number of [pool "NAME"] sections, each a set of source
 *	addresses, the tenants that send through them and their warm-up
 *	schedules (route_schedule.c), and of [provider "NAME"] sections,
 *	each a mailbox provider's recipient domains (waypost-routed(8)).
 *
 *	Checks of one section, with the line of the key:
 *	.  addresses: IPv4 or IPv6 addresses, at most ROUTE_ADDRESSES_MAX,
 *	   none twice;
 *	.  tenants: "*", sender addresses (user@domain) or domains;
 *	.  schedule: route_schedule.c's syntax;
 *	.  domains: domain names, or with a leading dot every subdomain;
 *	   a provider may not be named "other", the name of the rest;
 *	.  mx: host name suffixes ("google.com" or ".google.com");
 *	.  resolver: HOST:PORT each;
 *	.  consumer: not empty, no white space;
 *	.  nexthop: printable, no space or ":" at its start.
 *	route_config_check() makes the checks across sections, each error
 *	with the header lines of the sections concerned: no address and no
 *	tenant in two pools, no domain in two providers, and every
 *	provider a schedule names is a [provider] or "other".
 *
 *	route_provider_known() says whether name is a [provider] or
 *	"other".
 *
 *	route_transport_name() gives the Postfix transport of a source
 *	address: "wp-" and the address with "." and ":" made "-"
 *	(192.0.2.10: wp-192-0-2-10), the master.cf service contrib's
 *	pool-transports.sh writes; a provider with "shaped = yes" has one
 *	of its own per address, that name, "-" and the provider's
 *	(wp-192-0-2-10-gmail), so main.cf can shape each.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "domain_list.h"
#include "event_streams.h"
#include "socket_spec.h"
#include "route_config.h"
#include "route_schedule.h"

static const char *const fail_choices[] = {"defer", "default", NULL};

#define ROUTE_KEY(name, type, member, value, min, max, choices)                \
	{                                                                      \
		name, type, offsetof(struct route_section, member), value, 0,  \
		    min, max, choices                                          \
	}
#define POOL_KEY(name, type, member, flags)                                    \
	{                                                                      \
		name, type, offsetof(struct pool_section, member), NULL,       \
		    flags, 0, 0, NULL                                          \
	}
#define PROVIDER_KEY(name, type, member, flags)                                \
	{                                                                      \
		name, type, offsetof(struct provider_section, member), NULL,   \
		    flags, 0, 0, NULL                                          \
	}

static const struct config_key route_keys[] = {
    ROUTE_KEY("retry_reason", CONFIG_STRING, retry_reason,
        "4.7.0 no sending address has budget left today", 0, 0, NULL),
    ROUTE_KEY(
        "fail_mode", CONFIG_CHOICE, fail_mode, "defer", 0, 0, fail_choices),
    ROUTE_KEY("mx_cache_time", CONFIG_DURATION, mx_cache_time, "1h", 60000,
        7LL * 24 * 3600 * 1000, NULL),
    ROUTE_KEY("resolver", CONFIG_LIST, resolver, NULL, 0, 0, NULL),
    ROUTE_KEY("settle", CONFIG_BOOL, settle, "yes", 0, 0, NULL),
    ROUTE_KEY("consumer", CONFIG_STRING, consumer, NULL, 0, 0, NULL),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_key pool_keys[] = {
    POOL_KEY("addresses", CONFIG_LIST, addresses, CONFIG_REQUIRED),
    POOL_KEY("tenants", CONFIG_LIST, tenants, CONFIG_REQUIRED),
    POOL_KEY("schedule", CONFIG_LIST, schedule, CONFIG_REQUIRED),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_key provider_keys[] = {
    PROVIDER_KEY("domains", CONFIG_LIST, domains, CONFIG_REQUIRED),
    PROVIDER_KEY("mx", CONFIG_LIST, mx, 0),
    {"shaped", CONFIG_BOOL, offsetof(struct provider_section, shaped), "no", 0,
        0, 0, NULL},
    PROVIDER_KEY("nexthop", CONFIG_STRING, nexthop, 0),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_default route_defaults[] = {
    {"socket", "unix:" WAYPOST_RUN_DIR "/route.sock"},
    {NULL, NULL},
};

static bool
printable(const char *text)
{
	for (const char *p = text; *p; p++)
		if (*p < 33 || *p > 126)
			return false;
	return true;
}

static void
validate_route(void *section, struct config_report *report)
{
	struct route_section *route = section;

	if (route->retry_reason != NULL &&
	    (strlen(route->retry_reason) > 200 ||
	        strpbrk(route->retry_reason, "\r\n") != NULL))
		config_report_error(
		    report, "retry_reason: one line of at most 200 bytes");
	if (route->consumer != NULL &&
	    !event_streams_consumer_valid(route->consumer))
		config_report_error(report,
		    "consumer: \"%.100s\" is empty or holds white space",
		    route->consumer);
	for (size_t i = 0; i < route->resolver.count; i++) {
		struct socket_spec spec;
		char error[256];

		if (!socket_spec_parse_address(route->resolver.items[i], &spec,
		        error, sizeof(error)) ||
		    spec.kind == SOCKET_UNIX)
			config_report_error(report,
			    "resolver: \"%.60s\" is no HOST:PORT",
			    route->resolver.items[i]);
	}
}

static bool
address_valid(const char *text)
{
	unsigned char binary[16];

	return inet_pton(AF_INET, text, binary) == 1 ||
	       inet_pton(AF_INET6, text, binary) == 1;
}

static void
check_tenant(const char *tenant, struct config_report *report)
{
	const char *at = strrchr(tenant, '@');
	char error[256];

	if (strcmp(tenant, "*") == 0)
		return;
	if (at != NULL && (at == tenant || strlen(tenant) > 254))
		config_report_error(
		    report, "tenants: \"%.60s\" is no sender address", tenant);
	else if (!domain_name_valid(
	             at ? at + 1 : tenant, false, error, sizeof(error)))
		config_report_error(report, "tenants: %s", error);
}

static void
validate_pool(void *section, struct config_report *report)
{
	struct pool_section *pool = section;
	struct route_schedules schedules;
	char error[256];

	if (pool->addresses.count > ROUTE_ADDRESSES_MAX)
		config_report_error(
		    report, "addresses: more than %d", ROUTE_ADDRESSES_MAX);
	for (size_t i = 0; i < pool->addresses.count; i++) {
		const char *address = pool->addresses.items[i];

		if (!address_valid(address))
			config_report_error(report,
			    "addresses: \"%.60s\" is no IP address", address);
		for (size_t j = 0; j < i; j++)
			if (strcmp(pool->addresses.items[j], address) == 0)
				config_report_error(
				    report, "addresses: %s twice", address);
	}
	for (size_t i = 0; i < pool->tenants.count; i++)
		check_tenant(pool->tenants.items[i], report);
	if (!route_schedules_parse(
	        &pool->schedule, &schedules, error, sizeof(error)))
		config_report_error(report, "schedule: %s", error);
	else
		route_schedules_free(&schedules);
}

static void
validate_provider(void *section, struct config_report *report)
{
	struct provider_section *provider = section;
	char error[256];

	if (strcmp(provider->name, ROUTE_PROVIDER_OTHER) == 0)
		config_report_error(report,
		    "\"%s\" is the name of every domain no provider lists",
		    ROUTE_PROVIDER_OTHER);
	for (size_t i = 0; i < provider->domains.count; i++)
		if (!domain_name_valid(
		        provider->domains.items[i], true, error, sizeof(error)))
			config_report_error(report, "domains: %s", error);
	if (provider->nexthop != NULL &&
	    (!printable(provider->nexthop) || provider->nexthop[0] == ':' ||
	        strlen(provider->nexthop) > 255))
		config_report_error(report,
		    "nexthop: \"%.60s\" is no Postfix next hop",
		    provider->nexthop);
}

static const struct config_section route_sections[] = {
    {"log", false, offsetof(struct route_config, log), 0,
        {{log_config_keys, 0}}, NULL, NULL},
    CONFIG_SECTION_REDIS(struct route_config),
    {"route", false, offsetof(struct route_config, route), 0,
        {{daemon_config_keys, offsetof(struct route_section, daemon)},
            {route_keys, 0}},
        route_defaults, validate_route},
    {"pool", true, offsetof(struct route_config, pools),
        sizeof(struct pool_section), {{pool_keys, 0}}, NULL, validate_pool},
    {"provider", true, offsetof(struct route_config, providers),
        sizeof(struct provider_section), {{provider_keys, 0}}, NULL,
        validate_provider},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema route_schema = {
    sizeof(struct route_config),
    route_sections,
    config_suite_sections,
};

static const struct pool_section *
pool_at(const struct route_config *config, size_t i)
{
	return config->pools.items[i];
}

static const struct provider_section *
provider_at(const struct route_config *config, size_t i)
{
	return config->providers.items[i];
}

/* Each word of list in a later pool's list too. */
static void
check_pools_apart(const struct route_config *config, size_t offset,
    const char *what, struct config_errors *errors)
{
	for (size_t i = 0; i < config->pools.count; i++) {
		const struct pool_section *one = pool_at(config, i);
		const struct config_list *mine =
		    (const void *)((const char *)one + offset);

		for (size_t j = i + 1; j < config->pools.count; j++) {
			const struct pool_section *other = pool_at(config, j);
			const struct config_list *theirs =
			    (const void *)((const char *)other + offset);

			for (size_t k = 0; k < mine->count; k++)
				for (size_t l = 0; l < theirs->count; l++)
					if (strcasecmp(mine->items[k],
					        theirs->items[l]) == 0)
						config_errors_add(errors,
						    "line %d: [pool \"%s\"] "
						    "and line %d: [pool "
						    "\"%s\"] both have %s %s",
						    one->line, one->name,
						    other->line, other->name,
						    what, mine->items[k]);
		}
	}
}

bool
route_provider_known(const struct route_config *config, const char *name)
{
	return strcmp(name, ROUTE_PROVIDER_OTHER) == 0 ||
	       config_instance_find(&config->providers, name) != NULL;
}

void
route_config_check(
    const struct route_config *config, struct config_errors *errors)
{
	check_pools_apart(config, offsetof(struct pool_section, addresses),
	    "address", errors);
	check_pools_apart(
	    config, offsetof(struct pool_section, tenants), "tenant", errors);
	for (size_t i = 0; i < config->pools.count; i++) {
		const struct pool_section *pool = pool_at(config, i);
		struct route_schedules schedules;
		char error[256];

		if (!route_schedules_parse(
		        &pool->schedule, &schedules, error, sizeof(error)))
			continue; /* reported with its line already */
		for (size_t j = 0; j < schedules.count; j++) {
			const char *name = schedules.items[j].provider;

			if (name != NULL && !route_provider_known(config, name))
				config_errors_add(errors,
				    "line %d: [pool \"%s\"]: schedule: no "
				    "[provider \"%s\"]",
				    pool->line, pool->name, name);
		}
		route_schedules_free(&schedules);
	}
	for (size_t i = 0; i < config->providers.count; i++) {
		const struct provider_section *one = provider_at(config, i);

		for (size_t j = i + 1; j < config->providers.count; j++) {
			const struct provider_section *other =
			    provider_at(config, j);

			for (size_t k = 0; k < one->domains.count; k++)
				if (domain_list_match(&other->domains,
				        one->domains.items[k],
				        strlen(one->domains.items[k])))
					config_errors_add(errors,
					    "line %d: [provider \"%s\"] and "
					    "line %d: [provider \"%s\"] both "
					    "have domain %s",
					    one->line, one->name, other->line,
					    other->name, one->domains.items[k]);
		}
	}
}

void
route_transport_name(const char *address, char *out, size_t out_size)
{
	size_t length = 0;

	if (out_size == 0)
		return;
	for (const char *p = "wp-"; *p && length + 1 < out_size; p++)
		out[length++] = *p;
	for (const char *p = address; *p && length + 1 < out_size; p++)
		out[length++] = *p == '.' || *p == ':' ? '-' : *p;
	out[length] = '\0';
}
