/*
 * ctl_config.h - the parts of waypost.conf that waypostctl reads: [redis],
 * and waypost-policyd's sections for quota and warmup
 */
#ifndef WAYPOST_CTL_CONFIG_H
#define WAYPOST_CTL_CONFIG_H

#include "config_common.h"
#include "config_file.h"
#include "policy_config.h"

struct ctl_config {
	struct redis_settings redis;
};

extern const struct config_schema ctl_schema;

int ctl_policy_load(const char *path, struct policy_config **config);

#endif
