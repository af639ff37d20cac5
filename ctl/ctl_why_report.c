/*
 * NAME
 *	ctl_why_report - waypostctl why's report: every check and limit,
 *	and the answer
 * SYNOPSIS
 *	#include "ctl_why.h"
 *
 *	void ctl_why_report(ctl, why)
 * DESCRIPTION
 *	Prints how a dry run (ctl_why.c) found each check
 *	(ctl_why_checks.c) and limit, in the order waypost-policyd makes
 *	them, then the action Postfix would get and what decided it. A
 *	limit "passes", is "exceeded", "exempt", has "no subject" (a part
 *	of its subject is empty: it does not count the request) or was
 *	"not reached". Several may refuse: the answer is the first's.
 *
 *	Without --json: a line for the request, a table of the checks, a
 *	table of the limits, a line for the check cache and one for the
 *	answer. With --json: one object (waypostctl(8)).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "config_value.h"
#include "ctl_why.h"
#include "limit_subject.h"

struct report {
	struct ctl_why_rows rows; /* first: the checks' part */
	const char *decided_by;   /* what the answer is */
	char decided_limit[300];  /* "limit NAME" */
};

/* The entry of limit index in the run, or run->count when none. */
static size_t
entry_of(const struct decide_dry_run *run, size_t index)
{
	for (size_t i = 0; i < run->count; i++)
		if (run->indexes[i] == index)
			return i;
	return run->count;
}

static void
limit_row(
    struct report *report, struct ctl_list *human, json_t *limits, size_t index)
{
	const struct ctl_why *why = report->rows.why;
	const struct limit_section *limit = why->config->limits.items[index];
	const struct decide_dry_run *run = &why->run;
	size_t entry = entry_of(run, index);
	char window[32], used[32] = "-", max[32] = "-", retry[32] = "-";
	const char *state = "no subject", *subject = "";
	json_t *object;

	config_format_duration(limit->window, window, sizeof(window));
	if (run->stage == DECIDE_RELAY_DENIED ||
	    run->stage == DECIDE_REFUSED_EARLY)
		state = "not reached";
	else if (limit_exempt(limit, &why->request))
		state = "exempt";
	else if (entry < run->count && !report->rows.redis)
		state = "not reached";
	else if (entry < run->count) {
		const struct script_limit_state *limit_state =
		    &run->states[entry];

		subject = run->limits[entry].subject;
		state = limit_state->seconds > 0 ? "exceeded" : "passes";
		snprintf(used, sizeof(used), "%lld", limit_state->count);
		snprintf(max, sizeof(max), "%lld", limit_state->max);
		if (limit_state->seconds > 0)
			snprintf(retry, sizeof(retry), "%llds",
			    limit_state->seconds);
	}
	object = json_pack("{sssssssssI}", "limit", limit->name, "state", state,
	    "subject", subject, "window", window, "amount",
	    (json_int_t)(entry < run->count ? run->limits[entry].amount : 0));
	if (subject[0] != '\0') {
		json_object_set_new(
		    object, "used", json_integer(run->states[entry].count));
		json_object_set_new(
		    object, "max", json_integer(run->states[entry].max));
		json_object_set_new(object, "retry_in",
		    run->states[entry].seconds > 0
		        ? json_integer(run->states[entry].seconds)
		        : json_null());
	}
	if (limits != NULL)
		json_array_append_new(limits, object);
	else {
		const char *cells[] = {limit->name,
		    subject[0] != '\0' ? subject : "-", used, max, window,
		    state, retry};

		ctl_list_add(human, object, cells);
	}
}

static void
limits(struct report *report, json_t *result)
{
	const struct ctl_why *why = report->rows.why;
	static const char *const headers[] = {
	    "LIMIT", "SUBJECT", "USED", "MAX", "WINDOW", "STATE", "RETRY"};
	struct ctl human_ctl = {0};
	struct ctl_list *human = NULL;
	json_t *array = NULL;

	if (result != NULL)
		array = json_array();
	else
		human = ctl_list_new(&human_ctl, 7, headers);
	for (size_t i = 0; i < why->config->limits.count; i++)
		limit_row(report, human, array, i);
	if (result != NULL)
		json_object_set_new(result, "limits", array);
	else {
		ctl_list_end(human);
		if (why->config->limits.count == 0)
			puts("no [limit] section");
	}
}

