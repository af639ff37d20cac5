/*
 * NAME
 *	waypost-headers - header normalization milter for Postfix
 * SYNOPSIS
 *	waypost-headers [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the milter: the shared milter life cycle
 *	(milter_main.c) with the [headers] section as the rules'
 *	configuration, made current at start and on SIGHUP (a file with
 *	errors keeps the running one, logged). Messages in flight finish
 *	with the configuration they started with (headers_runtime.c). The
 *	file must load for -n, at start and at every reload: with
 *	from_ownership on, identities_file too.
 * CONFIGURATION PARAMETERS
 *	The [headers] section of waypost.conf(5); see waypost-headers(8).
 */
#include "config.h"

#include <stddef.h>

#include "daemon.h"
#include "headers_config.h"
#include "headers_milter.h"
#include "headers_runtime.h"
#include "identity_sources.h"
#include "log.h"
#include "milter_main.h"

/* -n, start and reload: identities_file must load too. */
static bool
check(const void *config, struct config_errors *errors)
{
	struct identity_sources sources;

	if (!identity_sources_open(&sources, config, errors))
		return false;
	identity_sources_close(&sources);
	return true;
}

static bool
prepare(struct daemon *daemon, char *error, size_t error_size)
{
	(void)error;
	(void)error_size;
	headers_runtime_install(daemon_config(daemon), NULL);
	return true;
}

static void
reload(struct daemon *daemon)
{
	void *previous;

	if (daemon_reload(daemon, &previous))
		headers_runtime_install(daemon_config(daemon), previous);
}

static const struct daemon_program program = {
    .name = "waypost-headers",
    .section = "headers",
    .schema = &headers_schema,
    .settings_offset = offsetof(struct headers_config, headers.daemon),
    .log_offset = offsetof(struct headers_config, log),
    .check = check,
    .prepare = prepare,
    .run = milter_main_run,
};

static const struct milter_program milter = {
    .daemon = &program,
    .filter = &headers_milter_filter,
    .workers = 0,
    .reload = reload,
};

int
main(int argc, char **argv)
{
	int status = milter_main(&milter, argc, argv);

	headers_runtime_shutdown();
	return status;
}
