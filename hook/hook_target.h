/*
 * hook_target.h - one webhook as the running daemon keeps it
 */
#ifndef WAYPOST_HOOK_TARGET_H
#define WAYPOST_HOOK_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "hook_config.h"
#include "hook_secret.h"

struct hook_target {
	char *name;
	char *url;
	char *ca_file; /* NULL: the system's */
	struct hook_secrets secrets;
	bool all_tenants;
	char **tenants; /* lower case */
	size_t tenant_count;
	bool all_events;
	char **events;
	size_t event_count;
	int batch_size; /* 1: off */
	long long batch_wait, timeout, retry_for, retry_min, retry_max;
	int stop_statuses[HOOK_STATUSES_MAX];
	int stop_status_count;
	int concurrency;
	long long breaker_failures;
	long long backlog_max;
	size_t response_max;
};

struct hook_target *hook_target_new(
    const struct webhook_section *webhook, char *error, size_t error_size);
bool hook_target_wants(const struct hook_target *target, const char *type);
bool hook_target_stops(const struct hook_target *target, long status);
void hook_target_free(struct hook_target *target);

#endif
