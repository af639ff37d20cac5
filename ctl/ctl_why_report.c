/*
 * NAME
 *	ctl_why_report - waypostctl why's report: every check and limit,
 *	and the answer
 * SYNOPSIS
 *	#include "ctl_why.h"
 *
 *	void ctl_why_report(ctl, why)
 * DESCRIPTION
 *	Prints how a dry run (ctl_why.c) found each check and limit, in
 *	the order waypost-policyd makes them, then the action Postfix
 *	would get. A check is "off" (not in the configuration), "not
 *	asked" (the request gives it nothing to check, such as no user),
 *	"not reached" (a check made before Redis refused first), "passed"
 *	or "refused"; a limit "passes", "exceeded", "exempt", "no subject"
 *	(a part of its subject is empty: it does not count the request)
 *	or "not reached". Several may refuse: the answer is the first's.
 *
 *	Without --json: a line for the request, a table of the checks, a
 *	table of the limits, a line for the check cache and one for the
 *	answer. With --json: one object (waypostctl(8)).
 *
 *	The compromise detector's counts are of what it holds before this
 *	request: a dry run adds nothing, and counts the client (or the
 *	message) as a new one, which the report says when that decides.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "config_value.h"
#include "ctl_why.h"
#include "limit_subject.h"
#include "relay_check.h"
#include "xmalloc.h"

#define DETAIL_MAX 1200

struct report {
	const struct ctl_why *why;
	json_t *checks;          /* with --json */
	struct ctl_list *human;  /* without */
	bool redis;              /* the script answered */
	const char *decided_by;  /* what the answer is */
	char decided_limit[300]; /* "limit NAME" */
};

static void
row(struct report *report, const char *check, const char *state,
    const char *detail, json_t *fields)
{
	const char *cells[] = {check, state, detail};

	if (fields == NULL)
		fields = json_object();
	json_object_set_new(fields, "state", json_string(state));
	json_object_set_new(fields, "detail", json_string(detail));
	if (report->checks != NULL) {
		json_t *object = json_pack("{ss}", "check", check);

		json_object_update(object, fields);
		json_array_append_new(report->checks, object);
	} else
		ctl_list_add(report->human, NULL, cells);
	json_decref(fields);
}

/* A check that a refusal before Redis kept from being made. */
static bool
unreached(struct report *report, const char *check)
{
	if (report->redis || report->why->run.stage == DECIDE_NOTHING_TO_ASK)
		return false;
	row(report, check, "not reached",
	    report->why->run.stage == DECIDE_ASKS_REDIS
	        ? "Redis did not answer"
	        : "a check before it refused the request",
	    NULL);
	return true;
}

static void
relay(struct report *report)
{
	const struct ctl_why *why = report->why;
	const struct policy_section *policy = &why->config->policy;

	if (!policy->check_relay)
		row(report, "relay", "off", "check_relay = no", NULL);
	else if (why->run.stage == DECIDE_RELAY_DENIED)
		row(report, "relay", "refused",
		    "recipient not in local_domains, client neither "
		    "authenticated nor in trusted_networks",
		    NULL);
	else
		row(report, "relay", "passed",
		    why->user[0] != '\0' ? "the client logged in"
		    : client_trusted(policy, &why->request)
		        ? "the client is in trusted_networks"
		        : "the recipient is in local_domains",
		    NULL);
}

static void
ownership(struct report *report)
{
	const struct ctl_why *why = report->why;
	const struct decide_dry_run *run = &why->run;
	const char *check = "sender_ownership";

	if (!why->config->policy.check_sender_ownership)
		row(report, check, "off", "check_sender_ownership = no", NULL);
	else if (why->user[0] == '\0')
		row(report, check, "not asked", "no user logged in", NULL);
	else if (run->stage == DECIDE_REFUSED_EARLY)
		row(report, check, "refused",
		    why->sender[0] == '\0'
		        ? "the null sender, from a client not in "
		          "trusted_networks"
		        : "no sender or user that can be granted",
		    NULL);
	else if (unreached(report, check))
		return;
	else if (why->sender[0] == '\0')
		row(report, check, "passed",
		    "the null sender, from a client in trusted_networks", NULL);
	else if ((run->check.asked & SCRIPT_ASKS_OWNERSHIP) == 0)
		row(report, check, "passed", "granted by identities_file",
		    NULL);
	else if (run->details.owned == 1)
		row(report, check, "passed",
		    "granted in Redis (waypostctl senders)", NULL);
	else
		row(report, check, "refused",
		    "granted neither in Redis nor "
		    "by identities_file",
		    NULL);
}

static void
suspension(struct report *report)
{
	const struct ctl_why *why = report->why;
	const struct script_details *details = &why->run.details;
	const struct account_check *check = &why->run.check;
	char detail[DETAIL_MAX];

	if (!why->config->policy.check_suspension)
		row(report, "suspension", "off", "check_suspension = no", NULL);
	else if (unreached(report, "suspension"))
		return;
	else if ((check->asked & SCRIPT_ASKS_SUSPENSION) == 0)
		row(report, "suspension", "not asked",
		    "no user or sender to look up", NULL);
	else if (details->user_suspended || details->domain_suspended) {
		snprintf(detail, sizeof(detail), "%s%s%s%s%s%s%s",
		    details->user_suspended ? "user " : "",
		    details->user_suspended ? check->user : "",
		    details->user_suspended ? ": " : "",
		    details->user_suspended ? details->user_reason : "",
		    details->user_suspended && details->domain_suspended ? "; "
		                                                         : "",
		    details->domain_suspended ? "domain " : "",
		    details->domain_suspended ? check->sender.domain + 1 : "");
		if (details->domain_suspended)
			snprintf(detail + strlen(detail),
			    sizeof(detail) - strlen(detail), ": %s",
			    details->domain_reason);
		row(report, "suspension", "refused", detail,
		    json_pack("{s:s?,s:s?}", "user_reason",
		        details->user_suspended ? details->user_reason : NULL,
		        "domain_reason",
		        details->domain_suspended ? details->domain_reason
		                                  : NULL));
	} else
		row(report, "suspension", "passed",
		    "neither the user nor the sender's domain is suspended",
		    NULL);
}

