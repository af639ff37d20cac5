/*
 * NAME
 *	event_streams - a consumer group's reads of event streams in Redis
 * SYNOPSIS
 *	#include "event_streams.h"
 *
 *	struct event_streams *event_streams_new(link, prefix, group, label,
 *		consumer, tenants, tenant_count)
 *	bool event_streams_create_groups(streams)
 *	bool event_streams_read(streams, cursors, count, entry, done, context)
 *	bool event_streams_read_some(streams, only, cursors, count, entry,
 *		done, context)
 *	bool event_streams_claim(streams, stream, min_idle_ms, count, entry,
 *		done, context)
 *	bool event_streams_lag(streams, stream, done, context)
 *	bool event_streams_ack(streams, stream, id)
 *	bool event_streams_ack_ids(streams, stream, ids, count)
 *	bool event_streams_send(streams, words)
 *	bool event_streams_send_then(streams, words, done, context)
 *	void event_streams_checked(streams, reply, why)
 *	const char *event_streams_prefix(streams)
 *	void event_streams_closing(streams)
 *	void event_streams_free(streams)
 *
 *	bool event_streams_consumer_valid(name)
 *	void event_streams_consumer(configured, out, out_size)
 * DESCRIPTION
 *	How a daemon reads the event streams waypost-trackd writes, on its
 *	Redis link (lib/redis_link.c), with every key from
 *	lib/redis_keys.c: the all-tenant stream (tenants NULL) or the
 *	streams of some tenants, through the consumer group group, as the
 *	consumer consumer. waypost-hookd reads them per webhook
 *	(hook/hook_endpoint.c), waypost-routed to settle its charges
 *	(route/route_settle.c); label names the reader in log lines.
 *
 *	.  event_streams_create_groups(): XGROUP CREATE ... $ MKSTREAM on
 *	   each stream (an existing group is kept): a new group gets the
 *	   events from then on;
 *	.  event_streams_read(): one XREADGROUP of up to count entries per
 *	   stream, each from its cursor: "0" or an id reads the consumer's
 *	   own pending entries (those read before a restart and never
 *	   acknowledged), ">" new ones; entry() is called for each entry
 *	   (body: its "event" field), then done() with the counts;
 *	   event_streams_read_some() reads the stream only alone (its
 *	   cursor still at cursors[only]), or all with SIZE_MAX;
 *	.  event_streams_claim(): XAUTOCLAIM of up to count entries of a
 *	   stream pending longer than min_idle_ms with any consumer of the
 *	   group (one that died, or this one: the caller keeps each entry
 *	   once), delivered to entry() as a read's; entries gone from the
 *	   stream come with a NULL body;
 *	.  event_streams_lag(): XINFO GROUPS, for the group's lag on a
 *	   stream (entries not yet read by it; -1 when Redis cannot tell);
 *	.  event_streams_ack(): XACK of an entry the reader is done with;
 *	   event_streams_ack_ids() of count entries of one stream in one
 *	   XACK (a batch's: one round trip, not count);
 *	.  event_streams_send(): any other command of the reader's (it
 *	   frees words), its reply checked for errors alone;
 *	   event_streams_send_then() gives the reply to done(context,
 *	   reply, why) instead (called once, as lib/redis_link.c says),
 *	   which passes it on to event_streams_checked() for the same
 *	   check;
 *	   event_streams_prefix() gives the [redis] prefix, for the keys
 *	   of such commands.
 *
 *	Each returns false when the link has no connection: the caller
 *	tries again later. Replies to acks and sent commands are checked
 *	only for errors, which are logged once a minute.
 *	event_streams_closing() says the daemon stops: the replies the
 *	link ends without an answer are then not errors (a read's done()
 *	gets a NULL why).
 *
 *	event_streams_consumer_valid() says whether a configured consumer
 *	name may be used: not empty, no white space.
 *	event_streams_consumer() gives the consumer name of this relay:
 *	the configured one, else the host's name, else "localhost".
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event_streams.h"
#include "log.h"
#include "redis_keys.h"
#include "text_copy.h"
#include "xmalloc.h"

#define EVENT_STREAMS_MAX 1000

struct event_streams {
	struct redis_link *link;
	char *prefix;
	char *label; /* the reader, in log lines */
	char *group;
	char *consumer;
	char **keys;
	size_t count;
	time_t last_error_log;
	bool closing; /* the daemon stops: lost replies are no news */
};

