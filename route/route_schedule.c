/*
 * NAME
 *	route_schedule - a pool's warm-up schedules, one per provider
 * SYNOPSIS
 *	#include "route_schedule.h"
 *
 *	bool route_schedules_parse(words, out, error, error_size)
 *	const struct route_schedule *route_schedules_find(schedules,
 *		provider)
 *	void route_schedules_free(schedules)
 * DESCRIPTION
 *	A pool's schedule key is a list of words: a provider's name
 *	ending in ":" starts that provider's schedule, and the daily caps
 *	that follow are its days 0, 1, 2...: each a number or "unlimited",
 *	the last holding on after the schedule ends. Caps before any name
 *	are the schedule of every provider no other names:
 *
 *		schedule = 1000 unlimited  gmail: 50 100 500 2000 unlimited
 *
 *	route_schedules_parse() fills out, or says in error why it cannot
 *	(an empty schedule, a name twice, a word that is no cap, over
 *	ROUTE_SCHEDULE_DAYS caps); route_schedules_free() frees it.
 *	Whether each name is a provider is route_config.c's check.
 *
 *	route_schedules_find() gives the schedule of provider, else the
 *	pool's schedule for the others, else NULL: no cap at that
 *	provider.
 * SECURITY
 *	Bounds: ROUTE_SCHEDULE_DAYS caps per provider, each at most
 *	ROUTE_CAP_MAX; the list itself is bounded by the configuration's
 *	value size.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daily_cap.h"
#include "route_config.h"
#include "route_schedule.h"
#include "xmalloc.h"

static struct route_schedule *
start(struct route_schedules *out, const char *word, size_t length)
{
	struct route_schedule *schedule;

	out->items =
	    xreallocarray(out->items, out->count + 1, sizeof(*out->items));
	schedule = &out->items[out->count++];
	memset(schedule, 0, sizeof(*schedule));
	if (word != NULL)
		schedule->provider = xstrndup(word, length);
	return schedule;
}

static bool
named_twice(const struct route_schedules *out, const char *word, size_t length)
{
	for (size_t i = 0; i < out->count; i++) {
		const char *name = out->items[i].provider;

		if (name != NULL && strlen(name) == length &&
		    strncmp(name, word, length) == 0)
			return true;
	}
	return false;
}

bool
route_schedules_parse(const struct config_list *words,
    struct route_schedules *out, char *error, size_t error_size)
{
	struct route_schedule *schedule = NULL;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < words->count; i++) {
		const char *word = words->items[i];
		size_t length = strlen(word);
		long long cap;

		if (length > 1 && word[length - 1] == ':') {
			if (schedule != NULL && schedule->count == 0)
				break;
			if (named_twice(out, word, length - 1)) {
				snprintf(error, error_size,
				    "provider %.*s has two schedules",
				    (int)(length > 41 ? 40 : length - 1), word);
				route_schedules_free(out);
				return false;
			}
			schedule = start(out, word, length - 1);
			continue;
		}
		if (!daily_cap_parse(word, &cap)) {
			snprintf(error, error_size,
			    "\"%.40s\" is neither a daily cap (0 to %lld, or "
			    "unlimited) nor a provider's name and \":\"",
			    word, ROUTE_CAP_MAX);
			route_schedules_free(out);
			return false;
		}
		if (schedule == NULL)
			schedule = start(out, NULL, 0);
		if (schedule->count == ROUTE_SCHEDULE_DAYS) {
			snprintf(error, error_size,
			    "more than %d days; the last cap holds after it",
			    ROUTE_SCHEDULE_DAYS);
			route_schedules_free(out);
			return false;
		}
		schedule->caps = xreallocarray(schedule->caps,
		    schedule->count + 1, sizeof(*schedule->caps));
		schedule->caps[schedule->count++] = cap;
	}
	if (out->count == 0 || out->items[out->count - 1].count == 0) {
		snprintf(error, error_size, "%s",
		    out->count == 0 ? "no daily cap"
		                    : "a provider's name with no daily cap");
		route_schedules_free(out);
		return false;
	}
	for (size_t i = 0; i < out->count; i++)
		if (out->items[i].count == 0) {
			snprintf(error, error_size,
			    "provider %s has no daily cap",
			    out->items[i].provider);
			route_schedules_free(out);
			return false;
		}
	return true;
}

const struct route_schedule *
route_schedules_find(
    const struct route_schedules *schedules, const char *provider)
{
	const struct route_schedule *others = NULL;

	for (size_t i = 0; i < schedules->count; i++) {
		const struct route_schedule *one = &schedules->items[i];

		if (one->provider == NULL)
			others = one;
		else if (strcmp(one->provider, provider) == 0)
			return one;
	}
	return others;
}

void
route_schedules_free(struct route_schedules *schedules)
{
	for (size_t i = 0; i < schedules->count; i++) {
		free(schedules->items[i].provider);
		free(schedules->items[i].caps);
	}
	free(schedules->items);
	memset(schedules, 0, sizeof(*schedules));
}