static void
compromise(struct report *report)
{
	const struct ctl_why *why = report->why;
	const struct policy_section *policy = &why->config->policy;
	const struct script_details *details = &why->run.details;
	bool refused =
	    why->run.answer.outcome == SCRIPT_COMPROMISED ||
	    details->addresses + 1 > policy->compromise_max_addresses ||
	    (details->failures >= 0 &&
	        details->failures + 1 > policy->compromise_max_failures);
	char window[32], detail[DETAIL_MAX];

	if (!policy->detect_compromise) {
		row(report, "compromise", "off", "detect_compromise = no",
		    NULL);
		return;
	}
	if (unreached(report, "compromise"))
		return;
	if ((why->run.check.asked & SCRIPT_ASKS_COMPROMISE) == 0) {
		row(report, "compromise", "not asked", "no user logged in",
		    NULL);
		return;
	}
	config_format_duration(
	    policy->compromise_window, window, sizeof(window));
	snprintf(detail, sizeof(detail),
	    "%lld of %lld client addresses in %s%s", details->addresses,
	    policy->compromise_max_addresses, window,
	    refused ? "; one more suspends the user (a dry run takes the "
	              "client and the message for new ones)"
	            : "");
	if (details->failures >= 0)
		snprintf(detail + strlen(detail),
		    sizeof(detail) - strlen(detail),
		    "; %lld of %lld messages from senders not owned",
		    details->failures, policy->compromise_max_failures);
	row(report, "compromise", refused ? "refused" : "passed", detail,
	    json_pack("{sIsIsIsI}", "addresses", (json_int_t)details->addresses,
	        "max_addresses", (json_int_t)policy->compromise_max_addresses,
	        "failures", (json_int_t)details->failures, "max_failures",
	        (json_int_t)policy->compromise_max_failures));
}

static void
suppression(struct report *report)
{
	const struct ctl_why *why = report->why;
	const struct script_details *details = &why->run.details;
	char detail[DETAIL_MAX], since[32] = "?";

	if (!why->config->policy.check_suppression)
		row(report, "suppression", "off", "check_suppression = no",
		    NULL);
	else if (unreached(report, "suppression"))
		return;
	else if ((why->run.check.asked & SCRIPT_ASKS_SUPPRESSION) == 0)
		row(report, "suppression", "not asked",
		    "the recipient is no address", NULL);
	else if (details->suppressed || details->suppressed_any) {
		bool tenant = details->suppressed;
		long long when = tenant ? details->since : details->since_any;

		if (when > 0)
			ctl_format_time(when, since, sizeof(since));
		snprintf(detail, sizeof(detail),
		    "<%s> suppressed for %s%s since %s: %s",
		    why->run.check.recipient,
		    tenant ? "tenant " : "every tenant",
		    tenant ? why->run.check.tenant : "", since,
		    tenant ? details->reason : details->reason_any);
		row(report, "suppression", "refused", detail, NULL);
	} else
		row(report, "suppression", "passed",
		    "the recipient is not suppressed", NULL);
}

static void
warmup(struct report *report)
{
	const struct ctl_why *why = report->why;
	const struct script_details *details = &why->run.details;
	const struct account_check *check = &why->run.check;
	char detail[DETAIL_MAX], cap[32] = "unlimited";

	if (why->config->warmups.count == 0)
		row(report, "warmup", "off", "no [warmup] section", NULL);
	else if (unreached(report, "warmup"))
		return;
	else if ((check->asked & SCRIPT_ASKS_WARMUP) == 0)
		row(report, "warmup", "not asked",
		    "the sender's domain is in no [warmup] section", NULL);
	else {
		bool refused = details->warmup_cap >= 0 &&
		               details->warmup_sent + 1 > details->warmup_cap;

		if (details->warmup_cap >= 0)
			snprintf(cap, sizeof(cap), "%lld", details->warmup_cap);
		snprintf(detail, sizeof(detail),
		    "[warmup \"%s\"] %s: %lld sent on day %lld, cap %s",
		    check->warmup->name, check->warmup_subject,
		    details->warmup_sent, details->warmup_day, cap);
		row(report, "warmup", refused ? "refused" : "passed", detail,
		    json_pack("{sIsIsI}", "sent",
		        (json_int_t)details->warmup_sent, "cap",
		        (json_int_t)details->warmup_cap, "day",
		        (json_int_t)details->warmup_day));
	}
}

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
	const struct ctl_why *why = report->why;
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
	else if (entry < run->count && !report->redis)
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
	const struct ctl_why *why = report->why;
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
	const struct decide_dry_run *run = &report->why->run;

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
	struct report report = {why, NULL, NULL, false, "", ""};
	json_t *result = ctl->json ? json_object() : NULL;
	char line[POLICY_ACTION_MAX + 100];

	report.redis = why->run.stage == DECIDE_ASKS_REDIS &&
	               why->run.answer.outcome != SCRIPT_UNAVAILABLE;
	request_line(why, result);
	if (result != NULL)
		report.checks = json_array();
	else
		report.human = ctl_list_new(&(struct ctl){0}, 3, headers);
	relay(&report);
	ownership(&report);
	suspension(&report);
	compromise(&report);
	suppression(&report);
	warmup(&report);
	if (result != NULL)
		json_object_set_new(result, "checks", report.checks);
	else
		ctl_list_end(report.human);
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
