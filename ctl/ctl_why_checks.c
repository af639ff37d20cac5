/*
 * NAME
 *	ctl_why_checks - waypostctl why's report: how each check stands
 * SYNOPSIS
 *	#include "ctl_why.h"
 *
 *	void ctl_why_checks(rows)
 * DESCRIPTION
 *	A row per check of a dry run (ctl_why.c), in the order
 *	waypost-policyd makes them: relay, sender ownership, suspension,
 *	compromise, suppression, warm-up. Each is "off" (not in the
 *	configuration), "not asked" (the request gives it nothing to check,
 *	such as no user), "not reached" (a check made before Redis refused
 *	first, or Redis did not answer), "passed" or "refused", with what
 *	it found: into rows->checks with --json (an object each, with
 *	the numbers), else rows->human (a table's row).
 *
 *	The compromise detector's counts are of what it holds before this
 *	request: a dry run adds nothing, and counts the client (or the
 *	message) as a new one, which the row says when that decides.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "config_value.h"
#include "ctl_why.h"
#include "relay_check.h"

#define DETAIL_MAX 1200

static void
row(struct ctl_why_rows *rows, const char *check, const char *state,
    const char *detail, json_t *fields)
{
	const char *cells[] = {check, state, detail};

	if (fields == NULL)
		fields = json_object();
	json_object_set_new(fields, "state", json_string(state));
	json_object_set_new(fields, "detail", json_string(detail));
	if (rows->checks != NULL) {
		json_t *object = json_pack("{ss}", "check", check);

		json_object_update(object, fields);
		json_array_append_new(rows->checks, object);
	} else
		ctl_list_add(rows->human, NULL, cells);
	json_decref(fields);
}

/* A check that a refusal before Redis kept from being made. */
static bool
unreached(struct ctl_why_rows *rows, const char *check)
{
	if (rows->redis || rows->why->run.stage == DECIDE_NOTHING_TO_ASK)
		return false;
	row(rows, check, "not reached",
	    rows->why->run.stage == DECIDE_ASKS_REDIS
	        ? "Redis did not answer"
	        : "a check before it refused the request",
	    NULL);
	return true;
}

static void
relay(struct ctl_why_rows *rows)
{
	const struct ctl_why *why = rows->why;
	const struct policy_section *policy = &why->config->policy;

	if (!policy->check_relay)
		row(rows, "relay", "off", "check_relay = no", NULL);
	else if (why->run.stage == DECIDE_RELAY_DENIED)
		row(rows, "relay", "refused",
		    "recipient not in local_domains, client neither "
		    "authenticated nor in trusted_networks",
		    NULL);
	else
		row(rows, "relay", "passed",
		    why->user[0] != '\0' ? "the client logged in"
		    : client_trusted(policy, &why->request)
		        ? "the client is in trusted_networks"
		        : "the recipient is in local_domains",
		    NULL);
}

static void
ownership(struct ctl_why_rows *rows)
{
	const struct ctl_why *why = rows->why;
	const struct decide_dry_run *run = &why->run;
	const char *check = "sender_ownership";

	if (!why->config->policy.check_sender_ownership)
		row(rows, check, "off", "check_sender_ownership = no", NULL);
	else if (why->user[0] == '\0')
		row(rows, check, "not asked", "no user logged in", NULL);
	else if (run->stage == DECIDE_REFUSED_EARLY)
		row(rows, check, "refused",
		    why->sender[0] == '\0'
		        ? "the null sender, from a client not in "
		          "trusted_networks"
		        : "no sender or user that can be granted",
		    NULL);
	else if (unreached(rows, check))
		return;
	else if (why->sender[0] == '\0')
		row(rows, check, "passed",
		    "the null sender, from a client in trusted_networks", NULL);
	else if ((run->check.asked & SCRIPT_ASKS_OWNERSHIP) == 0)
		row(rows, check, "passed", "granted by identities_file", NULL);
	else if (run->details.owned == 1)
		row(rows, check, "passed",
		    "granted in Redis (waypostctl senders)", NULL);
	else
		row(rows, check, "refused",
		    "granted neither in Redis nor "
		    "by identities_file",
		    NULL);
}

