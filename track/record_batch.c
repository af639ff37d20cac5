/*
 * NAME
 *	record_batch - the arguments of one call of the record script
 * SYNOPSIS
 *	#include "record_batch.h"
 *
 *	struct record_batch *record_batch_new(settings)
 *	void record_batch_configure(batch, settings)
 *	void record_batch_add(batch, op, outcome)
 *	void record_batch_position(batch, position)
 *	void record_batch_start(batch, saved)
 *	void record_batch_follow(batch, sent)
 *	size_t record_batch_ops(batch)
 *	bool record_batch_pending(batch)
 *	int record_batch_arguments(batch, &words, &lengths)
 *	void record_batch_clear(batch)
 *	void record_batch_free(batch)
 *
 *	void record_position_format(position, out, size)
 *	bool record_position_parse(text, &position)
 *	void record_key(out, prefix, relay, queue_id, first_seen)
 *	void record_queue_index_key(out, prefix, relay, queue_id)
 * DESCRIPTION
 *	The operations waypost-trackd's lines make, written as the
 *	arguments record_script.lua reads (record_contract.h), with every
 *	key made by lib/redis_keys.c. record_batch_add() appends one
 *	operation for outcome: op says which; outcome holds the message's
 *	header (queue ID, first seen, Message-ID, sender, tenant, user,
 *	client) and, for an outcome, the recipient's. Postfix's own mail
 *	has no tenant: no tenant stream, no suppression, no guard.
 *
 *	record_batch_configure() takes new settings (a reload) for an empty
 *	batch; the start it follows is kept.
 *
 *	record_batch_position() sets the position saved with the batch:
 *	after its last line. record_batch_start() sets the saved position
 *	the batch follows (NULL: none saved yet), which the script checks
 *	before it applies the batch; record_batch_clear(), after a batch
 *	went through, makes its end the next one's start;
 *	record_batch_follow() makes the end of a batch sent (its reply not
 *	read yet) the start of the next.
 *	record_batch_pending() is true when the batch holds operations or a
 *	position not saved yet.
 *
 *	record_batch_arguments() gives the whole call's arguments (the
 *	fixed ones, then the operations), valid until the batch changes.
 *
 *	record_position_format() and record_position_parse() write and
 *	read a saved position: "DEVICE INODE OFFSET HASH", decimal.
 *	record_key() and record_queue_index_key() make the keys of a
 *	message's record and of its queue ID's index.
 * SECURITY
 *	Every text is a peer's: it goes to Redis as a binary-safe argument,
 *	and into keys only through lib/redis_keys.c. Texts were bounded by
 *	the log line; a batch is bounded by RECORD_BATCH_OPS_MAX.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_class.h"
#include "mail_domain.h"
#include "record_batch.h"
#include "record_contract.h"
#include "redis_keys.h"
#include "xmalloc.h"

struct argument {
	size_t offset, length;
};

struct record_batch {
	struct record_settings settings;
	struct buffer text; /* every argument, one after the other */
	struct argument *arguments;
	size_t count, capacity;
	size_t fixed_end; /* arguments before the operations */
	size_t ops;
	bool positioned;
	char position[96]; /* after the batch's last line */
	char start[96];    /* the saved position the batch follows; "" none */
	/* record_batch_arguments()'s, rebuilt on each call */
	const char **words;
	size_t *lengths;
};

static void
begin_argument(struct record_batch *batch)
{
	if (batch->count == batch->capacity) {
		batch->capacity = batch->capacity ? 2 * batch->capacity : 256;
		batch->arguments = xreallocarray(batch->arguments,
		    batch->capacity, sizeof(*batch->arguments));
	}
	batch->arguments[batch->count].offset = batch->text.length;
	batch->arguments[batch->count].length = 0;
	batch->count++;
}

static void
end_argument(struct record_batch *batch)
{
	struct argument *last = &batch->arguments[batch->count - 1];

	last->length = batch->text.length - last->offset;
}

static void
text(struct record_batch *batch, const char *value)
{
	begin_argument(batch);
	if (value != NULL)
		buffer_append_text(&batch->text, value);
	end_argument(batch);
}

static void
number(struct record_batch *batch, long long value)
{
	begin_argument(batch);
	buffer_printf(&batch->text, "%lld", value);
	end_argument(batch);
}

static void
key(struct record_batch *batch, enum redis_key kind, const char *name,
    const char *subject)
{
	begin_argument(batch);
	redis_key_append(
	    &batch->text, batch->settings.prefix, kind, name, subject);
	end_argument(batch);
}

