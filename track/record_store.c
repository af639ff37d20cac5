/*
 * NAME
 *	record_store - waypost-trackd's Redis: the records, and where it
 *	stopped
 * SYNOPSIS
 *	#include "record_store.h"
 *
 *	struct record_store *record_store_new(redis, settings)
 *	enum record_lookup record_store_position(store, &position, error,
 *		error_size)
 *	enum record_flush record_store_flush(store, batch, error,
 *		error_size)
 *	bool record_store_send(store, batch, error, error_size)
 *	bool record_store_in_flight(store)
 *	enum record_flush record_store_receive(store, batch, error,
 *		error_size)
 *	enum record_lookup record_store_restore(store, queue_id, message,
 *		error, error_size)
 *	void record_store_free(store)
 * DESCRIPTION
 *	One blocking connection to the [redis] of waypost.conf (lib/
 *	redis_pool.c, which also waits REDIS_RETRY_AFTER_MS after a failed
 *	connect), with each reply awaited for at least
 *	RECORD_STORE_TIMEOUT_MIN_MS.
 *
 *	record_store_position() reads the saved log position of this
 *	relay: found, none saved, or Redis did not answer.
 *
 *	record_store_flush() runs record_script.lua (record_contract.h)
 *	on the batch: EVALSHA, loading the script when Redis does not
 *	have it (a restarted Redis); the batch's operations and its log
 *	position are written together or not at all, and only when the
 *	saved position is the one the batch follows. Each note the script
 *	returns (a suppression, the guard) is logged with its queue ID.
 *	RECORD_FLUSHED: applied, or applied already (a call that timed
 *	out ran after all: the saved position is the batch's end), and the
 *	batch is cleared; RECORD_UNSAVED: kept, whole, for the next try;
 *	RECORD_MOVED: the saved position is elsewhere (another reader of
 *	the same relay name, or a late call of an earlier run), and the
 *	daemon must start again from it.
 *
 *	record_store_send() and record_store_receive() are the two halves
 *	of record_store_flush(), for a daemon that reads the next lines
 *	while Redis runs the script: one batch in flight at most
 *	(record_store_in_flight()), on a connection of its own, whose
 *	reply must be read before any other question to Redis.
 *
 *	record_store_restore() fills a message the daemon's table does
 *	not have (it was read before a restart) from its record: the
 *	queue ID's index, then the record's header. A record whose message
 *	left the queue ("removed") is none: the queue ID was reused.
 * SECURITY
 *	Texts from Redis are bounded by message_set_text(). The password
 *	is never logged (redis_pool.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "log.h"
#include "monotonic.h"
#include "record_contract.h"
#include "record_script.h"
#include "record_store.h"
#include "redis_keys.h"
#include "redis_metrics.h"
#include "redis_pool.h"
#include "text_copy.h"
#include "track_metrics.h"
#include "xmalloc.h"

struct record_store {
	struct redis_pool *pool;
	struct record_settings settings; /* prefix and relay copied */
	char sha[41];                    /* "" until loaded */
	redisContext *sending; /* a batch sent, its reply not read yet */
	double sent_ms;        /* when, for the latency metric */
};

struct record_store *
record_store_new(
    const struct redis_settings *redis, const struct record_settings *settings)
{
	struct record_store *store = xcalloc(1, sizeof(*store));
	struct redis_settings patient = *redis;

	if (patient.timeout < RECORD_STORE_TIMEOUT_MIN_MS)
		patient.timeout = RECORD_STORE_TIMEOUT_MIN_MS;
	store->pool = redis_pool_new(&patient);
	redis_pool_follow(store->pool);
	store->settings = *settings;
	store->settings.prefix = xstrdup(settings->prefix);
	store->settings.relay = xstrdup(settings->relay);
	return store;
}

void
record_store_free(struct record_store *store)
{
	if (store == NULL)
		return;
	redis_pool_free(store->pool);
	free((char *)store->settings.prefix);
	free((char *)store->settings.relay);
	free(store);
}

/* One command's reply, or NULL with the reason in error. */
static redisReply *
command(redisContext *connection, int count, const char **words,
    const size_t *lengths, char *error, size_t error_size)
{
	redisReply *reply = redisCommandArgv(connection, count, words, lengths);

	if (reply == NULL)
		snprintf(error, error_size, "%s: %s", words[0],
		    connection->errstr[0] ? connection->errstr : "no reply");
	return reply;
}

enum record_lookup
record_store_position(struct record_store *store, struct log_position *position,
    char *error, size_t error_size)
{
	struct buffer key = {0};
	redisContext *connection =
	    redis_pool_take(store->pool, error, error_size);
	redisReply *reply;
	enum record_lookup found = RECORD_ERROR;

	if (connection == NULL)
		return RECORD_ERROR;
	redis_key_append(&key, store->settings.prefix, REDIS_KEY_TRACK_POSITION,
	    store->settings.relay, NULL);
	reply = command(connection, 2, (const char *[]){"GET", key.data},
	    (const size_t[]){3, key.length}, error, error_size);
	if (reply != NULL && reply->type == REDIS_REPLY_NIL)
		found = RECORD_NONE;
	else if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
	         record_position_parse(reply->str, position))
		found = RECORD_FOUND;
	else if (reply != NULL)
		snprintf(
		    error, error_size, "%s holds no log position", key.data);
	redis_pool_give(store->pool, connection, reply != NULL);
	freeReplyObject(reply);
	buffer_free(&key);
	return found;
}

