/*
 * NAME
 *	hook_target - one webhook as the running daemon keeps it
 * SYNOPSIS
 *	#include "hook_target.h"
 *
 *	struct hook_target *hook_target_new(webhook, error, error_size)
 *	bool hook_target_wants(target, type)
 *	bool hook_target_stops(target, status)
 *	void hook_target_free(target)
 * DESCRIPTION
 *	hook_target_new() copies what the daemon needs of a [webhook]
 *	section, with its secrets decoded (hook_secret.c), so that a reload
 *	may free the configuration while requests made from the old one are
 *	still in flight; NULL with the reason when a secret is refused.
 *	Tenants are kept in lower case: waypost-trackd names the tenants'
 *	streams so. hook_target_wants() says whether the webhook takes an
 *	event type, hook_target_stops() whether a status disables it.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook_target.h"
#include "xmalloc.h"

static char **
copy_list(const struct config_list *list, bool lower)
{
	char **items = xcalloc(list->count + 1, sizeof(*items));

	for (size_t i = 0; i < list->count; i++) {
		items[i] = xstrdup(list->items[i]);
		for (char *c = items[i]; lower && *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	return items;
}

static void
free_list(char **items, size_t count)
{
	for (size_t i = 0; items != NULL && i < count; i++)
		free(items[i]);
	free(items);
}

struct hook_target *
hook_target_new(
    const struct webhook_section *webhook, char *error, size_t error_size)
{
	struct hook_target *target = xcalloc(1, sizeof(*target));
	char why[512];

	if (!hook_secrets_load(webhook, &target->secrets, why, sizeof(why))) {
		snprintf(error, error_size, "[webhook \"%s\"] %s",
		    webhook->name, why);
		free(target);
		return NULL;
	}
	target->name = xstrdup(webhook->name);
	target->url = xstrdup(webhook->url);
	target->ca_file =
	    webhook->ca_file != NULL ? xstrdup(webhook->ca_file) : NULL;
	target->all_tenants = webhook->all_tenants;
	target->tenants = copy_list(&webhook->tenants, true);
	target->tenant_count = webhook->tenants.count;
	target->all_events = webhook->all_events;
	target->events = copy_list(&webhook->events, false);
	target->event_count = webhook->events.count;
	target->batch_size = webhook->batch_size;
	target->batch_wait = webhook->batch_wait;
	target->timeout = webhook->timeout;
	target->retry_for = webhook->retry_for;
	target->retry_min = webhook->retry_min;
	target->retry_max = webhook->retry_max;
	memcpy(target->stop_statuses, webhook->stop_statuses,
	    sizeof(target->stop_statuses));
	target->stop_status_count = webhook->stop_status_count;
	target->concurrency = (int)webhook->concurrency;
	target->breaker_failures = webhook->breaker_failures;
	target->backlog_max = webhook->backlog_max;
	target->response_max = (size_t)webhook->response_max;
	return target;
}

bool
hook_target_wants(const struct hook_target *target, const char *type)
{
	if (target->all_events)
		return true;
	for (size_t i = 0; i < target->event_count; i++)
		if (strcmp(target->events[i], type) == 0)
			return true;
	return false;
}

bool
hook_target_stops(const struct hook_target *target, long status)
{
	for (int i = 0; i < target->stop_status_count; i++)
		if (target->stop_statuses[i] == status)
			return true;
	return false;
}

void
hook_target_free(struct hook_target *target)
{
	if (target == NULL)
		return;
	free(target->name);
	free(target->url);
	free(target->ca_file);
	free_list(target->tenants, target->tenant_count);
	free_list(target->events, target->event_count);
	memset(&target->secrets, 0, sizeof(target->secrets));
	free(target);
}
