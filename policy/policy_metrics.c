/*
 * NAME
 *	policy_metrics - waypost-policyd's decisions, refusals and
 *	connections as Prometheus metrics
 * SYNOPSIS
 *	#include "policy_metrics.h"
 * DESCRIPTION
 *	The names, which waypost-policyd(8) lists under METRICS and which
 *	never change:
 *
 *	waypost_policy_connections_total, waypost_policy_connections_open:
 *	Postfix's connections to the policy service;
 *	waypost_policy_decisions_total{stage,action}: every answer, by the
 *	request's protocol_state (mail, rcpt, data, end_of_message, other)
 *	and the answer's kind (dunno, ok, defer_if_permit, reject, defer,
 *	hold, discard, or 4xx/5xx for an answer that is a code; other
 *	otherwise);
 *	waypost_policy_decision_duration_seconds{stage}: from the request
 *	read to its answer written, Redis included;
 *	waypost_policy_refusals_total{check,limit}: what refused, check one
 *	of relay, ownership, suspended, compromised, warmup, suppressed and
 *	limit (then limit names the [limit] section; empty otherwise);
 *	waypost_policy_fail_mode_answers_total{mode}: answers given by
 *	fail_mode (open or closed) because Redis did not answer.
 *
 *	No label carries a user, sender, recipient or client: a limit's
 *	name is the admin's. Everything runs in the event loop's thread;
 *	the handles of stage and action are made at start.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "metrics.h"
#include "policy_metrics.h"

#define STAGES          5
#define ACTION_WORD_MAX 24

static const char *const stage_names[STAGES] = {
    "other", "mail", "rcpt", "data", "end_of_message"};
static const char *const action_names[] = {"dunno", "ok", "defer_if_permit",
    "reject", "defer", "hold", "discard", "4xx", "5xx", "other"};
#define ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

static struct metric *decisions[STAGES][ACTIONS];
static struct metric *durations[STAGES];
static struct metric *connections, *connections_open;
static struct metric *fail_open, *fail_closed;
static struct metric_family *refusals;
static long open_count;

void
policy_metrics_init(void)
{
	struct metric_family *decided, *duration, *fail_mode;

	decided = metric_family("waypost_policy_decisions_total",
	    "Policy answers by protocol stage and kind of action.",
	    METRIC_COUNTER, "stage,action");
	duration = metric_family("waypost_policy_decision_duration_seconds",
	    "Time from a policy request read to its answer written.",
	    METRIC_HISTOGRAM, "stage");
	for (size_t s = 0; s < STAGES; s++) {
		for (size_t a = 0; a < ACTIONS; a++)
			decisions[s][a] = metric_series(
			    decided, stage_names[s], action_names[a]);
		durations[s] = metric_series(duration, stage_names[s]);
	}
	refusals = metric_family("waypost_policy_refusals_total",
	    "Requests refused, by the check or limit that refused them.",
	    METRIC_COUNTER, "check,limit");
	fail_mode = metric_family("waypost_policy_fail_mode_answers_total",
	    "Answers given by fail_mode because Redis did not answer.",
	    METRIC_COUNTER, "mode");
	fail_open = metric_series(fail_mode, "open");
	fail_closed = metric_series(fail_mode, "closed");
	connections =
	    metric_series(metric_family("waypost_policy_connections_total",
	        "Connections from Postfix accepted.", METRIC_COUNTER, NULL));
	connections_open =
	    metric_series(metric_family("waypost_policy_connections_open",
	        "Connections from Postfix open now.", METRIC_GAUGE, NULL));
}

void
policy_metrics_connection(bool opened)
{
	if (connections == NULL)
		return;
	if (opened)
		metric_inc(connections);
	open_count += opened ? 1 : -1;
	metric_set(connections_open, (double)open_count);
}

/* The index of a kind; the last, "other", when it is none of them. */
static size_t
action_index(const char *kind)
{
	size_t a = 0;

	while (a < ACTIONS - 1 && strcmp(kind, action_names[a]) != 0)
		a++;
	return a;
}

/* The kind of an action: its first word, as Postfix reads it, or the
 * class of its code. */
static size_t
action_kind(const char *action)
{
	char word[ACTION_WORD_MAX];
	size_t length = strcspn(action, " \t");

	if (action[0] == '4' || action[0] == '5')
		return action_index(action[0] == '4' ? "4xx" : "5xx");
	if (length >= sizeof(word))
		return ACTIONS - 1;
	for (size_t i = 0; i < length; i++)
		word[i] = (char)tolower((unsigned char)action[i]);
	word[length] = '\0';
	return action_index(word);
}

void
policy_metrics_answered(
    enum policy_state stage, const char *action, double seconds)
{
	size_t s = (size_t)stage < STAGES ? (size_t)stage : 0;

	if (durations[s] == NULL)
		return;
	metric_inc(decisions[s][action_kind(action)]);
	metric_observe(durations[s], seconds);
}

void
policy_metrics_refused(const char *check, const char *limit)
{
	if (refusals != NULL)
		metric_inc(metric_series(refusals, check, limit ? limit : ""));
}

void
policy_metrics_fail_mode(bool open)
{
	if (fail_open != NULL)
		metric_inc(open ? fail_open : fail_closed);
}