struct read_call {
	struct event_streams *streams;
	event_stream_entry entry;
	event_stream_read_done done;
	void *context;
};

struct claim_call {
	struct read_call read;
	size_t stream;
};

struct lag_call {
	struct event_streams *streams;
	size_t stream;
	event_stream_lag_done done;
	void *context;
};

static char *
key_of(const char *prefix, enum redis_key kind, const char *name)
{
	struct buffer key = {0};

	redis_key_append(&key, prefix, kind, name, NULL);
	return key.data; /* the buffer's text is the key */
}

struct event_streams *
event_streams_new(struct redis_link *link, const char *prefix,
    const char *group, const char *label, const char *consumer,
    const char *const *tenants, size_t tenant_count)
{
	struct event_streams *streams = xcalloc(1, sizeof(*streams));

	streams->link = link;
	streams->prefix = xstrdup(prefix);
	streams->label = xstrdup(label);
	streams->consumer = xstrdup(consumer);
	streams->group = xstrdup(group);
	if (tenants == NULL) {
		streams->keys = xcalloc(1, sizeof(*streams->keys));
		streams->keys[0] = key_of(prefix, REDIS_KEY_EVENTS, "");
		streams->count = 1;
		return streams;
	}
	if (tenant_count > EVENT_STREAMS_MAX)
		tenant_count = EVENT_STREAMS_MAX;
	streams->keys = xcalloc(tenant_count, sizeof(*streams->keys));
	for (size_t i = 0; i < tenant_count; i++)
		streams->keys[i] =
		    key_of(prefix, REDIS_KEY_TENANT_EVENTS, tenants[i]);
	streams->count = tenant_count;
	return streams;
}

size_t
event_streams_count(const struct event_streams *streams)
{
	return streams->count;
}

const char *
event_streams_key(const struct event_streams *streams, size_t i)
{
	return streams->keys[i];
}

void
event_streams_checked(void *context, const redisReply *reply, const char *why)
{
	struct event_streams *streams = context;
	time_t now = time(NULL);
	const char *error = reply == NULL ? why
	                    : reply->type == REDIS_REPLY_ERROR &&
	                            strncmp(reply->str, "BUSYGROUP", 9) != 0
	                        ? reply->str
	                        : NULL;

	if (error == NULL || streams->closing ||
	    now - streams->last_error_log < 60)
		return;
	streams->last_error_log = now;
	log_warning("%s: Redis: %.200s", streams->label, error);
}

static bool
send_words(struct event_streams *streams, struct script_words *words,
    redis_link_done done, void *context)
{
	bool sent =
	    redis_link_command(streams->link, &words->text, words->lengths,
	        (int)words->count, done, context) != NULL;

	script_words_free(words);
	return sent;
}

bool
event_streams_create_groups(struct event_streams *streams)
{
	for (size_t i = 0; i < streams->count; i++) {
		struct script_words words = {0};

		script_word_text(&words, "XGROUP");
		script_word_text(&words, "CREATE");
		script_word_text(&words, streams->keys[i]);
		script_word_text(&words, streams->group);
		script_word_text(&words, "$");
		script_word_text(&words, "MKSTREAM");
		if (!send_words(
		        streams, &words, event_streams_checked, streams))
			return false;
	}
	return true;
}

/* The "event" field of an entry's field list. */
static bool
event_field(const redisReply *fields, const char **body, size_t *length)
{
	if (fields == NULL || fields->type != REDIS_REPLY_ARRAY)
		return false;
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const redisReply *name = fields->element[i];
		const redisReply *value = fields->element[i + 1];

		if (name->type == REDIS_REPLY_STRING && name->len == 5 &&
		    memcmp(name->str, "event", 5) == 0 &&
		    value->type == REDIS_REPLY_STRING) {
			*body = value->str;
			*length = value->len;
			return true;
		}
	}
	return false;
}

static size_t
stream_index(const struct event_streams *streams, const redisReply *name)
{
	for (size_t i = 0; i < streams->count; i++)
		if (name->type == REDIS_REPLY_STRING &&
		    strlen(streams->keys[i]) == name->len &&
		    memcmp(streams->keys[i], name->str, name->len) == 0)
			return i;
	return streams->count;
}

