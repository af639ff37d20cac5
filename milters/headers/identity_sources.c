/*
 * NAME
 *	identity_sources - what an authenticated user may send as, for rule 2
 * SYNOPSIS
 *	#include "identity_sources.h"
 *
 *	bool identity_sources_open(sources, config, errors)
 *	enum identity_answer identity_sources_owns(sources, user, addresses,
 *		count, first, why, why_size)
 *	void identity_sources_probe(sources)
 *	void identity_sources_close(sources)
 * DESCRIPTION
 *	The sources rule_from_owner.c asks, when from_ownership is on:
 *	identities_file, read whole by identity_sources_open() (a file
 *	with errors is refused, with each error in errors), and the Redis
 *	set of the user (sender_identity.c; [redis] settings), asked with
 *	two SISMEMBER per address (the address, its @domain), all of a
 *	message's addresses pipelined: one round trip, any Redis version.
 *
 *	identity_sources_owns() asks the file first, so what the file
 *	grants needs no Redis; then Redis. IDENTITY_UNKNOWN, with the
 *	reason in why, when Redis is used and cannot answer; the failure
 *	is logged (once a second at most, as a message-rate failure would
 *	flood the log).
 *
 *	Whether Redis answered is /readyz's "redis" condition
 *	(headers_metrics.c), told by every lookup that asks it, and by
 *	identity_sources_probe(): a PING, which the main loop sends when a
 *	runtime with Redis is installed and every second, so /readyz
 *	follows Redis without waiting for mail to ask.
 *
 *	It runs in the milter's worker threads and blocks the one that
 *	calls it for one Redis round trip, at most timeout
 *	(redis_pool.c fails at once while Redis is known to be down).
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "headers_metrics.h"
#include "identity_sources.h"
#include "log.h"
#include "xmalloc.h"

bool
identity_sources_open(struct identity_sources *sources,
    const struct headers_config *config, struct config_errors *errors)
{
	const struct headers_section *section = &config->headers;

	memset(sources, 0, sizeof(*sources));
	if (section->from_ownership == OWNERSHIP_NO) {
		sources->open = true;
		return true;
	}
	if (section->identities_file != NULL) {
		if (!identity_file_load(
		        section->identities_file, &sources->file, errors)) {
			identity_file_free(&sources->file);
			return false;
		}
		sources->has_file = true;
	}
	if (section->identities_redis) {
		sources->redis = redis_pool_new(&config->redis);
		redis_pool_follow(sources->redis);
		sources->key_prefix = xstrdup(config->redis.prefix);
	}
	sources->open = true;
	return true;
}

/* A failed lookup's log line, at most once a second per process. */
static void
log_failure(const char *why)
{
	static atomic_llong last;
	long long now = (long long)time(NULL);
	long long before = atomic_load(&last);

	if (before != now &&
	    atomic_compare_exchange_strong(&last, &before, now))
		log_warning("sender identities: %s", why);
}

/* For each address still IDENTITY_UNKNOWN in answers, whether the
 * user's set grants it: two SISMEMBER each (the address, its @domain),
 * all pipelined, one round trip on connection. false, with why, when
 * Redis does not answer; then answers keep their IDENTITY_UNKNOWN. */
static bool
ask_connection(redisContext *connection, const struct buffer *key,
    const struct identity_members *members, enum identity_answer *answers,
    size_t count, char *why, size_t why_size)
{
	redisReply *reply = NULL;
	bool healthy = true;

	for (size_t i = 0; i < count; i++) {
		if (answers[i] != IDENTITY_UNKNOWN)
			continue;
		redisAppendCommandArgv(connection, 3,
		    (const char *[]){
		        "SISMEMBER", key->data, members[i].address},
		    NULL);
		redisAppendCommandArgv(connection, 3,
		    (const char *[]){"SISMEMBER", key->data, members[i].domain},
		    NULL);
	}
	/* Every reply is read, so the connection stays in step. */
	for (size_t i = 0; i < count; i++) {
		bool granted = false;

		if (answers[i] != IDENTITY_UNKNOWN)
			continue;
		for (int j = 0; j < 2 && healthy; j++) {
			healthy = redisGetReply(connection, (void **)&reply) ==
			              REDIS_OK &&
			          reply != NULL &&
			          reply->type == REDIS_REPLY_INTEGER;
			if (healthy)
				granted |= reply->integer == 1;
			else
				snprintf(why, why_size, "Redis: %.200s",
				    connection->err ? connection->errstr
				    : reply != NULL &&
				            reply->type == REDIS_REPLY_ERROR
				        ? reply->str
				        : "unexpected reply to SISMEMBER");
			freeReplyObject(reply);
			reply = NULL;
		}
		if (!healthy)
			break;
		answers[i] = granted ? IDENTITY_OWNED : IDENTITY_NOT_OWNED;
	}
	return healthy;
}

