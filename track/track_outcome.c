/*
 * NAME
 *	track_outcome - one recipient's outcome, and what waypost-trackd
 *	counts, as log lines
 * SYNOPSIS
 *	#include "track_outcome.h"
 *
 *	void track_outcome_record(outcome)
 *	void track_refusal_record(outcome)
 *	void track_eviction_report(queue_id, first_seen, counters, max)
 *	void track_counters_report(counters, long_lines, when)
 * DESCRIPTION
 *	track_outcome_record() is where every outcome waypost-trackd
 *	reads from the log goes: today one log line each, queue ID first,
 *
 *	    4F3A21C0B2: to=<r@example.net>, status=bounced, dsn=5.1.1,
 *	    class=invalid-recipient, tenant=app@example.com,
 *	    message-id=<...>, relay=..., reply=(...)
 *
 *	and Postfix's own mail (bounces, delay notices) with
 *	"origin=postfix" and, when the log linked it, "notification-of=ID"
 *	(the message it is about) in place of a tenant. The records in
 *	Redis are written from the same struct (record_batch.c).
 *
 *	track_refusal_record() logs a recipient smtpd refused as
 *	suppressed: "to=<r>, status=suppressed, tenant=..., reply=(...)".
 *
 *	track_eviction_report() warns that the table of open messages
 *	was full: at the first eviction and then at each power of two,
 *	so a flood of them is a few lines with the count.
 *
 *	track_counters_report() writes every counter in one line.
 * SECURITY
 *	Texts come from the log, so from peers; lib/log.c escapes every
 *	line and cuts it at its bound.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "track_outcome.h"

static const char *const type_names[TRACK_OUTCOME_TYPE_COUNT] = {
    "sent", "deferred", "bounced", "expired"};

const char *
track_outcome_type_name(enum track_outcome_type type)
{
	return type < TRACK_OUTCOME_TYPE_COUNT ? type_names[type] : "?";
}

/* ", name=<value>" or ", name=value" when value is known. */
static void
append(
    char *line, size_t size, const char *name, const char *value, bool brackets)
{
	size_t used = strlen(line);

	if (value == NULL || used >= size)
		return;
	snprintf(line + used, size - used, ", %s=%s%s%s", name,
	    brackets ? "<" : "", value, brackets ? ">" : "");
}

void
track_outcome_record(const struct track_outcome *outcome)
{
	char line[LOG_LINE_MAX];
	bool has_class = outcome->type == TRACK_OUTCOME_DEFERRED ||
	                 outcome->type == TRACK_OUTCOME_BOUNCED;

	line[0] = '\0';
	if (outcome->recipient != NULL)
		snprintf(line, sizeof(line), "to=<%s>, ", outcome->recipient);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "status=%s",
	    track_outcome_type_name(outcome->type));
	append(
	    line, sizeof(line), "orig_to", outcome->original_recipient, true);
	append(line, sizeof(line), "dsn", outcome->dsn, false);
	append(line, sizeof(line), "class",
	    has_class ? bounce_class_name(outcome->class) : NULL, false);
	append(line, sizeof(line), "tenant", outcome->tenant, false);
	append(line, sizeof(line), "origin",
	    outcome->postfix_own ? "postfix" : NULL, false);
	append(line, sizeof(line), "notification-of", outcome->notification_of,
	    false);
	append(line, sizeof(line), "from", outcome->sender, true);
	append(line, sizeof(line), "message-id", outcome->message_id, true);
	if (!outcome->message_known)
		append(line, sizeof(line), "message", "unknown", false);
	append(line, sizeof(line), "relay", outcome->relay, false);
	if (outcome->reply != NULL)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    ", reply=(%s)", outcome->reply);
	log_event(LOG_LEVEL_INFO, outcome->queue_id, "%s", line);
}

void
track_refusal_record(const struct track_outcome *outcome)
{
	log_event(LOG_LEVEL_INFO, outcome->queue_id,
	    "to=<%s>, status=suppressed, tenant=%s, from=<%s>, reply=(%s)",
	    outcome->recipient ? outcome->recipient : "",
	    outcome->tenant ? outcome->tenant : "",
	    outcome->sender ? outcome->sender : "",
	    outcome->reply ? outcome->reply : "");
}

void
track_eviction_report(const char *queue_id, time_t first_seen,
    const struct track_counters *counters, size_t max)
{
	uint64_t count = counters->evicted;
	struct tm tm;
	char when[32] = "?";

	if ((count & (count - 1)) != 0)
		return;
	if (localtime_r(&first_seen, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	log_event(LOG_LEVEL_WARNING, queue_id,
	    "forgotten, first seen %s: max_open_messages (%zu) reached; "
	    "%llu messages forgotten so far, their outcomes are logged "
	    "without sender or tenant",
	    when, max, (unsigned long long)count);
}

void
track_counters_report(const struct track_counters *counters,
    uint64_t long_lines, const char *when)
{
	const uint64_t *outcome = counters->outcomes;

	log_info("%s: lines=%llu sent=%llu deferred=%llu bounced=%llu "
	         "expired=%llu messages=%llu removed=%llu deleted=%llu "
	         "notifications=%llu unknown_messages=%llu other=%llu "
	         "garbage=%llu cut=%llu long=%llu evicted=%llu replaced=%llu "
	         "suppressed=%llu",
	    when, (unsigned long long)counters->lines,
	    (unsigned long long)outcome[TRACK_OUTCOME_DELIVERED],
	    (unsigned long long)outcome[TRACK_OUTCOME_DEFERRED],
	    (unsigned long long)outcome[TRACK_OUTCOME_BOUNCED],
	    (unsigned long long)outcome[TRACK_OUTCOME_EXPIRED],
	    (unsigned long long)counters->messages,
	    (unsigned long long)counters->removed,
	    (unsigned long long)counters->deleted,
	    (unsigned long long)counters->notifications,
	    (unsigned long long)counters->unknown_messages,
	    (unsigned long long)counters->other,
	    (unsigned long long)counters->invalid,
	    (unsigned long long)counters->cut, (unsigned long long)long_lines,
	    (unsigned long long)counters->evicted,
	    (unsigned long long)counters->replaced,
	    (unsigned long long)counters->suppressed);
}
