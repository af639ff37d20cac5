/*
 * NAME
 *	ctl_warmup - waypostctl warmup show: where a domain stands in its
 *	warm-up
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_warmup(ctl, argc, argv)
 * DESCRIPTION
 *	"waypostctl warmup show DOMAIN|GROUP": the [warmup "NAME"]
 *	sections of waypost-policyd, read from waypost.conf with its own
 *	code (ctl_policy_load()), and the string "warmup:NAME:SUBJECT"
 *	its script keeps per domain (per = domain) or per section (per =
 *	group): the first day, the last day and what was sent that day.
 *
 *	A GROUP is a section's name: one row for the section (per =
 *	group) or one per domain it names. Anything else is a domain
 *	(lower case, no final dot), found in its section as the daemon
 *	finds it (policy/limit_usage.c: warmup_find()). Each row: the day
 *	of the schedule (0 the first, as the daemon's log line counts),
 *	today's cap, what was sent today and what remains; today is Redis'
 *	own UTC day (TIME), as for the script, and the numbers are read as
 *	it reads them (warmup_usage_read()).
 * SECURITY
 *	Only reads.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_config.h"
#include "limit_usage.h"

static const char *const headers[] = {
    "WARMUP", "SUBJECT", "DAY", "CAP", "SENT", "REMAINING"};
#define COLUMNS (sizeof(headers) / sizeof(headers[0]))
#define DAY     86400 /* seconds: the script's math.floor(now / 86400000) */

static int
show_row(struct ctl *ctl, struct ctl_list *list,
    const struct warmup_section *warmup, const char *subject, long long today)
{
	struct warmup_usage usage;
	struct buffer key = {0};
	char day[CTL_NUMBER_MAX], cap[CTL_NUMBER_MAX], sent[CTL_NUMBER_MAX];
	char remaining[CTL_NUMBER_MAX];
	const char *cells[COLUMNS];
	json_t *object;
	char *state;
	long long ttl_ms;
	int status;

	ctl_key_pair(ctl, &key, REDIS_KEY_WARMUP, warmup->name, subject);
	status = ctl_get_string(ctl, buffer_text(&key), &state, &ttl_ms);
	buffer_free(&key);
	if (status != EX_OK)
		return status;
	warmup_usage_read(warmup, state, today, &usage);
	free(state);
	snprintf(day, sizeof(day), "%lld%s", usage.day,
	    usage.started ? "" : " (not started)");
	snprintf(sent, sizeof(sent), "%lld", usage.sent);
	snprintf(cap, sizeof(cap), "%lld", usage.cap);
	snprintf(remaining, sizeof(remaining), "%lld",
	    usage.cap > usage.sent ? usage.cap - usage.sent : 0);
	cells[0] = warmup->name;
	cells[1] = subject;
	cells[2] = day;
	cells[3] = usage.cap < 0 ? "unlimited" : cap;
	cells[4] = sent;
	cells[5] = usage.cap < 0 ? "unlimited" : remaining;
	object = json_object();
	json_object_set_new(object, "warmup", json_string(warmup->name));
	json_object_set_new(object, "subject", json_string(subject));
	json_object_set_new(object, "started", json_boolean(usage.started));
	json_object_set_new(object, "day", json_integer(usage.day));
	json_object_set_new(object, "cap",
	    usage.cap < 0 ? json_null() : json_integer(usage.cap));
	json_object_set_new(object, "sent", json_integer(usage.sent));
	json_object_set_new(object, "remaining",
	    usage.cap < 0
	        ? json_null()
	        : json_integer(
	              usage.cap > usage.sent ? usage.cap - usage.sent : 0));
	ctl_list_add(list, object, cells);
	return EX_OK;
}

/* A domain of a section, as the daemon names its key: lower case, no
 * final dot. */
static int
show_domain(struct ctl *ctl, struct ctl_list *list,
    const struct warmup_section *warmup, const char *text, long long today)
{
	char domain[IDENTITY_ADDRESS_MAX + 1], error[CTL_ERROR_MAX];

	if (!ctl_parse_domain(
	        text, domain, sizeof(domain), error, sizeof(error)))
		return ctl_fail(EX_DATAERR, "warmup show: %s", error);
	return show_row(
	    ctl, list, warmup, warmup_subject(warmup, domain), today);
}

/* The rows of a section's name, or of a domain. */
static int
show(struct ctl *ctl, const struct policy_config *config, const char *text,
    struct ctl_list *list)
{
	const struct warmup_section *warmup =
	    config_instance_find(&config->warmups, text);
	char domain[IDENTITY_ADDRESS_MAX + 1], error[CTL_ERROR_MAX];
	long long today, now;
	int status;

	if (warmup == NULL) {
		if (!ctl_parse_domain(
		        text, domain, sizeof(domain), error, sizeof(error)))
			return ctl_fail(EX_DATAERR,
			    "warmup show: %s, nor a [warmup] section", error);
		if ((warmup = warmup_find(config, domain)) == NULL)
			return ctl_fail(EX_DATAERR,
			    "warmup show: %s is in no [warmup] section",
			    domain);
		if ((status = ctl_connect(ctl)) != EX_OK ||
		    (status = ctl_redis_time(ctl, &now)) != EX_OK)
			return status;
		return show_domain(ctl, list, warmup, domain, now / DAY);
	}
	if ((status = ctl_connect(ctl)) != EX_OK ||
	    (status = ctl_redis_time(ctl, &now)) != EX_OK)
		return status;
	today = now / DAY;
	if (warmup->per == WARMUP_PER_GROUP)
		return show_row(ctl, list, warmup, warmup->name, today);
	for (size_t i = 0; i < warmup->domains.count && status == EX_OK; i++)
		status = show_domain(
		    ctl, list, warmup, warmup->domains.items[i], today);
	return status;
}

int
ctl_warmup(struct ctl *ctl, int argc, char **argv)
{
	struct policy_config *config;
	struct ctl_list *list;
	int status;

	if (argc != 2 || strcmp(argv[0], "show") != 0)
		return ctl_fail(
		    EX_USAGE, "usage: waypostctl warmup show DOMAIN|GROUP");
	if ((status = ctl_policy_load(ctl->config_path, &config)) != EX_OK)
		return status;
	if (config->warmups.count == 0) {
		config_free(&policy_schema, config);
		return ctl_fail(EX_DATAERR,
		    "warmup show: waypost.conf has no [warmup] "
		    "section");
	}
	list = ctl_list_new(ctl, COLUMNS, headers);
	status = show(ctl, config, argv[1], list);
	ctl_list_end(list);
	config_free(&policy_schema, config);
	return status;
}