/* What the answer is: the first refusal, in the script's order. */
static const char *
decided_by(struct report *report)
{
	const struct decide_dry_run *run = &report->rows.why->run;

	switch (run->stage) {
	case DECIDE_RELAY_DENIED:
		return "relay";
	case DECIDE_REFUSED_EARLY:
		return "sender_ownership";
	case DECIDE_NOTHING_TO_ASK:
		return "";
	default:
		break;
	}
	switch (run->answer.outcome) {
	case SCRIPT_SUSPENDED:
		return "suspension";
	case SCRIPT_NOT_OWNED:
		return "sender_ownership";
	case SCRIPT_COMPROMISED:
		return "compromise";
	case SCRIPT_WARMUP_CAP:
		return "warmup";
	case SCRIPT_SUPPRESSED:
		return "suppression";
	case SCRIPT_LIMIT_REACHED:
		snprintf(report->decided_limit, sizeof(report->decided_limit),
		    "limit %s", run->limits[run->answer.limit].name);
		return report->decided_limit;
	case SCRIPT_UNAVAILABLE:
		return "fail_mode";
	default:
		return "";
	}
}

static void
request_line(const struct ctl_why *why, json_t *result)
{
	char line[4 * CTL_VALUE_MAX + 200];

	if (result != NULL) {
		json_object_set_new(result, "request",
		    json_pack("{ssssssssss}", "protocol_state", "RCPT", "user",
		        why->user, "sender", why->sender, "recipient",
		        why->recipient, "client", why->client));
		return;
	}
	snprintf(line, sizeof(line),
	    "request: RCPT, user %s, sender <%s>, recipient <%s>, client %s",
	    why->user[0] != '\0' ? why->user : "(none)", why->sender,
	    why->recipient, why->client[0] != '\0' ? why->client : "(none)");
	ctl_result(&(struct ctl){0}, NULL, line);
}

static void
cache_line(const struct ctl_why *why, json_t *result)
{
	long long time = why->config->policy.check_cache_time;
	char text[32], line[300];

	if (result != NULL) {
		json_object_set_new(
		    result, "check_cache_time", json_integer(time));
		return;
	}
	config_format_duration(time, text, sizeof(text));
	if (time > 0)
		snprintf(line, sizeof(line),
		    "check cache: a check Redis passed in the last %s may pass "
		    "again from waypost-policyd's memory (check_cache_time)",
		    text);
	else
		snprintf(line, sizeof(line), "check cache: off");
	ctl_result(&(struct ctl){0}, NULL, line);
}

void
ctl_why_report(const struct ctl *ctl, const struct ctl_why *why)
{
	static const char *const headers[] = {"CHECK", "STATE", "DETAIL"};
	struct report report = {{why, NULL, NULL, false}, "", ""};
	json_t *result = ctl->json ? json_object() : NULL;
	char line[POLICY_ACTION_MAX + 100];

	report.rows.redis = why->run.stage == DECIDE_ASKS_REDIS &&
	                    why->run.answer.outcome != SCRIPT_UNAVAILABLE;
	request_line(why, result);
	if (result != NULL)
		report.rows.checks = json_array();
	else
		report.rows.human = ctl_list_new(&(struct ctl){0}, 3, headers);
	ctl_why_checks(&report.rows);
	if (result != NULL)
		json_object_set_new(result, "checks", report.rows.checks);
	else
		ctl_list_end(report.rows.human);
	limits(&report, result);
	cache_line(why, result);
	report.decided_by = decided_by(&report);
	if (result != NULL) {
		json_object_set_new(
		    result, "decided_by", json_string(report.decided_by));
		json_object_set_new(
		    result, "action", json_string(why->run.action));
		ctl_result(ctl, result, "");
		return;
	}
	snprintf(line, sizeof(line), "answer: %s%s%s%s", why->run.action,
	    report.decided_by[0] != '\0' ? " (" : "", report.decided_by,
	    report.decided_by[0] != '\0' ? ")" : "");
	ctl_result(ctl, NULL, line);
}
