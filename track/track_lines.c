/*
 * NAME
 *	track_lines - each line of Postfix's log, read into outcomes
 * SYNOPSIS
 *	#include "track_lines.h"
 *
 *	struct track_lines *track_lines_new(max_open_messages)
 *	void track_lines_set_max(lines, max_open_messages)
 *	void track_lines_set_records(lines, batch, restore, context)
 *	void track_lines_read(lines, rules, data, length, now)
 *	void track_lines_settle(lines)
 *	const struct track_counters *track_lines_counters(lines)
 *	size_t track_lines_open_messages(lines)
 *	void track_lines_free(lines)
 * DESCRIPTION
 *	track_lines_read() parses one line (log_line.c) and keeps what the
 *	lines of one message say about it in the table of open messages
 *	(message_table.c):
 *
 *	.  smtpd's client= starts a message (client, sasl_username);
 *	.  cleanup's message-id= and qmgr's from=, size=, nrcpt= add to
 *	   it, or start it (mail from pickup or from Postfix itself);
 *	.  bounce's "sender non-delivery notification: ID" (and the
 *	   other notifications) marks message ID as Postfix's own, about
 *	   the message whose line it is;
 *	.  qmgr's "removed" and postsuper's "removed" end it.
 *
 *	Each delivery line with status sent, deferred or bounced, and
 *	each qmgr "status=expired", becomes an outcome for
 *	track_outcome_record(), deferrals and bounces with their class
 *	by the bounce rules (bounce_class.c). The tenant of a message is
 *	its sasl_username when it logged in, else its sender, in lower
 *	case as waypost-policyd's subjects. A message with the null
 *	sender and no client (one Postfix made), or one marked by a
 *	notification line, is Postfix's own: it has no tenant.
 *
 *	smtpd's refusal of a recipient at RCPT with waypost-policyd's
 *	words for a suppressed one (lib/tracker_words.h) is a suppressed
 *	outcome (track_refusal_record()).
 *
 *	With records (track_lines_set_records(): the batch to fill, and
 *	restore, which fills a message the table lacks from its record in
 *	Redis), every outcome and every end of a message is also an
 *	operation of the batch (record_batch.c). A message's header lines
 *	(client, Message-ID) wait in it for its next operation, which
 *	carries them (qmgr's from=, the accepted event), so one operation
 *	does what three would; track_lines_settle() adds those still
 *	waiting when the batch goes to Redis. The first operation of a
 *	message not yet in Redis makes its record (recorded). A line of a
 *	message the table lacks (read before a restart, or evicted) is
 *	restored first, or starts a blank message, so its later lines
 *	name one record.
 *
 *	Every line is counted: garbage (not a log line), lines of no
 *	kind read here, lines cut on their way to the log (still read
 *	for what they hold), and outcomes of messages the table does not
 *	have (their first lines were before the start, or evicted).
 * SECURITY
 *	Every byte is from the log, so from peers: the parser bounds the
 *	line (LOG_LINE_MAX), the table the texts and the number of
 *	messages, and each text of an outcome is copied into a buffer the
 *	size of the line.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_class.h"
#include "log_line.h"
#include "log_position.h"
#include "mail_domain.h"
#include "message_table.h"
#include "record_batch.h"
#include "tracker_words.h"
#include "track_lines.h"
#include "track_metrics.h"
#include "xmalloc.h"

struct pending_header {
	char queue_id[MESSAGE_QUEUE_ID_MAX + 1];
};

struct track_lines {
	struct message_table *table;
	struct record_batch *batch; /* NULL: no records, log lines only */
	/* Messages whose header lines wait for their next operation. */
	struct pending_header *pending;
	size_t pending_count, pending_size;
	track_restore_fn restore;
	void *restore_context;
	size_t max_open_messages;
	struct track_counters counters;
	time_t newest;      /* the time of the newest line read */
	time_t offset_time; /* when utc_offset was last taken */
	long utc_offset;
};

/* The texts of one outcome, NUL-terminated, each span of the line once. */
struct outcome_texts {
	size_t used;
	char data[LOG_LINE_MAX + 64];
};

struct track_lines *
track_lines_new(size_t max_open_messages)
{
	struct track_lines *lines = xcalloc(1, sizeof(*lines));

	lines->table = message_table_new(max_open_messages);
	lines->max_open_messages = max_open_messages;
	lines->offset_time = (time_t)-1;
	return lines;
}

void
track_lines_set_max(struct track_lines *lines, size_t max_open_messages)
{
	lines->max_open_messages = max_open_messages;
	message_table_set_max(lines->table, max_open_messages);
}