static void
suspension(struct ctl_why_rows *rows)
{
	const struct ctl_why *why = rows->why;
	const struct script_details *details = &why->run.details;
	const struct account_check *check = &why->run.check;
	char detail[DETAIL_MAX];

	if (!why->config->policy.check_suspension)
		row(rows, "suspension", "off", "check_suspension = no", NULL);
	else if (unreached(rows, "suspension"))
		return;
	else if ((check->asked & SCRIPT_ASKS_SUSPENSION) == 0)
		row(rows, "suspension", "not asked",
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
		row(rows, "suspension", "refused", detail,
		    json_pack("{s:s?,s:s?}", "user_reason",
		        details->user_suspended ? details->user_reason : NULL,
		        "domain_reason",
		        details->domain_suspended ? details->domain_reason
		                                  : NULL));
	} else
		row(rows, "suspension", "passed",
		    "neither the user nor the sender's domain is suspended",
		    NULL);
}

static void
compromise(struct ctl_why_rows *rows)
{
	const struct ctl_why *why = rows->why;
	const struct policy_section *policy = &why->config->policy;
	const struct script_details *details = &why->run.details;
	bool refused =
	    why->run.answer.outcome == SCRIPT_COMPROMISED ||
	    details->addresses + 1 > policy->compromise_max_addresses ||
	    (details->failures >= 0 &&
	        details->failures + 1 > policy->compromise_max_failures);
	char window[32], detail[DETAIL_MAX];

	if (!policy->detect_compromise) {
		row(rows, "compromise", "off", "detect_compromise = no", NULL);
		return;
	}
	if (unreached(rows, "compromise"))
		return;
	if ((why->run.check.asked & SCRIPT_ASKS_COMPROMISE) == 0) {
		row(rows, "compromise", "not asked", "no user logged in", NULL);
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
	row(rows, "compromise", refused ? "refused" : "passed", detail,
	    json_pack("{sIsIsIsI}", "addresses", (json_int_t)details->addresses,
	        "max_addresses", (json_int_t)policy->compromise_max_addresses,
	        "failures", (json_int_t)details->failures, "max_failures",
	        (json_int_t)policy->compromise_max_failures));
}

static void
suppression(struct ctl_why_rows *rows)
{
	const struct ctl_why *why = rows->why;
	const struct script_details *details = &why->run.details;
	char detail[DETAIL_MAX], since[32] = "?";

	if (!why->config->policy.check_suppression)
		row(rows, "suppression", "off", "check_suppression = no", NULL);
	else if (unreached(rows, "suppression"))
		return;
	else if ((why->run.check.asked & SCRIPT_ASKS_SUPPRESSION) == 0)
		row(rows, "suppression", "not asked",
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
		row(rows, "suppression", "refused", detail, NULL);
	} else
		row(rows, "suppression", "passed",
		    "the recipient is not suppressed", NULL);
}

static void
warmup(struct ctl_why_rows *rows)
{
	const struct ctl_why *why = rows->why;
	const struct script_details *details = &why->run.details;
	const struct account_check *check = &why->run.check;
	char detail[DETAIL_MAX], cap[32] = "unlimited";

	if (why->config->warmups.count == 0)
		row(rows, "warmup", "off", "no [warmup] section", NULL);
	else if (unreached(rows, "warmup"))
		return;
	else if ((check->asked & SCRIPT_ASKS_WARMUP) == 0)
		row(rows, "warmup", "not asked",
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
		row(rows, "warmup", refused ? "refused" : "passed", detail,
		    json_pack("{sIsIsI}", "sent",
		        (json_int_t)details->warmup_sent, "cap",
		        (json_int_t)details->warmup_cap, "day",
		        (json_int_t)details->warmup_day));
	}
}

void
ctl_why_checks(struct ctl_why_rows *rows)
{
	relay(rows);
	ownership(rows);
	suspension(rows);
	compromise(rows);
	suppression(rows);
	warmup(rows);
}