static bool
load_script(struct record_store *store, redisContext *connection, char *error,
    size_t error_size)
{
	redisReply *reply = command(connection, 3,
	    (const char *[]){"SCRIPT", "LOAD", record_script}, NULL, error,
	    error_size);
	bool done = reply != NULL && reply->type == REDIS_REPLY_STRING &&
	            reply->len == 40;

	if (done)
		memcpy(store->sha, reply->str, 41);
	else if (reply != NULL)
		snprintf(error, error_size, "SCRIPT LOAD: %.200s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "no SHA1");
	freeReplyObject(reply);
	return done;
}

/* The script's DONE, then queue ID and text pairs. */
static void
log_notes(const redisReply *reply)
{
	for (size_t i = 1; i + 1 < reply->elements; i += 2) {
		const redisReply *queue_id = reply->element[i];
		const redisReply *text = reply->element[i + 1];

		if (queue_id->type == REDIS_REPLY_STRING &&
		    text->type == REDIS_REPLY_STRING) {
			log_event(
			    LOG_LEVEL_NOTICE, queue_id->str, "%s", text->str);
			track_metrics_note(text->str);
		}
	}
}

/* The EVALSHA of the batch, written out on the connection; the reply
 * is read by receive(). */
static bool
send_script(struct record_store *store, redisContext *connection,
    struct record_batch *batch, char *error, size_t error_size)
{
	const char **words;
	const size_t *lengths;
	int count = record_batch_arguments(batch, &words, &lengths);
	const char **call;
	size_t *sizes;
	int done = 0;
	bool sent;

	if (store->sha[0] == '\0' &&
	    !load_script(store, connection, error, error_size))
		return false;
	call = xmalloc((size_t)(count + 3) * sizeof(*call));
	sizes = xmalloc((size_t)(count + 3) * sizeof(*sizes));
	call[0] = "EVALSHA";
	call[1] = store->sha;
	call[2] = "0";
	memcpy(call + 3, words, (size_t)count * sizeof(*call));
	memcpy(sizes + 3, lengths, (size_t)count * sizeof(*sizes));
	sizes[0] = 7;
	sizes[1] = 40;
	sizes[2] = 1;
	sent = redisAppendCommandArgv(connection, count + 3, call, sizes) ==
	       REDIS_OK;
	while (sent && !done)
		sent = redisBufferWrite(connection, &done) == REDIS_OK;
	if (!sent)
		snprintf(error, error_size, "EVALSHA: %s",
		    connection->errstr[0] ? connection->errstr : "not sent");
	free(call);
	free(sizes);
	return sent;
}

static bool
reply_word(const redisReply *reply, const char *word)
{
	return reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
	       reply->element[0]->type == REDIS_REPLY_STRING &&
	       strcmp(reply->element[0]->str, word) == 0;
}

bool
record_store_send(struct record_store *store, struct record_batch *batch,
    char *error, size_t error_size)
{
	if (store->sending != NULL)
		log_panic("record_store_send: a batch is in flight already");
	if ((store->sending =
	            redis_pool_take(store->pool, error, error_size)) == NULL) {
		redis_metrics_command(REDIS_RESULT_UNAVAILABLE, 0);
		return false;
	}
	store->sent_ms = monotonic_ms_exact();
	if (!send_script(store, store->sending, batch, error, error_size)) {
		redis_pool_give(store->pool, store->sending, false);
		store->sending = NULL;
		return false;
	}
	return true;
}

bool
record_store_in_flight(const struct record_store *store)
{
	return store->sending != NULL;
}

/* hiredis says "Resource temporarily unavailable" when the blocking
 * read timed out. */
static void
count_result(const struct record_store *store, const redisContext *connection,
    const redisReply *reply)
{
	enum redis_result result = REDIS_RESULT_LOST;

	if (reply != NULL)
		result = reply->type == REDIS_REPLY_ERROR ? REDIS_RESULT_ERROR
		                                          : REDIS_RESULT_OK;
	else if (strstr(connection->errstr, "temporarily") != NULL ||
	         strstr(connection->errstr, "timed out") != NULL)
		result = REDIS_RESULT_TIMEOUT;
	redis_metrics_command(
	    result, (monotonic_ms_exact() - store->sent_ms) / 1000.0);
}

/* The reply of the batch sent; a Redis that lost the script (NOSCRIPT)
 * gets it and the batch again. */
enum record_flush
record_store_receive(struct record_store *store, struct record_batch *batch,
    char *error, size_t error_size)
{
	redisContext *connection = store->sending;
	redisReply *reply = NULL;
	enum record_flush result = RECORD_UNSAVED;
	void *got = NULL;

	store->sending = NULL;
	if (connection == NULL)
		return RECORD_UNSAVED;
	if (redisGetReply(connection, &got) == REDIS_OK)
		reply = got;
	else
		snprintf(error, error_size, "EVALSHA: %s",
		    connection->errstr[0] ? connection->errstr : "no reply");
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(reply);
		reply = NULL;
		store->sha[0] = '\0';
		if (send_script(store, connection, batch, error, error_size) &&
		    redisGetReply(connection, &got) == REDIS_OK)
			reply = got;
	}
	if (reply != NULL && reply_word(reply, SCRIPT_DONE)) {
		log_notes(reply);
		result = RECORD_FLUSHED;
	} else if (reply != NULL && reply_word(reply, SCRIPT_KNOWN)) {
		log_info("the batch of %zu records was in Redis already (a "
		         "call that had timed out went through)",
		    record_batch_ops(batch));
		result = RECORD_FLUSHED;
	} else if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	           strncmp(reply->str, SCRIPT_MOVED, strlen(SCRIPT_MOVED)) ==
	               0) {
		snprintf(error, error_size, "%.300s", reply->str);
		result = RECORD_MOVED;
	} else if (reply != NULL)
		snprintf(error, error_size, "record script: %.300s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str
		                                     : "unexpected reply");
	if (result == RECORD_FLUSHED)
		record_batch_clear(batch);
	count_result(store, connection, reply);
	redis_pool_give(store->pool, connection, reply != NULL);
	freeReplyObject(reply);
	return result;
}

