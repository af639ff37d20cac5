/*
 * NAME
 *	waypost-routed - the source address of each delivery, by warm-up
 *	budget, as a Postfix socketmap table
 * SYNOPSIS
 *	waypost-routed [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the route service: the shared daemon life
 *	cycle (lib/daemon.c binds the socket and gives up root), then one
 *	libevent loop (lib/request_daemon.c) serving every Postfix
 *	connection (route_server.c) and its Redis connection
 *	(lib/redis_link.c), the settling of its charges from
 *	waypost-trackd's events (route_settle.c) on a connection of its
 *	own, with the signals as one more event:
 *
 *	SIGHUP            reload the configuration and build its table
 *	                  (route_table.c; lib/daemon.c makes it current);
 *	                  a file with errors keeps the running one (logged).
 *	SIGTERM, SIGINT   stop: close the socket and every connection.
 *
 *	At -n, start and reload, besides each section's own checks
 *	(route_config.c), no address or tenant may be in two pools, no
 *	domain in two providers, and a schedule names known providers.
 * CONFIGURATION PARAMETERS
 *	[route], [pool "NAME"], [provider "NAME"] and [redis] of
 *	waypost.conf(5); see waypost-routed(8).
 */
#include "config.h"

#include <stddef.h>

#include "daemon.h"
#include "log.h"
#include "request_daemon.h"
#include "route_config.h"
#include "route_decide.h"
#include "route_script.h"
#include "route_server.h"
#include "route_settle.h"
#include "route_settle_script.h"
#include "route_table.h"

static bool
check(const void *config, struct config_errors *errors)
{
	size_t before = errors->count + errors->dropped;

	route_config_check(config, errors);
	return errors->count + errors->dropped == before;
}

static void
installed(const struct swap_item *item)
{
	const struct route_table *table = (const struct route_table *)item;

	log_info("routing through %zu pools, %zu providers", table->pool_count,
	    table->config->providers.count);
}

/* The lookups' link, and the settling's own. */
static void
start(struct event_base *base, struct redis_link *link)
{
	route_decide_start(base, link);
	route_settle_start(base, route_settle_script);
}

static void
stop(void)
{
	route_settle_stop();
	route_decide_shutdown();
}

static int
run(struct daemon *daemon)
{
	const struct route_config *config = daemon_config(daemon);
	static const struct request_daemon service = {
	    &route_protocol, route_script, start, stop};

	return request_daemon_run(daemon, &config->redis, &service);
}

static const struct daemon_program program = {
    .name = "waypost-routed",
    .section = "route",
    .schema = &route_schema,
    .settings_offset = offsetof(struct route_config, route.daemon),
    .log_offset = offsetof(struct route_config, log),
    .check = check,
    .build = route_table_build,
    .installed = installed,
    .run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&program, argc, argv);
}
