/*
 * NAME
 *	waypost-headers - header normalization milter for Postfix
 * SYNOPSIS
 *	waypost-headers [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the milter: the shared milter life cycle
 *	(milter_main.c) with the [headers] section as the rules'
 *	configuration, whose runtime (headers_runtime.c, made current by
 *	lib/daemon.c at start and on SIGHUP; a file with errors keeps the
 *	running one, logged) messages in flight finish with. The file must
 *	load for -n, at start and at every reload: with from_ownership on,
 *	identities_file too.
 *
 *	Metrics (headers_metrics.c): repairs by rule, refusals by rule or
 *	reason; with identities in Redis, /readyz waits for Redis to answer
 *	a PING, sent when a runtime is installed and every second.
 * CONFIGURATION PARAMETERS
 *	The [headers] section of waypost.conf(5); see waypost-headers(8).
 */
#include "config.h"

#include <stddef.h>

#include "daemon.h"
#include "headers_config.h"
#include "headers_metrics.h"
#include "headers_milter.h"
#include "headers_runtime.h"
#include "milter_main.h"

/* A runtime that asks Redis: see at once whether it answers. */
static void
installed(const struct swap_item *item)
{
	identity_sources_probe(
	    &((const struct headers_runtime *)item)->identities);
}

/* Ask Redis every second, so /readyz follows it without mail. */
static void
probe_redis(struct daemon *daemon)
{
	struct swap_item *item;

	(void)daemon;
	item = daemon_runtime_acquire();
	if (item != NULL)
		identity_sources_probe(
		    &((struct headers_runtime *)item)->identities);
	daemon_runtime_release(item);
}

static const struct daemon_program program = {
    .name = "waypost-headers",
    .section = "headers",
    .schema = &headers_schema,
    .settings_offset = offsetof(struct headers_config, headers.daemon),
    .log_offset = offsetof(struct headers_config, log),
    .build = headers_runtime_build,
    .installed = installed,
    .run = milter_main_run,
};

static const struct milter_program milter = {
    .daemon = &program,
    .filter = &headers_milter_filter,
    .workers = 0,
    .tick = probe_redis,
};

int
main(int argc, char **argv)
{
	/* Before the metrics endpoint starts: a first scrape shows all. */
	headers_metrics_init();
	return milter_main(&milter, argc, argv);
}
