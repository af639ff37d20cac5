/*
 * ctl_config.h - the part of waypost.conf that waypostctl reads: [redis]
 */
#ifndef WAYPOST_CTL_CONFIG_H
#define WAYPOST_CTL_CONFIG_H

#include "config_common.h"
#include "config_file.h"

struct ctl_config {
	struct redis_settings redis;
};

extern const struct config_schema ctl_schema;

#endif