void
track_lines_set_records(struct track_lines *lines, struct record_batch *batch,
    track_restore_fn restore, void *context)
{
	lines->batch = batch;
	lines->restore = restore;
	lines->restore_context = context;
}

const struct track_counters *
track_lines_counters(const struct track_lines *lines)
{
	return &lines->counters;
}

time_t
track_lines_newest(const struct track_lines *lines)
{
	return lines->newest;
}

size_t
track_lines_open_messages(const struct track_lines *lines)
{
	return message_table_count(lines->table);
}

void
track_lines_free(struct track_lines *lines)
{
	if (lines == NULL)
		return;
	message_table_free(lines->table);
	free(lines->pending);
	free(lines);
}

/* The middle of a program "postfix/NAME/smtp": NAME, or no span. */
static struct log_span
service_of(struct log_span program)
{
	const char *first, *last;
	struct log_span none = {NULL, 0};

	if (program.data == NULL ||
	    (first = memchr(program.data, '/', program.length)) == NULL)
		return none;
	last = program.data + program.length;
	while (last > first + 1 && last[-1] != '/')
		last--;
	if (last <= first + 2)
		return none;
	return (struct log_span){first + 1, (size_t)(last - 1 - (first + 1))};
}

/* A copy of span in texts; NULL when the line has none. */
static const char *
text_of(struct outcome_texts *texts, struct log_span span)
{
	char *copy;

	if (span.data == NULL ||
	    texts->used + span.length + 1 > sizeof(texts->data))
		return NULL;
	copy = texts->data + texts->used;
	memcpy(copy, span.data, span.length);
	copy[span.length] = '\0';
	texts->used += span.length + 1;
	return copy;
}