/* ask_connection() on a pooled connection; once more on a new one when
 * the pooled one was lost (Redis closed an idle connection, or
 * restarted), so that only a Redis that is really away fails a
 * message. */
static bool
ask_redis(struct identity_sources *sources, const char *user,
    const struct identity_members *members, enum identity_answer *answers,
    size_t count, char *why, size_t why_size)
{
	struct buffer key = {0};
	char error[256];
	redisContext *connection;
	bool healthy = false, lost = true;

	if (!sender_identity_key(sources->key_prefix, user, &key)) {
		for (size_t i = 0; i < count; i++)
			if (answers[i] == IDENTITY_UNKNOWN)
				answers[i] = IDENTITY_NOT_OWNED;
		return true;
	}
	for (int attempt = 0; attempt < 2 && !healthy && lost; attempt++) {
		connection =
		    redis_pool_take(sources->redis, error, sizeof(error));
		if (connection == NULL) {
			snprintf(why, why_size, "Redis: %s", error);
			break;
		}
		healthy = ask_connection(
		    connection, &key, members, answers, count, why, why_size);
		lost = connection->err != 0;
		redis_pool_give(sources->redis, connection, healthy);
	}
	buffer_free(&key);
	return healthy;
}

enum identity_answer
identity_sources_owns(void *source, const char *user,
    const struct identity_address *addresses, size_t count, size_t *first,
    char *why, size_t why_size)
{
	struct identity_sources *sources = source;
	struct identity_members *members =
	    xreallocarray(NULL, count + 1, sizeof(*members));
	enum identity_answer *answers =
	    xreallocarray(NULL, count + 1, sizeof(*answers));
	enum identity_answer answer = IDENTITY_OWNED;
	bool asked = false;

	if (!sources->open)
		snprintf(why, why_size, "identities_file did not load");
	/* What the file grants or no one can own needs no Redis. */
	for (size_t i = 0; i < count; i++) {
		answers[i] = IDENTITY_UNKNOWN;
		if (!sources->open)
			continue;
		if (!sender_identity_members(
		        addresses[i].text, addresses[i].length, &members[i]))
			answers[i] = IDENTITY_NOT_OWNED;
		else if (sources->has_file &&
		         identity_file_allows(
		             &sources->file, user, &members[i]))
			answers[i] = IDENTITY_OWNED;
		else if (sources->redis == NULL)
			answers[i] = IDENTITY_NOT_OWNED;
		else
			asked = true;
	}
	if (asked) {
		bool answered = ask_redis(
		    sources, user, members, answers, count, why, why_size);

		headers_metrics_redis(answered);
		if (!answered)
			log_failure(why);
	}
	*first = count;
	for (size_t i = 0; i < count && answer == IDENTITY_OWNED; i++)
		if ((answer = answers[i]) != IDENTITY_OWNED)
			*first = i;
	free(members);
	free(answers);
	return answer;
}

void
identity_sources_probe(const struct identity_sources *sources)
{
	char error[256];
	redisContext *connection;
	redisReply *reply;
	bool healthy;

	if (sources->redis == NULL) {
		headers_metrics_redis_unused();
		return;
	}
	connection = redis_pool_take(sources->redis, error, sizeof(error));
	if (connection == NULL) {
		headers_metrics_redis(false);
		return;
	}
	reply = redisCommand(connection, "PING");
	healthy = reply != NULL && reply->type == REDIS_REPLY_STATUS;
	freeReplyObject(reply);
	redis_pool_give(sources->redis, connection, healthy);
	headers_metrics_redis(healthy);
}

void
identity_sources_close(struct identity_sources *sources)
{
	if (sources->has_file)
		identity_file_free(&sources->file);
	redis_pool_free(sources->redis);
	free(sources->key_prefix);
	memset(sources, 0, sizeof(*sources));
}
