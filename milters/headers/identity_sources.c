/*
 * NAME
 *	identity_sources - what an authenticated user may send as, for rule 2
 * SYNOPSIS
 *	#include "identity_sources.h"
 *
 *	bool identity_sources_open(sources, config, errors)
 *	enum identity_answer identity_sources_owns(sources, user, address,
 *		length, why, why_size)
 *	void identity_sources_close(sources)
 * DESCRIPTION
 *	The sources rule_from_owner.c asks, when from_ownership is on:
 *	identities_file, read whole by identity_sources_open() (a file
 *	with errors is refused, with each error in errors), and the Redis
 *	set of the user (sender_identity.c; [redis] settings), asked with
 *	two pipelined SISMEMBER (the address, its @domain): one round trip,
 *	and any Redis version.
 *
 *	identity_sources_owns() asks the file first, so what the file
 *	grants needs no Redis; then Redis. IDENTITY_UNKNOWN, with the
 *	reason in why, when Redis is used and cannot answer; the failure
 *	is logged (once a second at most, as a message-rate failure would
 *	flood the log).
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

/* 1: granted, 0: not, -1: no answer (why says). */
static int
ask_redis(struct identity_sources *sources, const char *user,
    const struct identity_members *members, char *why, size_t why_size)
{
	struct buffer key = {0};
	char error[256];
	redisContext *connection;
	redisReply *reply[2] = {NULL, NULL};
	int granted = 0;
	bool healthy = true;

	if (!sender_identity_key(sources->key_prefix, user, &key))
		return 0;
	connection = redis_pool_take(sources->redis, error, sizeof(error));
	if (connection == NULL) {
		snprintf(why, why_size, "Redis: %s", error);
		buffer_free(&key);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		const char *words[] = {"SISMEMBER", key.data,
		    i == 0 ? members->address : members->domain};

		redisAppendCommandArgv(connection, 3, words, NULL);
	}
	for (int i = 0; i < 2 && healthy; i++) {
		healthy =
		    redisGetReply(connection, (void **)&reply[i]) == REDIS_OK &&
		    reply[i] != NULL && reply[i]->type == REDIS_REPLY_INTEGER;
		if (healthy)
			granted |= reply[i]->integer == 1;
	}
	if (!healthy)
		snprintf(why, why_size, "Redis: %.200s",
		    connection->err ? connection->errstr
		    : reply[0] != NULL && reply[0]->type == REDIS_REPLY_ERROR
		        ? reply[0]->str
		    : reply[1] != NULL && reply[1]->type == REDIS_REPLY_ERROR
		        ? reply[1]->str
		        : "unexpected reply to SISMEMBER");
	freeReplyObject(reply[0]);
	freeReplyObject(reply[1]);
	redis_pool_give(sources->redis, connection, healthy);
	buffer_free(&key);
	return healthy ? granted : -1;
}

enum identity_answer
identity_sources_owns(void *source, const char *user, const char *address,
    size_t length, char *why, size_t why_size)
{
	struct identity_sources *sources = source;
	struct identity_members members;

	if (!sources->open) {
		snprintf(why, why_size, "identities_file did not load");
		return IDENTITY_UNKNOWN;
	}
	if (!sender_identity_members(address, length, &members))
		return IDENTITY_NOT_OWNED;
	if (sources->has_file &&
	    identity_file_allows(&sources->file, user, &members))
		return IDENTITY_OWNED;
	if (sources->redis == NULL)
		return IDENTITY_NOT_OWNED;
	switch (ask_redis(sources, user, &members, why, why_size)) {
	case 1:
		return IDENTITY_OWNED;
	case 0:
		return IDENTITY_NOT_OWNED;
	default:
		log_failure(why);
		return IDENTITY_UNKNOWN;
	}
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