static void
fixed(struct record_batch *batch)
{
	const struct record_settings *s = &batch->settings;

	batch->count = 0;
	buffer_reset(&batch->text);
	number(batch, SCRIPT_VERSION);
	if (s->keep_position)
		key(batch, REDIS_KEY_TRACK_POSITION, s->relay, NULL);
	else
		text(batch, "");
	text(batch, ""); /* the position: record_batch_arguments() */
	number(batch, s->record_ttl);
	number(batch, s->events_max);
	number(batch, s->defer_interval);
	key(batch, REDIS_KEY_EVENTS, "", NULL);
	number(batch, s->suppress_ttl);
	number(batch, s->suppress_any ? 1 : 0);
	number(batch, s->soft_count);
	number(batch, s->soft_span);
	number(batch, s->guard_window);
	number(batch, s->guard_minimum);
	number(batch, s->guard_warn);
	number(batch, s->guard_pause);
	text(batch, ""); /* the start: record_batch_arguments() */
	batch->fixed_end = batch->count;
}

struct record_batch *
record_batch_new(const struct record_settings *settings)
{
	struct record_batch *batch = xcalloc(1, sizeof(*batch));

	record_batch_configure(batch, settings);
	return batch;
}

void
record_batch_configure(
    struct record_batch *batch, const struct record_settings *settings)
{
	free((char *)batch->settings.prefix);
	free((char *)batch->settings.relay);
	batch->settings = *settings;
	batch->settings.prefix = xstrdup(settings->prefix);
	batch->settings.relay = xstrdup(settings->relay);
	batch->ops = 0;
	batch->positioned = false;
	fixed(batch);
}

void
record_key(struct buffer *out, const char *prefix, const char *relay,
    const char *queue_id, long long first_seen)
{
	char subject[96];

	snprintf(subject, sizeof(subject), "%s.%lld", queue_id, first_seen);
	redis_key_append(out, prefix, REDIS_KEY_MESSAGE, relay, subject);
}

void
record_queue_index_key(struct buffer *out, const char *prefix,
    const char *relay, const char *queue_id)
{
	redis_key_append(out, prefix, REDIS_KEY_QUEUE_ID, relay, queue_id);
}

static void
iso_time(time_t when, char *out, size_t size)
{
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%lld", (long long)when);
}

/* The arguments every operation starts with (SCRIPT_M_COMMON). */
static void
common(struct record_batch *batch, const struct track_outcome *outcome)
{
	const struct record_settings *s = &batch->settings;
	const char *relay = s->relay;
	char when[32];

	if (outcome->queue_id != NULL) {
		begin_argument(batch);
		record_key(&batch->text, s->prefix, relay, outcome->queue_id,
		    (long long)outcome->first_seen);
		end_argument(batch);
		begin_argument(batch);
		record_queue_index_key(
		    &batch->text, s->prefix, relay, outcome->queue_id);
		end_argument(batch);
	} else {
		text(batch, ""); /* refused before any queue file: no record */
		text(batch, "");
	}
	if (outcome->tenant != NULL)
		key(batch, REDIS_KEY_TENANT_EVENTS, outcome->tenant, NULL);
	else
		text(batch, "");
	number(batch, (long long)outcome->time);
	iso_time(outcome->time, when, sizeof(when));
	text(batch, when);
	text(batch, outcome->queue_id != NULL ? outcome->queue_id : "NOQUEUE");
	number(batch, (long long)outcome->first_seen);
	text(batch, outcome->message_id);
	text(batch, outcome->sender);
	text(batch, outcome->tenant);
	text(batch, outcome->postfix_own ? "postfix" : "");
	text(batch, outcome->notification_of);
	text(batch, outcome->record_new ? "1" : "");
}

static void
message_fields(struct record_batch *batch, const struct track_outcome *outcome,
    bool accepted)
{
	if (outcome->message_id != NULL && outcome->message_id[0] != '\0')
		key(batch, REDIS_KEY_MESSAGE_ID, outcome->message_id, NULL);
	else
		text(batch, "");
	text(batch, accepted ? "1" : "");
	text(batch, outcome->user);
	text(batch, outcome->client);
	if (accepted) {
		number(batch, (long long)outcome->size);
		number(batch, (long long)outcome->recipient_count);
	} else {
		text(batch, "");
		text(batch, "");
	}
}

