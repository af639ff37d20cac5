/*
 * route_config.h - [route], [pool "NAME"] and [provider "NAME"] of
 * waypost.conf
 */
#ifndef WAYPOST_ROUTE_CONFIG_H
#define WAYPOST_ROUTE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "config_common.h"
#include "config_file.h"
#include "daily_cap.h"

#define ROUTE_ADDRESSES_MAX  64  /* source addresses in one pool */
#define ROUTE_SCHEDULE_DAYS  366 /* daily caps in one schedule */
#define ROUTE_CAP_MAX        1000000000LL
#define ROUTE_CAP_UNLIMITED  (-1LL)
#define ROUTE_PROVIDER_OTHER "other" /* every domain of no [provider] */
#define ROUTE_TRANSPORT_MAX  64      /* "wp-" and an address, dashed */
#define ROUTE_FAIL_DEFER     0
#define ROUTE_FAIL_DEFAULT   1

struct route_section {
	struct daemon_settings daemon;
	char *retry_reason;      /* the text of a "retry:" answer */
	int fail_mode;           /* ROUTE_FAIL_DEFER or ROUTE_FAIL_DEFAULT */
	long long mx_cache_time; /* ms */
	struct config_list resolver; /* "host:port"; empty: resolv.conf */
	bool settle;    /* settle charges from waypost-trackd's events */
	char *consumer; /* in their consumer group; NULL: the host name */
};

struct pool_section {
	char *name; /* first: the instance name */
	int line;   /* second: its header's line in the file */
	struct config_list addresses;
	struct config_list tenants;
	struct config_list schedule; /* route_schedule.c reads it */
};

struct provider_section {
	char *name; /* first: the instance name */
	int line;   /* second: its header's line in the file */
	struct config_list domains;
	struct config_list mx; /* MX host suffixes */
	bool shaped;   /* its own transport per address: wp-ADDRESS-NAME */
	char *nexthop; /* NULL: the recipient's domain, as Postfix does */
};

struct route_config {
	struct log_settings log;
	struct redis_settings redis;
	struct route_section route;
	struct config_instances pools;     /* struct pool_section */
	struct config_instances providers; /* struct provider_section */
};

extern const struct config_schema route_schema;

void route_config_check(
    const struct route_config *config, struct config_errors *errors);
bool route_provider_known(const struct route_config *config, const char *name);
void route_transport_name(const char *address, char *out, size_t out_size);

#endif
