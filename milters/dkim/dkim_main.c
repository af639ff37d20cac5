/*
 * NAME
 *	waypost-dkim - DKIM signing milter for Postfix
 * SYNOPSIS
 *	waypost-dkim [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the milter: the shared milter life cycle
 *	(milter_main.c), whose runtime (lib/daemon.c) is the key set and
 *	the settings a message signs with (dkim_runtime.c), built once per
 *	load, at start as root before the switch to the configured user,
 *	and:
 *
 *	SIGHUP           reload the configuration and the key set; a file
 *	                 with errors keeps the running one (logged).
 *	key file change  checked every second: build the key set again
 *	                 from the running configuration.
 *
 *	Metrics (dkim_metrics.c): signatures by domain and algorithm,
 *	messages left unsigned by reason, key reloads by result; /readyz
 *	waits for a key set with at least one key.
 * CONFIGURATION PARAMETERS
 *	The [dkim] section of waypost.conf(5); see waypost-dkim(8).
 * SECURITY
 *	Keys are read as root at start, then root is given up; a reload
 *	reads them as the daemon's user, so keys should be owned by it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "dkim_config.h"
#include "dkim_metrics.h"
#include "dkim_milter.h"
#include "dkim_runtime.h"
#include "log.h"
#include "milter_main.h"

/* Worker threads: one per CPU, as signing is CPU work. */
#define MILTER_WORKERS 0

static const struct dkim_section *
section_of(const void *config)
{
	return &((const struct dkim_config *)config)->dkim;
}

/* -n, start, SIGHUP and a changed key file: the tables and keys must
 * load too. */
static struct swap_item *
build(const void *config, struct config_errors *errors)
{
	struct runtime *runtime = runtime_build(section_of(config), errors);

	return runtime != NULL ? &runtime->item : NULL;
}

static void
installed(const struct swap_item *item)
{
	const struct runtime *runtime = (const struct runtime *)item;

	log_info("key set loaded: %zu keys", runtime->keyset->keytable.count);
	dkim_metrics_keys_loaded(runtime->keyset->keytable.count);
}

static void
reload_if_keys_changed(struct daemon *daemon)
{
	struct runtime *runtime = runtime_acquire();
	bool changed = runtime != NULL && keyset_changed(runtime->keyset);
	bool reloaded;

	runtime_release(runtime);
	if (!changed)
		return;
	log_info("a table or key file changed: reloading the key set");
	reloaded = daemon_rebuild(daemon);
	dkim_metrics_key_reload(reloaded);
	if (!reloaded)
		log_error("keys not reloaded: keeping the running key set");
}

static const struct daemon_program program = {
    .name = "waypost-dkim",
    .section = "dkim",
    .schema = &dkim_schema,
    .settings_offset = offsetof(struct dkim_config, dkim.daemon),
    .log_offset = offsetof(struct dkim_config, log),
    .build = build,
    .installed = installed,
    .run = milter_main_run,
};

static const struct milter_program milter = {
    .daemon = &program,
    .filter = &dkim_milter_filter,
    .workers = MILTER_WORKERS,
    .tick = reload_if_keys_changed,
};

int
main(int argc, char **argv)
{
	/* Before the metrics endpoint starts: a first scrape shows all. */
	dkim_metrics_init();
	return milter_main(&milter, argc, argv);
}
