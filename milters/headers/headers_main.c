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
 * CONFIGURATION PARAMETERS
 *	The [headers] section of waypost.conf(5); see waypost-headers(8).
 */
#include "config.h"

#include <stddef.h>

#include "daemon.h"
#include "headers_config.h"
#include "headers_milter.h"
#include "headers_runtime.h"
#include "milter_main.h"

static const struct daemon_program program = {
    .name = "waypost-headers",
    .section = "headers",
    .schema = &headers_schema,
    .settings_offset = offsetof(struct headers_config, headers.daemon),
    .log_offset = offsetof(struct headers_config, log),
    .build = headers_runtime_build,
    .run = milter_main_run,
};

static const struct milter_program milter = {
    .daemon = &program,
    .filter = &headers_milter_filter,
    .workers = 0,
};

int
main(int argc, char **argv)
{
	return milter_main(&milter, argc, argv);
}