/* The domain of an address, after its last "@"; NULL when none. */
static const char *
domain_of(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* The keys of a recipient's suppression, expirations and the guard
 * (SCRIPT_O_SUPPRESS_PREFIX to SCRIPT_O_SUSPEND). The guard suspends
 * the user who logged in, else the sender's domain: the two subjects
 * waypost-policyd's suspension reads. */
static void
tenant_keys(struct record_batch *batch, const struct track_outcome *outcome)
{
	const char *tenant = outcome->tenant;
	char sender[1024];
	const char *domain = NULL;

	if (tenant != NULL) {
		key(batch, REDIS_KEY_SUPPRESSED, tenant, "");
		key(batch, REDIS_KEY_SUPPRESSED_ANY, "", NULL);
		key(batch, REDIS_KEY_EXPIRATIONS, tenant, "");
		key(batch, REDIS_KEY_BOUNCE_RATE, tenant, NULL);
	} else {
		text(batch, "");
		key(batch, REDIS_KEY_SUPPRESSED_ANY, "", NULL);
		text(batch, "");
		text(batch, "");
	}
	if (tenant != NULL && outcome->user != NULL && outcome->user[0])
		key(batch, REDIS_KEY_SUSPENDED_USER, tenant, NULL);
	else if (tenant != NULL && outcome->sender != NULL &&
	         mail_address_folded(outcome->sender, sender, sizeof(sender)) &&
	         (domain = domain_of(sender)) != NULL)
		key(batch, REDIS_KEY_SUSPENDED_DOMAIN, domain, NULL);
	else
		text(batch, "");
}

static const char *
event_type(const struct track_outcome *outcome, enum record_op op)
{
	if (op == RECORD_OP_SUPPRESSED)
		return "suppressed";
	switch (outcome->type) {
	case TRACK_OUTCOME_DELIVERED:
		return "delivered";
	case TRACK_OUTCOME_DEFERRED:
		return "deferred";
	case TRACK_OUTCOME_BOUNCED:
		return "bounced";
	default:
		return "expired";
	}
}

/* "hard": suppress now; "soft": count it; "" neither. */
static const char *
suppress_kind(const struct track_outcome *outcome, enum record_op op)
{
	if (op != RECORD_OP_OUTCOME)
		return "";
	if (outcome->type == TRACK_OUTCOME_BOUNCED &&
	    bounce_class_suppresses(outcome->class))
		return "hard";
	if ((outcome->type == TRACK_OUTCOME_BOUNCED ||
	        outcome->type == TRACK_OUTCOME_DEFERRED) &&
	    bounce_class_escalates(outcome->class))
		return "soft";
	return "";
}

/* An address mail_address_folded() refuses (too long, no "@"), still
 * in lower case, cut to size. */
static void
lower_copy(char *to, size_t size, const char *from)
{
	size_t i = 0;

	for (; from != NULL && from[i] != '\0' && i + 1 < size; i++)
		to[i] = (char)tolower((unsigned char)from[i]);
	to[i] = '\0';
}

static void
outcome_fields(struct record_batch *batch, const struct track_outcome *outcome,
    enum record_op op)
{
	char address[1024];
	bool classed = outcome->type == TRACK_OUTCOME_DEFERRED ||
	               outcome->type == TRACK_OUTCOME_BOUNCED;

	tenant_keys(batch, outcome);
	text(batch, event_type(outcome, op));
	text(batch, outcome->recipient);
	if (outcome->recipient == NULL ||
	    !mail_address_folded(outcome->recipient, address, sizeof(address)))
		lower_copy(address, sizeof(address), outcome->recipient);
	text(batch, address);
	text(batch, outcome->original_recipient);
	text(batch, outcome->relay);
	text(batch, outcome->dsn);
	text(batch, outcome->reply);
	text(batch, classed && op == RECORD_OP_OUTCOME
	                ? bounce_class_name(outcome->class)
	                : "");
	text(batch, suppress_kind(outcome, op));
	text(batch, op == RECORD_OP_OUTCOME &&
	                    outcome->type == TRACK_OUTCOME_BOUNCED &&
	                    bounce_class_suppresses(outcome->class)
	                ? "1"
	                : "");
	text(batch, outcome->event_id);
	text(batch, outcome->service);
}

static int
op_code(enum record_op op)
{
	switch (op) {
	case RECORD_OP_MESSAGE:
	case RECORD_OP_ACCEPTED:
		return SCRIPT_OP_MESSAGE;
	case RECORD_OP_OUTCOME:
		return SCRIPT_OP_OUTCOME;
	case RECORD_OP_EXPIRED:
		return SCRIPT_OP_EXPIRED;
	case RECORD_OP_DROPPED:
		return SCRIPT_OP_DROPPED;
	case RECORD_OP_SUPPRESSED:
		return SCRIPT_OP_SUPPRESSED;
	case RECORD_OP_REMOVED:
	default:
		return SCRIPT_OP_REMOVED;
	}
}

void
record_batch_add(struct record_batch *batch, enum record_op op,
    const struct track_outcome *outcome)
{
	size_t count_at;

	if (outcome->queue_id == NULL && op != RECORD_OP_SUPPRESSED)
		return;
	number(batch, op_code(op));
	count_at = batch->count;
	text(batch, ""); /* the count, below */
	common(batch, outcome);
	if (op == RECORD_OP_MESSAGE || op == RECORD_OP_ACCEPTED)
		message_fields(batch, outcome, op == RECORD_OP_ACCEPTED);
	else if (op == RECORD_OP_OUTCOME || op == RECORD_OP_SUPPRESSED)
		outcome_fields(batch, outcome, op);
	else if (op == RECORD_OP_EXPIRED || op == RECORD_OP_DROPPED)
		tenant_keys(batch, outcome);
	/* The count, written where it belongs: the text is appended, the
	 * argument points at it. */
	batch->arguments[count_at].offset = batch->text.length;
	buffer_printf(&batch->text, "%zu", batch->count - count_at - 1);
	batch->arguments[count_at].length =
	    batch->text.length - batch->arguments[count_at].offset;
	batch->ops++;
}

void
record_batch_position(
    struct record_batch *batch, const struct log_position *position)
{
	record_position_format(
	    position, batch->position, sizeof(batch->position));
	batch->positioned = true;
}

size_t
record_batch_ops(const struct record_batch *batch)
{
	return batch->ops;
}

bool
record_batch_pending(const struct record_batch *batch)
{
	return batch->ops > 0 || batch->positioned;
}

int
record_batch_arguments(const struct record_batch *batch, const char ***words,
    const size_t **lengths)
{
	struct record_batch *b = (struct record_batch *)batch;

	b->words = xreallocarray(b->words, b->count + 1, sizeof(*b->words));
	b->lengths =
	    xreallocarray(b->lengths, b->count + 1, sizeof(*b->lengths));
	for (size_t i = 0; i < b->count; i++) {
		b->words[i] = b->text.data + b->arguments[i].offset;
		b->lengths[i] = b->arguments[i].length;
	}
	b->words[SCRIPT_ARG_POSITION - 1] = b->position;
	b->lengths[SCRIPT_ARG_POSITION - 1] = strlen(b->position);
	b->words[SCRIPT_ARG_POSITION_START - 1] = b->start;
	b->lengths[SCRIPT_ARG_POSITION_START - 1] = strlen(b->start);
	*words = b->words;
	*lengths = b->lengths;
	return (int)b->count;
}

void
record_batch_clear(struct record_batch *batch)
{
	batch->count = batch->fixed_end;
	batch->text.length = batch->arguments[batch->fixed_end - 1].offset +
	                     batch->arguments[batch->fixed_end - 1].length;
	batch->text.data[batch->text.length] = '\0';
	batch->ops = 0;
	if (batch->positioned)
		memcpy(batch->start, batch->position, sizeof(batch->start));
	batch->positioned = false;
}

void
record_batch_follow(struct record_batch *batch, const struct record_batch *sent)
{
	memcpy(batch->start, sent->positioned ? sent->position : sent->start,
	    sizeof(batch->start));
}

void
record_batch_start(struct record_batch *batch, const struct log_position *saved)
{
	if (saved != NULL)
		record_position_format(
		    saved, batch->start, sizeof(batch->start));
	else
		batch->start[0] = '\0';
}

void
record_batch_free(struct record_batch *batch)
{
	if (batch == NULL)
		return;
	buffer_free(&batch->text);
	free(batch->arguments);
	free(batch->words);
	free(batch->lengths);
	free((char *)batch->settings.prefix);
	free((char *)batch->settings.relay);
	free(batch);
}

void
record_position_format(
    const struct log_position *position, char *out, size_t size)
{
	snprintf(out, size, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
	    position->device, position->inode, position->offset,
	    position->hash);
}

bool
record_position_parse(const char *text, struct log_position *position)
{
	char extra;

	return text != NULL &&
	       sscanf(text,
	           "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %c",
	           &position->device, &position->inode, &position->offset,
	           &position->hash, &extra) == 4;
}
