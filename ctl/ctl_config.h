/*
 * ctl_config.h - the parts of waypost.conf that waypostctl reads: [redis],
 * waypost-policyd's sections for quota and warmup, waypost-routed's for
 * source
 */
#ifndef WAYPOST_CTL_CONFIG_H
#define WAYPOST_CTL_CONFIG_H

#include "config_common.h"
#include "config_file.h"
#include "policy_config.h"
#include "route_config.h"

struct ctl_config {
	struct redis_settings redis;
};

extern const struct config_schema ctl_schema;

int ctl_policy_load(const char *path, struct policy_config **config);
int ctl_route_load(const char *path, struct route_config **config);

#endif
