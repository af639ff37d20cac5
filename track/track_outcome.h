/*
 * track_outcome.h - one recipient's outcome, and what waypost-trackd counts
 */
#ifndef WAYPOST_TRACK_OUTCOME_H
#define WAYPOST_TRACK_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bounce_class.h"

enum track_outcome_type {
	TRACK_OUTCOME_DELIVERED,
	TRACK_OUTCOME_DEFERRED,
	TRACK_OUTCOME_BOUNCED,
	TRACK_OUTCOME_EXPIRED, /* the whole message: no recipient */
	TRACK_OUTCOME_TYPE_COUNT
};

/* What one line of the log says happened, with what the message's earlier
 * lines said. Texts are NUL-terminated; NULL when not known. */
struct track_outcome {
	enum track_outcome_type type;
	time_t time;
	const char *queue_id;
	const char *recipient;
	const char *original_recipient;
	const char *relay;
	/* The logging program's middle part, postfix/NAME/smtp: NAME (as
	 * waypost-routed's transports log, syslog_name=postfix/NAME). */
	const char *service;
	const char *dsn;
	const char *reply;
	enum bounce_class class; /* deferred, bounced; else UNKNOWN */
	const char *message_id;
	const char *sender;
	const char *tenant; /* lower case; NULL for Postfix's own mail */
	const char *user;   /* sasl_username, as logged */
	const char *client; /* name[address] */
	unsigned long long size;
	unsigned long long recipient_count;
	time_t first_seen; /* of the message; the line's time when unknown */
	bool postfix_own;  /* mail Postfix made: a bounce, a delay notice */
	/* Postfix's own notification about this queue ID's message. */
	const char *notification_of;
	bool message_known; /* the table had the message */
	/* A refusal before any queue file (NOQUEUE): the event's id. */
	const char *event_id;
	bool record_new; /* no record in Redis yet: made with this one */
};

struct track_counters {
	uint64_t lines;
	uint64_t invalid; /* not a log line at all: garbage */
	uint64_t other;   /* a log line of no kind waypost-trackd reads */
	uint64_t cut;     /* cut on its way to the log */
	uint64_t outcomes[TRACK_OUTCOME_TYPE_COUNT];
	uint64_t unknown_messages; /* outcome of a message not in the table */
	uint64_t messages;         /* added to the table */
	uint64_t removed;          /* qmgr "removed" */
	uint64_t deleted;          /* postsuper, by an admin */
	uint64_t notifications;    /* Postfix's own, linked */
	uint64_t evicted;          /* pushed out of a full table */
	uint64_t replaced;         /* a queue ID reused before its "removed" */
	uint64_t suppressed;       /* recipients refused as suppressed */
};

const char *track_outcome_type_name(enum track_outcome_type type);
void track_outcome_record(const struct track_outcome *outcome);
void track_refusal_record(const struct track_outcome *outcome);
void track_eviction_report(const char *queue_id, time_t first_seen,
    const struct track_counters *counters, size_t max);
void track_counters_report(const struct track_counters *counters,
    uint64_t long_lines, const char *when);

#endif
