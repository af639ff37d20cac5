/*
 * NAME
 *	waypost-dkim - DKIM signing milter for Postfix
 * SYNOPSIS
 *	waypost-dkim [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the milter: the shared milter life cycle
 *	(milter_main.c), with keys loaded as root before the switch to the
 *	configured user, and:
 *
 *	SIGHUP           reload the configuration and the key set; a file
 *	                 with errors keeps the running one (logged).
 *	key file change  checked every second: reload the key set.
 * CONFIGURATION PARAMETERS
 *	The [dkim] section of waypost.conf(5); see waypost-dkim(8).
 * SECURITY
 *	Keys are read as root (prepare), then root is given up; a reload
 *	reads them as the daemon's user, so keys should be owned by it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "dkim_config.h"
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

/* -n and every load: the tables and keys must load too. */
static bool
check(const void *config, struct config_errors *errors)
{
	struct runtime *runtime = runtime_build(section_of(config), errors);

	if (runtime == NULL)
		return false;
	runtime_release(runtime);
	return true;
}

static void
log_errors(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		log_error("%s", errors->text[i]);
}

/* Build a runtime from config and make it current; false keeps the old. */
static bool
install_runtime(const void *config)
{
	struct config_errors *errors = calloc(1, sizeof(*errors));
	struct runtime *runtime;

	if (errors == NULL)
		log_fatal("out of memory loading keys");
	runtime = runtime_build(section_of(config), errors);
	log_errors(errors);
	free(errors);
	if (runtime == NULL)
		return false;
	runtime_install(runtime);
	log_info("key set loaded: %zu keys", runtime->keyset->keytable.count);
	return true;
}

static bool
prepare(struct daemon *daemon, char *error, size_t error_size)
{
	if (install_runtime(daemon_config(daemon)))
		return true;
	snprintf(error, error_size, "the key set did not load");
	return false;
}

static void
reload(struct daemon *daemon)
{
	void *previous;

	if (!daemon_reload(daemon, &previous))
		return;
	if (!install_runtime(daemon_config(daemon)))
		log_error("keys not reloaded: keeping the running key set");
	daemon_config_free(daemon, previous);
}

static void
reload_if_keys_changed(struct daemon *daemon)
{
	struct runtime *runtime = runtime_acquire();
	bool changed = runtime != NULL && keyset_changed(runtime->keyset);

	runtime_release(runtime);
	if (!changed)
		return;
	log_info("a table or key file changed: reloading the key set");
	if (!install_runtime(daemon_config(daemon)))
		log_error("keys not reloaded: keeping the running key set");
}

static const struct daemon_program program = {
    .name = "waypost-dkim",
    .section = "dkim",
    .schema = &dkim_schema,
    .settings_offset = offsetof(struct dkim_config, dkim.daemon),
    .log_offset = offsetof(struct dkim_config, log),
    .check = check,
    .prepare = prepare,
    .run = milter_main_run,
};

static const struct milter_program milter = {
    .daemon = &program,
    .filter = &dkim_milter_filter,
    .workers = MILTER_WORKERS,
    .reload = reload,
    .tick = reload_if_keys_changed,
};

int
main(int argc, char **argv)
{
	return milter_main(&milter, argc, argv);
}
