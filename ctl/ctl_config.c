/*
 * NAME
 *	ctl_config - the parts of waypost.conf that waypostctl reads:
 *	[redis], waypost-policyd's sections for quota and warmup, and
 *	waypost-routed's for source
 * SYNOPSIS
 *	#include "ctl_config.h"
 *
 *	extern const struct config_schema ctl_schema;
 *	int ctl_policy_load(path, config)
 *	int ctl_route_load(path, config)
 * DESCRIPTION
 *	The [redis] section, with the keys and checks every daemon has
 *	(lib/config_common.c), so waypostctl reaches the Redis the daemons
 *	use, under the same prefix. The other sections are the daemons'
 *	and are skipped; an unknown section or key is an error, as for
 *	them.
 *
 *	ctl_policy_load() loads the file again as waypost-policyd loads
 *	it (policy/policy_config.c: its schema and its checks across
 *	sections), for the commands that need its limits and warm-ups:
 *	so a limit's name, subject, maximum and window are the daemon's,
 *	and a file the daemon would refuse is refused here (EX_CONFIG,
 *	the first error on stderr). ctl_route_load() does the same with
 *	waypost-routed's sections (route/route_config.c), for source.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "ctl.h"
#include "ctl_config.h"

static const struct config_section ctl_sections[] = {
    CONFIG_SECTION_REDIS(struct ctl_config),
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema ctl_schema = {
    sizeof(struct ctl_config),
    ctl_sections,
    config_suite_sections,
};

/* The file as a daemon loads it: its schema, then its checks across
 * sections; *config NULL and EX_CONFIG with the first error. */
static int
load(const char *path, const struct config_schema *schema,
    void (*check)(const void *config, struct config_errors *errors),
    void **config)
{
	struct config_errors *errors = calloc(1, sizeof(*errors));
	int status = EX_OK;

	if (errors == NULL)
		return ctl_fail(EX_OSERR, "out of memory");
	*config = config_load_file(schema, path, errors);
	if (*config != NULL)
		check(*config, errors);
	if (errors->count > 0 || *config == NULL) {
		status = ctl_fail(EX_CONFIG, "%s%s",
		    errors->count ? errors->text[0] : path,
		    errors->count + errors->dropped > 1 ? " (and more errors)"
		                                        : "");
		if (*config != NULL)
			config_free(schema, *config);
		*config = NULL;
	}
	free(errors);
	return status;
}

static void
check_policy(const void *config, struct config_errors *errors)
{
	policy_config_check(config, errors);
}

static void
check_route(const void *config, struct config_errors *errors)
{
	route_config_check(config, errors);
}

int
ctl_policy_load(const char *path, struct policy_config **config)
{
	return load(path, &policy_schema, check_policy, (void **)config);
}

int
ctl_route_load(const char *path, struct route_config **config)
{
	return load(path, &route_schema, check_route, (void **)config);
}
