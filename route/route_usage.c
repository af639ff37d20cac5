/*
 * NAME
 *	route_usage - an address's warm-up state at a provider, read as
 *	route_script.lua reads it
 * SYNOPSIS
 *	#include "route_usage.h"
 *
 *	void route_usage_read(schedule, state, today, usage)
 *	void route_field_append(out, address, provider)
 * DESCRIPTION
 *	What waypostctl shows of a source address: route_usage_read()
 *	reads the state the script keeps (route_contract.h: "FIRST LAST
 *	SENT"; NULL or unreadable: never used) as the script does: the
 *	day of the schedule is today (Redis' UTC day) less the first, the
 *	count is the last day's if that is today, else 0, and the cap is
 *	the schedule's for that day, its last cap after its end, none
 *	without a schedule (schedule NULL).
 *
 *	route_field_append() appends the name of a hash field the script
 *	reads: "ADDRESS PROVIDER", or "ADDRESS" for provider NULL (a
 *	suspension at every provider).
 */
#include "config.h"

#include <stdio.h>

#include "route_config.h"
#include "route_usage.h"

void
route_usage_read(const struct route_schedule *schedule, const char *state,
    long long today, struct route_usage *usage)
{
	long long first, last, sent;
	char end;

	usage->started = state != NULL && sscanf(state, "%lld %lld %lld%c",
	                                      &first, &last, &sent, &end) == 3;
	if (!usage->started)
		first = today, last = -1, sent = 0;
	usage->day = today > first ? today - first : 0;
	usage->sent = last == today ? sent : 0;
	usage->cap = ROUTE_CAP_UNLIMITED;
	if (schedule != NULL && schedule->count > 0)
		usage->cap =
		    schedule->caps[usage->day < (long long)schedule->count
		                       ? usage->day
		                       : (long long)schedule->count - 1];
}

void
route_field_append(
    struct buffer *out, const char *address, const char *provider)
{
	buffer_append_text(out, address);
	if (provider != NULL) {
		buffer_append_char(out, ' ');
		buffer_append_text(out, provider);
	}
}
