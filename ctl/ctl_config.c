/*
 * NAME
 *	ctl_config - the part of waypost.conf that waypostctl reads: [redis]
 * SYNOPSIS
 *	#include "ctl_config.h"
 *
 *	extern const struct config_schema ctl_schema;
 * DESCRIPTION
 *	The [redis] section, with the keys and checks every daemon has
 *	(lib/config_common.c), so waypostctl reaches the Redis the daemons
 *	use, under the same prefix. The other sections are the daemons'
 *	and are skipped; an unknown section or key is an error, as for
 *	them.
 */
#include "config.h"

#include <stddef.h>

#include "ctl_config.h"

static const struct config_section ctl_sections[] = {
    {"redis", false, offsetof(struct ctl_config, redis), 0,
        {{redis_config_keys, 0}}, NULL, NULL},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema ctl_schema = {
    sizeof(struct ctl_config),
    ctl_sections,
    config_suite_sections,
};
