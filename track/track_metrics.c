/*
 * NAME
 *	track_metrics - waypost-trackd's outcomes, suppressions, guard and
 *	lag as Prometheus metrics
 * SYNOPSIS
 *	#include "track_metrics.h"
 * DESCRIPTION
 *	The names, which waypost-trackd(8) lists under METRICS and which
 *	never change:
 *
 *	waypost_track_outcomes_total{status,class}: each recipient's
 *	outcome as read (sent, deferred, bounced, expired; suppressed for
 *	a recipient smtpd refused as suppressed), with the bounce class of
 *	deferrals and bounces (empty otherwise);
 *	waypost_track_suppressions_total: recipients the records suppressed;
 *	waypost_track_guard_actions_total{level}: tenants the bounce-rate
 *	guard moved over its warning level (warn) or paused (pause);
 *	waypost_track_lines_total{kind}: lines read (all), and of them
 *	invalid, other (of no kind it reads), cut and long;
 *	waypost_track_lag_seconds: how far behind the log the daemon reads
 *	(0 at its end); waypost_track_records_waiting: records read and
 *	not yet in Redis; waypost_track_open_messages.
 *
 *	Outcomes are counted when read, in the event loop's thread. Lines
 *	read again after a restart (those not yet saved) are counted again
 *	by the new process, as Prometheus sees any counter reset. The line
 *	counters are the daemon's own (track_lines.c) published after each
 *	poll as increments, so the HTTP thread never reads them.
 *
 *	The record script's notes are matched by what record_script.lua
 *	writes (suppress() and guard()): change both together.
 */
#include "config.h"

#include <string.h>

#include "metrics.h"
#include "track_metrics.h"

static const char *const status_names[TRACK_OUTCOME_TYPE_COUNT] = {
    "sent", "deferred", "bounced", "expired"};

static struct metric *outcomes[TRACK_OUTCOME_TYPE_COUNT][BOUNCE_CLASS_COUNT];
static struct metric *refused, *suppressions, *guard_warn, *guard_pause;
static struct metric *lines_all, *lines_invalid, *lines_other, *lines_cut,
    *lines_long;
static struct metric *lag, *waiting, *open_messages;
static struct track_counters published;
static uint64_t published_long;

static bool
has_class(enum track_outcome_type type)
{
	return type == TRACK_OUTCOME_DEFERRED || type == TRACK_OUTCOME_BOUNCED;
}

static struct metric *
gauge(const char *name, const char *help)
{
	return metric_series(metric_family(name, help, METRIC_GAUGE, NULL));
}

void
track_metrics_init(void)
{
	struct metric_family *family, *guard, *lines;

	family = metric_family("waypost_track_outcomes_total",
	    "Recipients' outcomes read from the log, by status and bounce "
	    "class.",
	    METRIC_COUNTER, "status,class");
	for (int t = 0; t < TRACK_OUTCOME_TYPE_COUNT; t++)
		for (int c = 0; c < BOUNCE_CLASS_COUNT; c++)
			if (has_class(t) || c == 0)
				outcomes[t][c] = metric_series(family,
				    status_names[t],
				    has_class(t) ? bounce_class_name(c) : "");
	refused = metric_series(family, "suppressed", "");
	suppressions =
	    metric_series(metric_family("waypost_track_suppressions_total",
	        "Recipients suppressed after their outcomes.", METRIC_COUNTER,
	        NULL));
	guard = metric_family("waypost_track_guard_actions_total",
	    "Tenants the bounce-rate guard warned of or paused.",
	    METRIC_COUNTER, "level");
	guard_warn = metric_series(guard, "warn");
	guard_pause = metric_series(guard, "pause");
	lines = metric_family("waypost_track_lines_total",
	    "Log lines read: all, and the invalid, other, cut and long ones.",
	    METRIC_COUNTER, "kind");
	lines_all = metric_series(lines, "all");
	lines_invalid = metric_series(lines, "invalid");
	lines_other = metric_series(lines, "other");
	lines_cut = metric_series(lines, "cut");
	lines_long = metric_series(lines, "long");
	lag = gauge("waypost_track_lag_seconds",
	    "How far behind the newest line of the log the daemon reads.");
	waiting = gauge("waypost_track_records_waiting",
	    "Records read from the log and not yet in Redis.");
	open_messages = gauge("waypost_track_open_messages",
	    "Messages whose outcomes are still expected.");
}

void
track_metrics_outcome(enum track_outcome_type type, enum bounce_class class)
{
	struct metric *metric;

	if ((int)type < 0 || type >= TRACK_OUTCOME_TYPE_COUNT ||
	    (int)class < 0 || class >= BOUNCE_CLASS_COUNT)
		return;
	metric = outcomes[type][has_class(type) ? class : 0];
	if (metric != NULL)
		metric_inc(metric);
}

void
track_metrics_refused_suppressed(void)
{
	if (refused != NULL)
		metric_inc(refused);
}

/* record_script.lua's suppress(): "to=<A>, suppressed for ...";
 * guard(): "tenant T: ...: suspended" or "...: over the warning level". */
void
track_metrics_note(const char *text)
{
	size_t length = strlen(text);
	static const char suspended[] = ": suspended";
	static const char warned[] = ": over the warning level";

	if (suppressions == NULL)
		return;
	if (strncmp(text, "to=<", 4) == 0 &&
	    strstr(text, ">, suppressed for ") != NULL)
		metric_inc(suppressions);
	else if (strncmp(text, "tenant ", 7) == 0 &&
	         length >= sizeof(suspended) - 1 &&
	         strcmp(text + length - (sizeof(suspended) - 1), suspended) ==
	             0)
		metric_inc(guard_pause);
	else if (strncmp(text, "tenant ", 7) == 0 &&
	         length >= sizeof(warned) - 1 &&
	         strcmp(text + length - (sizeof(warned) - 1), warned) == 0)
		metric_inc(guard_warn);
}

static void
add_since(struct metric *metric, uint64_t now, uint64_t *before)
{
	if (now > *before)
		metric_add(metric, now - *before);
	*before = now;
}

void
track_metrics_publish(const struct track_metrics_state *state)
{
	const struct track_counters *c = state->counters;

	if (lag == NULL)
		return;
	add_since(lines_all, c->lines, &published.lines);
	add_since(lines_invalid, c->invalid, &published.invalid);
	add_since(lines_other, c->other, &published.other);
	add_since(lines_cut, c->cut, &published.cut);
	add_since(lines_long, state->long_lines, &published_long);
	metric_set(lag, state->lag_seconds);
	metric_set(waiting, (double)state->waiting);
	metric_set(open_messages, (double)state->open_messages);
}