/* Each entry of an XRANGE-shaped array: [id, [field, value...]]. */
static size_t
each_entry(struct read_call *call, size_t index, const redisReply *entries)
{
	size_t count = 0;

	for (size_t e = 0; e < entries->elements; e++) {
		const redisReply *entry = entries->element[e];
		const char *body = NULL;
		size_t length = 0;
		char id[EVENT_STREAM_ID_MAX];

		if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
		    entry->element[0]->type != REDIS_REPLY_STRING ||
		    entry->element[0]->len >= sizeof(id))
			continue;
		memcpy(id, entry->element[0]->str, entry->element[0]->len);
		id[entry->element[0]->len] = '\0';
		if (!event_field(entry->element[1], &body, &length)) {
			body = NULL;
			length = 0;
		}
		count++;
		call->entry(call->context, index, id, body, length);
	}
	return count;
}

static void
on_read(void *context, const redisReply *reply, const char *why)
{
	struct read_call *call = context;
	struct event_streams *streams = call->streams;
	size_t *counts = xcalloc(streams->count + 1, sizeof(*counts));

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		call->done(call->context, false, counts,
		    streams->closing ? NULL
		    : reply == NULL  ? why
		                     : reply->str);
		goto out;
	}
	for (size_t s = 0;
	     reply->type == REDIS_REPLY_ARRAY && s < reply->elements; s++) {
		const redisReply *pair = reply->element[s];
		size_t index;

		if (pair->type != REDIS_REPLY_ARRAY || pair->elements != 2 ||
		    pair->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		index = stream_index(streams, pair->element[0]);
		if (index == streams->count)
			continue;
		counts[index] += each_entry(call, index, pair->element[1]);
	}
	call->done(call->context, true, counts, NULL);
out:
	free(counts);
	free(call);
}

bool
event_streams_read(struct event_streams *streams, const char *const *cursors,
    size_t count, event_stream_entry entry, event_stream_read_done done,
    void *context)
{
	return event_streams_read_some(
	    streams, SIZE_MAX, cursors, count, entry, done, context);
}

bool
event_streams_read_some(struct event_streams *streams, size_t only,
    const char *const *cursors, size_t count, event_stream_entry entry,
    event_stream_read_done done, void *context)
{
	struct script_words words = {0};
	struct read_call *call = xcalloc(1, sizeof(*call));

	call->streams = streams;
	call->entry = entry;
	call->done = done;
	call->context = context;
	script_word_text(&words, "XREADGROUP");
	script_word_text(&words, "GROUP");
	script_word_text(&words, streams->group);
	script_word_text(&words, streams->consumer);
	script_word(&words, "COUNT");
	script_word(&words, "%zu", count);
	script_word_text(&words, "STREAMS");
	for (size_t i = 0; i < streams->count; i++)
		if (only == SIZE_MAX || only == i)
			script_word_text(&words, streams->keys[i]);
	for (size_t i = 0; i < streams->count; i++)
		if (only == SIZE_MAX || only == i)
			script_word_text(&words, cursors[i]);
	if (!send_words(streams, &words, on_read, call)) {
		free(call);
		return false;
	}
	return true;
}

/* XAUTOCLAIM's reply: [next cursor, [entries], [deleted ids]]; a
 * deleted id is an entry gone from the stream (body NULL). */
static void
on_claimed(void *context, const redisReply *reply, const char *why)
{
	struct claim_call *claim = context;
	struct read_call *call = &claim->read;
	size_t *counts = xcalloc(call->streams->count + 1, sizeof(*counts));

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 2 ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY) {
		call->done(call->context, false, counts,
		    call->streams->closing ? NULL
		    : reply == NULL        ? why
		    : reply->type == REDIS_REPLY_ERROR
		        ? reply->str
		        : "unexpected reply to XAUTOCLAIM");
		goto out;
	}
	counts[claim->stream] =
	    each_entry(call, claim->stream, reply->element[1]);
	for (size_t i = 0; reply->elements > 2 &&
	                   reply->element[2]->type == REDIS_REPLY_ARRAY &&
	                   i < reply->element[2]->elements;
	     i++) {
		const redisReply *id = reply->element[2]->element[i];
		char text[EVENT_STREAM_ID_MAX];

		if (id->type != REDIS_REPLY_STRING || id->len >= sizeof(text))
			continue;
		memcpy(text, id->str, id->len);
		text[id->len] = '\0';
		counts[claim->stream]++;
		call->entry(call->context, claim->stream, text, NULL, 0);
	}
	call->done(call->context, true, counts, NULL);
out:
	free(counts);
	free(claim);
}