enum record_flush
record_store_flush(struct record_store *store, struct record_batch *batch,
    char *error, size_t error_size)
{
	if (!record_batch_pending(batch))
		return RECORD_FLUSHED;
	if (!record_store_send(store, batch, error, error_size))
		return RECORD_UNSAVED;
	return record_store_receive(store, batch, error, error_size);
}

/* The header fields a restore reads, in this order. */
static const char *const header_fields[] = {"first_seen", "message_id",
    "sender", "user", "client", "size", "recipients", "origin",
    "notification_of", "removed"};
#define HEADER_FIELDS (sizeof(header_fields) / sizeof(header_fields[0]))

static const char *
string_of(const redisReply *reply)
{
	return reply->type == REDIS_REPLY_STRING ? reply->str : NULL;
}

static void
set_text(char **field, const redisReply *reply)
{
	if (reply->type == REDIS_REPLY_STRING)
		message_set_text(field, reply->str, reply->len);
}

static enum record_lookup
fill(struct message_entry *message, const redisReply *reply)
{
	const redisReply *const *got =
	    (const redisReply *const *)reply->element;
	const char *origin, *notification_of;

	if (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != HEADER_FIELDS || string_of(got[0]) == NULL ||
	    string_of(got[9]) != NULL)
		return RECORD_NONE;
	message->first_seen = (time_t)strtoll(got[0]->str, NULL, 10);
	set_text(&message->message_id, got[1]);
	set_text(&message->sender, got[2]);
	set_text(&message->sasl_username, got[3]);
	set_text(&message->client, got[4]);
	if (string_of(got[5]) != NULL)
		message->size = strtoull(got[5]->str, NULL, 10);
	if (string_of(got[6]) != NULL)
		message->recipient_count = strtoull(got[6]->str, NULL, 10);
	origin = string_of(got[7]);
	notification_of = string_of(got[8]);
	if (notification_of != NULL)
		text_copy(message->notification_of,
		    sizeof(message->notification_of), notification_of);
	/* Postfix's own mail with the null sender, which no field holds. */
	if (origin != NULL && message->sender == NULL)
		message_set_text(&message->sender, "", 0);
	return RECORD_FOUND;
}

enum record_lookup
record_store_restore(struct record_store *store, const char *queue_id,
    struct message_entry *message, char *error, size_t error_size)
{
	struct buffer key = {0};
	const char *words[2 + HEADER_FIELDS];
	redisContext *connection =
	    redis_pool_take(store->pool, error, error_size);
	redisReply *index = NULL, *header = NULL;
	enum record_lookup found = RECORD_ERROR;

	if (connection == NULL)
		return RECORD_ERROR;
	record_queue_index_key(
	    &key, store->settings.prefix, store->settings.relay, queue_id);
	index = command(connection, 2, (const char *[]){"GET", key.data}, NULL,
	    error, error_size);
	if (index != NULL && index->type == REDIS_REPLY_NIL)
		found = RECORD_NONE;
	else if (index != NULL && index->type == REDIS_REPLY_STRING) {
		words[0] = "HMGET";
		words[1] = index->str;
		memcpy(words + 2, header_fields, sizeof(header_fields));
		header = command(connection, 2 + (int)HEADER_FIELDS, words,
		    NULL, error, error_size);
		if (header != NULL)
			found = fill(message, header);
	}
	redis_pool_give(
	    store->pool, connection, index != NULL && found != RECORD_ERROR);
	freeReplyObject(index);
	freeReplyObject(header);
	buffer_free(&key);
	return found;
}