static const char *
lower_text_of(struct outcome_texts *texts, const char *text)
{
	struct log_span span = {text, text ? strlen(text) : 0};
	char *copy = (char *)text_of(texts, span);

	for (char *p = copy; p != NULL && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

/* A sender as waypost-policyd's subjects and suppression keys write it
 * (lib/mail_domain.c): lower case, no final dot on its domain. */
static const char *
address_text_of(struct outcome_texts *texts, const char *address)
{
	char *copy = texts->data + texts->used;

	if (!mail_address_folded(
	        address, copy, sizeof(texts->data) - texts->used))
		return NULL;
	texts->used += strlen(copy) + 1;
	return copy;
}

static bool
postfix_own(const struct message_entry *message)
{
	return message->notification_of[0] != '\0' ||
	       (message->client == NULL && message->sender != NULL &&
	           message->sender[0] == '\0');
}

/* Sender, Message-ID and tenant of the outcome, from the table. */
static void
describe_message(struct track_outcome *outcome,
    const struct message_entry *message, struct outcome_texts *texts)
{
	outcome->message_known = message != NULL;
	if (message == NULL)
		return;
	outcome->first_seen = message->first_seen;
	outcome->user = message->sasl_username;
	outcome->client = message->client;
	outcome->size = message->size;
	outcome->recipient_count = message->recipient_count;
	outcome->sender = message->sender;
	outcome->message_id = message->message_id;
	if (message->notification_of[0] != '\0')
		outcome->notification_of = message->notification_of;
	outcome->postfix_own = postfix_own(message);
	if (outcome->postfix_own)
		return;
	if (message->sasl_username != NULL)
		outcome->tenant = lower_text_of(texts, message->sasl_username);
	else if (message->sender != NULL && message->sender[0] != '\0')
		outcome->tenant = address_text_of(texts, message->sender);
}

static struct message_entry *
find(struct track_lines *lines, const struct log_line *line)
{
	return message_table_find(
	    lines->table, line->queue_id.data, line->queue_id.length);
}

static struct message_entry *
add(struct track_lines *lines, struct log_span queue_id, time_t time)
{
	struct message_eviction eviction;
	struct message_entry *message;
	char id[MESSAGE_QUEUE_ID_MAX + 1];

	if (queue_id.length > MESSAGE_QUEUE_ID_MAX)
		return NULL;
	memcpy(id, queue_id.data, queue_id.length);
	id[queue_id.length] = '\0';
	if (message_table_find(lines->table, id, queue_id.length) != NULL)
		lines->counters.replaced++;
	message = message_table_add(
	    lines->table, id, queue_id.length, time, &eviction);
	lines->counters.messages++;
	if (eviction.evicted) {
		lines->counters.evicted++;
		track_eviction_report(eviction.queue_id, eviction.first_seen,
		    &lines->counters, lines->max_open_messages);
	}
	return message;
}

/* The message of a line that continues one: from the table; else, with
 * records, from Redis (a message read before a restart), or added blank
 * so its later lines name the same record. NULL without records when
 * the table lacks it. */
static struct message_entry *
find_restoring(
    struct track_lines *lines, const struct log_line *line, bool *known)
{
	struct message_entry *message = find(lines, line);

	*known = message != NULL;
	if (message != NULL || lines->batch == NULL)
		return message;
	message = add(lines, line->queue_id, line->time);
	if (message != NULL && lines->restore != NULL)
		*known = lines->restore(lines->restore_context, message);
	return message;
}

static void header_now(struct track_lines *lines, struct message_entry *message,
    enum record_op op);

/* One operation on the message's record, when records are kept; line
 * NULL for a header kept for later (header_later()). */
static void
record_message(struct track_lines *lines, struct message_entry *message,
    enum record_op op, const struct log_line *line)
{
	struct outcome_texts texts_of_line, *texts = &texts_of_line;
	struct track_outcome outcome;

	if (lines->batch == NULL || message == NULL)
		return;
	header_now(lines, message, op);
	memset(&outcome, 0, sizeof(outcome));
	texts->used = 0;
	outcome.time = line != NULL ? line->time : message->header_time;
	outcome.queue_id = message->queue_id;
	describe_message(&outcome, message, texts);
	outcome.record_new = !message->recorded;
	message->recorded = true;
	record_batch_add(lines->batch, op, &outcome);
}

/* A header line (client, Message-ID): kept for the message's next
 * operation, so one operation carries them all (the record script's
 * calls are what limits the speed), or for the batch's end. */
static void
header_later(struct track_lines *lines, struct message_entry *message,
    const struct log_line *line)
{
	if (lines->batch == NULL || message->header_pending)
		return;
	message->header_pending = true;
	message->header_time = line->time;
	if (lines->pending_count == lines->pending_size) {
		lines->pending_size =
		    lines->pending_size ? 2 * lines->pending_size : 256;
		lines->pending = xreallocarray(lines->pending,
		    lines->pending_size, sizeof(*lines->pending));
	}
	memcpy(lines->pending[lines->pending_count++].queue_id,
	    message->queue_id, sizeof(message->queue_id));
}

/* Before another operation of the message: its header, unless that
 * operation (qmgr's from=, the accepted one) carries it. */
static void
header_now(
    struct track_lines *lines, struct message_entry *message, enum record_op op)
{
	if (!message->header_pending)
		return;
	message->header_pending = false;
	if (op != RECORD_OP_ACCEPTED)
		record_message(lines, message, RECORD_OP_MESSAGE, NULL);
}

void
track_lines_settle(struct track_lines *lines)
{
	for (size_t i = 0; i < lines->pending_count; i++) {
		const char *id = lines->pending[i].queue_id;
		struct message_entry *message =
		    message_table_find(lines->table, id, strlen(id));

		if (message != NULL && message->header_pending)
			header_now(lines, message, RECORD_OP_MESSAGE);
	}
	lines->pending_count = 0;
}

static struct message_entry *
find_or_add(struct track_lines *lines, const struct log_line *line)
{
	struct message_entry *message = find(lines, line);

	return message != NULL ? message
	                       : add(lines, line->queue_id, line->time);
}

static void
read_client(struct track_lines *lines, const struct log_line *line)
{
	struct message_entry *message = add(lines, line->queue_id, line->time);

	if (message == NULL)
		return;
	message_set_text(
	    &message->client, line->client.data, line->client.length);
	if (line->sasl_username.data != NULL)
		message_set_text(&message->sasl_username,
		    line->sasl_username.data, line->sasl_username.length);
	header_later(lines, message, line);
}

static void
read_queued(struct track_lines *lines, const struct log_line *line)
{
	bool known;
	struct message_entry *message = find_restoring(lines, line, &known);

	if (message == NULL)
		message = add(lines, line->queue_id, line->time);
	if (message == NULL)
		return;
	message_set_text(
	    &message->sender, line->sender.data, line->sender.length);
	message->size = line->size;
	message->recipient_count = line->recipient_count;
	record_message(lines, message, RECORD_OP_ACCEPTED, line);
}

static void
read_notification(struct track_lines *lines, const struct log_line *line)
{
	struct message_entry *notification;
	struct log_span id = line->notification_queue_id;

	if (id.data == NULL || id.length > MESSAGE_QUEUE_ID_MAX ||
	    line->queue_id.length > MESSAGE_QUEUE_ID_MAX)
		return;
	notification = message_table_find(lines->table, id.data, id.length);
	if (notification == NULL)
		notification = add(lines, id, line->time);
	if (notification == NULL)
		return;
	memcpy(notification->notification_of, line->queue_id.data,
	    line->queue_id.length);
	notification->notification_of[line->queue_id.length] = '\0';
	lines->counters.notifications++;
}

static bool
outcome_type(const struct log_line *line, enum track_outcome_type *type)
{
	switch (line->status_code) {
	case LOG_STATUS_SENT:
		*type = TRACK_OUTCOME_DELIVERED;
		return true;
	case LOG_STATUS_DEFERRED:
		*type = TRACK_OUTCOME_DEFERRED;
		return true;
	case LOG_STATUS_BOUNCED:
		*type = TRACK_OUTCOME_BOUNCED;
		return true;
	default:
		return false;
	}
}

static void
read_outcome(struct track_lines *lines, const struct bounce_rules *rules,
    const struct log_line *line, enum track_outcome_type type)
{
	struct outcome_texts texts_of_line, *texts = &texts_of_line;
	struct track_outcome outcome;
	struct bounce_outcome classify;
	bool known;
	struct message_entry *message = find_restoring(lines, line, &known);

	memset(&outcome, 0, sizeof(outcome));
	texts->used = 0;
	outcome.type = type;
	outcome.time = line->time;
	outcome.first_seen = line->time;
	outcome.queue_id = text_of(texts, line->queue_id);
	outcome.recipient = text_of(texts, line->recipient);
	outcome.original_recipient = text_of(texts, line->original_recipient);
	outcome.relay = text_of(texts, line->relay);
	outcome.service = text_of(texts, service_of(line->program));
	outcome.dsn = text_of(texts, line->dsn);
	outcome.reply = text_of(texts, line->reply);
	if (type == TRACK_OUTCOME_EXPIRED)
		outcome.sender = text_of(texts, line->sender);
	if (type == TRACK_OUTCOME_DEFERRED || type == TRACK_OUTCOME_BOUNCED) {
		classify.dsn = outcome.dsn;
		classify.relay_none =
		    outcome.relay != NULL && strcmp(outcome.relay, "none") == 0;
		classify.text = outcome.reply;
		outcome.class = bounce_classify(rules, &classify, NULL);
	}
	describe_message(&outcome, message, texts);
	outcome.message_known = known;
	if (!known)
		lines->counters.unknown_messages++;
	lines->counters.outcomes[type]++;
	track_outcome_record(&outcome);
	track_metrics_outcome(outcome.type, outcome.class);
	if (message != NULL && lines->batch != NULL)
		header_now(lines, message, RECORD_OP_OUTCOME);
	outcome.record_new = message == NULL || !message->recorded;
	if (message != NULL)
		message->recorded = true;
	if (lines->batch != NULL && outcome.queue_id != NULL)
		record_batch_add(lines->batch,
		    type == TRACK_OUTCOME_EXPIRED ? RECORD_OP_EXPIRED
		                                  : RECORD_OP_OUTCOME,
		    &outcome);
}

/* qmgr's "removed" (done), postsuper's (dropped by an admin). */
static void
read_removed(
    struct track_lines *lines, const struct log_line *line, enum record_op op)
{
	bool known;
	struct message_entry *message =
	    lines->batch != NULL ? find_restoring(lines, line, &known) : NULL;

	/* No record to mark done for a message never recorded. */
	if (message != NULL && (message->recorded || op != RECORD_OP_REMOVED))
		record_message(lines, message, op, line);
	message_table_remove(
	    lines->table, line->queue_id.data, line->queue_id.length);
}

static void
read_delivery(struct track_lines *lines, const struct bounce_rules *rules,
    const struct log_line *line)
{
	enum track_outcome_type type;

	if (outcome_type(line, &type))
		read_outcome(lines, rules, line, type);
	else
		lines->counters.other++;
}

static bool
span_is(struct log_span span, const char *text)
{
	return span.length == strlen(text) &&
	       memcmp(span.data, text, span.length) == 0;
}

static bool
span_has(struct log_span span, const char *text)
{
	size_t length = strlen(text);

	for (size_t i = 0; span.length >= length && i <= span.length - length;
	     i++)
		if (memcmp(span.data + i, text, length) == 0)
			return true;
	return false;
}

/* smtpd refused a recipient at RCPT as suppressed (waypost-policyd's
 * check_suppression): the message's tenant when it has a queue file,
 * else the sender (Postfix logs no login before a queue file). */
static void
read_reject(struct track_lines *lines, const struct log_line *line)
{
	struct outcome_texts texts_of_line, *texts = &texts_of_line;
	struct track_outcome outcome;
	struct message_entry *message = NULL;
	char id[128];

	if (!span_is(line->stage, "RCPT") ||
	    !span_has(line->reply, SUPPRESSION_REFUSAL_WORDS)) {
		lines->counters.other++;
		return;
	}
	lines->counters.suppressed++;
	memset(&outcome, 0, sizeof(outcome));
	texts->used = 0;
	outcome.time = outcome.first_seen = line->time;
	outcome.queue_id = text_of(texts, line->queue_id);
	outcome.recipient = text_of(texts, line->recipient);
	outcome.dsn = text_of(texts, line->dsn);
	outcome.reply = text_of(texts, line->reply);
	if (outcome.queue_id != NULL)
		message = find(lines, line);
	describe_message(&outcome, message, texts);
	/* smtpd's line comes before qmgr's from=: the sender is the line's */
	if (outcome.sender == NULL)
		outcome.sender = text_of(texts, line->sender);
	if (outcome.tenant == NULL && !outcome.postfix_own &&
	    outcome.sender != NULL && outcome.sender[0] != '\0')
		outcome.tenant = address_text_of(texts, outcome.sender);
	if (outcome.queue_id == NULL) {
		snprintf(id, sizeof(id), "NOQUEUE.%lld.%lu.%016llx",
		    (long long)line->time, line->pid,
		    (unsigned long long)log_line_hash(
		        line->recipient.data, line->recipient.length));
		outcome.event_id = id;
	}
	track_refusal_record(&outcome);
	track_metrics_refused_suppressed();
	if (message != NULL && lines->batch != NULL)
		header_now(lines, message, RECORD_OP_SUPPRESSED);
	outcome.record_new = message == NULL || !message->recorded;
	if (message != NULL)
		message->recorded = true;
	if (lines->batch != NULL && outcome.recipient != NULL)
		record_batch_add(lines->batch, RECORD_OP_SUPPRESSED, &outcome);
}

static void
read_line(struct track_lines *lines, const struct bounce_rules *rules,
    const struct log_line *line)
{
	struct message_entry *message;

	switch (line->kind) {
	case LOG_LINE_CLIENT:
		read_client(lines, line);
		break;
	case LOG_LINE_MESSAGE_ID:
		if ((message = find_or_add(lines, line)) != NULL) {
			message_set_text(&message->message_id,
			    line->message_id.data, line->message_id.length);
			header_later(lines, message, line);
		}
		break;
	case LOG_LINE_QUEUED:
		read_queued(lines, line);
		break;
	case LOG_LINE_EXPIRED:
		read_outcome(lines, rules, line, TRACK_OUTCOME_EXPIRED);
		break;
	case LOG_LINE_REMOVED:
		lines->counters.removed++;
		read_removed(lines, line, RECORD_OP_REMOVED);
		break;
	case LOG_LINE_DELETED:
		lines->counters.deleted++;
		read_removed(lines, line, RECORD_OP_DROPPED);
		break;
	case LOG_LINE_DELIVERY:
		read_delivery(lines, rules, line);
		break;
	case LOG_LINE_NOTIFICATION:
		read_notification(lines, line);
		break;
	case LOG_LINE_REJECT:
		read_reject(lines, line);
		break;
	case LOG_LINE_INVALID:
		lines->counters.invalid++;
		break;
	case LOG_LINE_OTHER:
	default:
		lines->counters.other++;
		break;
	}
}

/* Postfix logs local time without a zone: the reader's zone, taken
 * again each second so a change of summer time is seen. */
static long
utc_offset(struct track_lines *lines, time_t now)
{
	struct tm tm;

	if (now != lines->offset_time && localtime_r(&now, &tm) != NULL) {
		lines->offset_time = now;
		lines->utc_offset = tm.tm_gmtoff;
	}
	return lines->utc_offset;
}

void
track_lines_read(struct track_lines *lines, const struct bounce_rules *rules,
    const char *data, size_t length, time_t now)
{
	struct log_clock clock;
	struct log_line line;

	clock.now = now;
	clock.utc_offset = utc_offset(lines, now);
	lines->counters.lines++;
	log_line_parse(data, length, &clock, &line);
	if (line.time > lines->newest)
		lines->newest = line.time;
	if (line.cut)
		lines->counters.cut++;
	read_line(lines, rules, &line);
}