bool
event_streams_claim(struct event_streams *streams, size_t stream,
    long long min_idle_ms, size_t count, event_stream_entry entry,
    event_stream_read_done done, void *context)
{
	struct script_words words = {0};
	struct claim_call *claim = xcalloc(1, sizeof(*claim));

	claim->read = (struct read_call){streams, entry, done, context};
	claim->stream = stream;
	script_word_text(&words, "XAUTOCLAIM");
	script_word_text(&words, streams->keys[stream]);
	script_word_text(&words, streams->group);
	script_word_text(&words, streams->consumer);
	script_word(&words, "%lld", min_idle_ms);
	script_word_text(&words, "0-0");
	script_word_text(&words, "COUNT");
	script_word(&words, "%zu", count);
	if (!send_words(streams, &words, on_claimed, claim)) {
		free(claim);
		return false;
	}
	return true;
}

/* XINFO GROUPS: per group a flat list of names and values; "lag" may
 * be null (Redis cannot tell after entries were deleted). */
static void
on_groups(void *context, const redisReply *reply, const char *why)
{
	struct lag_call *call = context;
	long long lag = -1;

	(void)why;
	for (size_t g = 0; reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	                   g < reply->elements;
	     g++) {
		const redisReply *group = reply->element[g];
		bool ours = false;
		long long value = -1;

		for (size_t i = 0; group->type == REDIS_REPLY_ARRAY &&
		                   i + 1 < group->elements;
		     i += 2) {
			const redisReply *name = group->element[i];
			const redisReply *field = group->element[i + 1];

			if (name->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(name->str, "name") == 0 &&
			    field->type == REDIS_REPLY_STRING &&
			    strcmp(field->str, call->streams->group) == 0)
				ours = true;
			if (strcmp(name->str, "lag") == 0 &&
			    field->type == REDIS_REPLY_INTEGER)
				value = field->integer;
		}
		if (ours)
			lag = value;
	}
	call->done(call->context, call->stream, lag);
	free(call);
}

bool
event_streams_lag(struct event_streams *streams, size_t stream,
    event_stream_lag_done done, void *context)
{
	struct script_words words = {0};
	struct lag_call *call = xcalloc(1, sizeof(*call));

	*call = (struct lag_call){streams, stream, done, context};
	script_word_text(&words, "XINFO");
	script_word_text(&words, "GROUPS");
	script_word_text(&words, streams->keys[stream]);
	if (!send_words(streams, &words, on_groups, call)) {
		free(call);
		return false;
	}
	return true;
}

bool
event_streams_ack(struct event_streams *streams, size_t stream, const char *id)
{
	return event_streams_ack_ids(streams, stream, &id, 1);
}

bool
event_streams_ack_ids(struct event_streams *streams, size_t stream,
    const char *const *ids, size_t count)
{
	struct script_words words = {0};

	if (count == 0)
		return true;
	script_word_text(&words, "XACK");
	script_word_text(&words, streams->keys[stream]);
	script_word_text(&words, streams->group);
	for (size_t i = 0; i < count; i++)
		script_word_text(&words, ids[i]);
	return send_words(streams, &words, event_streams_checked, streams);
}

bool
event_streams_send_then(struct event_streams *streams,
    struct script_words *words, redis_link_done done, void *context)
{
	return send_words(streams, words, done, context);
}

bool
event_streams_send(struct event_streams *streams, struct script_words *words)
{
	return send_words(streams, words, event_streams_checked, streams);
}

const char *
event_streams_prefix(const struct event_streams *streams)
{
	return streams->prefix;
}

void
event_streams_closing(struct event_streams *streams)
{
	streams->closing = true;
}

void
event_streams_free(struct event_streams *streams)
{
	if (streams == NULL)
		return;
	for (size_t i = 0; i < streams->count; i++)
		free(streams->keys[i]);
	free(streams->keys);
	free(streams->prefix);
	free(streams->label);
	free(streams->group);
	free(streams->consumer);
	free(streams);
}

bool
event_streams_consumer_valid(const char *name)
{
	return name[0] != '\0' && strcspn(name, " \t\r\n") == strlen(name);
}

void
event_streams_consumer(const char *configured, char *out, size_t out_size)
{
	if (configured != NULL)
		text_copy(out, out_size, configured);
	else if (gethostname(out, out_size - 1) < 0)
		text_copy(out, out_size, "localhost");
	else
		out[out_size - 1] = '\0';
}
