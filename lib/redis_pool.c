/*
 * NAME
 *	redis_pool - blocking Redis connections for threads, set up and reused
 * SYNOPSIS
 *	#include "redis_pool.h"
 *
 *	struct redis_pool *redis_pool_new(settings)
 *	redisContext *redis_pool_take(pool, error, error_size)
 *	void redis_pool_give(pool, connection, healthy)
 *	void redis_pool_free(pool)
 * DESCRIPTION
 *	For a daemon whose worker threads ask Redis a question now and
 *	then (waypost-headers' sender identities): each question takes a
 *	connection, asks with hiredis' blocking calls and gives it back.
 *	redis_pool_take() returns an idle connection, or opens one as
 *	[redis] says (address, connect_timeout, then AUTH with username and
 *	password, SELECT database, and timeout for every reply).
 *	On failure it returns NULL with the reason in error.
 *
 *	redis_pool_give() keeps a healthy connection for the next
 *	question (up to REDIS_POOL_IDLE_MAX) and closes one that failed;
 *	one whose connection was lost (hiredis' err) closes the idle ones
 *	too, which Redis, restarted or gone, has closed as well.
 *
 *	When Redis cannot be reached, the pool does not try again for
 *	REDIS_RETRY_AFTER_MS and fails at once meanwhile, so a Redis that
 *	is down costs a message nothing, and one that is unreachable
 *	(packets dropped) costs a thread at most one connect_timeout per
 *	interval rather than one per message.
 *
 *	redis_pool_free() closes the idle connections; none may be taken.
 *
 *	The pool reports to redis_metrics.c whether its last attempt to
 *	connect worked (Redis's readiness); the callers count their
 *	commands, and a NULL from redis_pool_take() as one unavailable.
 * SECURITY
 *	The password is sent only to the configured server and never
 *	logged. Every reply is bounded in time by timeout.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monotonic.h"
#include "redis_metrics.h"
#include "redis_pool.h"
#include "xmalloc.h"

struct redis_pool {
	pthread_mutex_t lock;
	struct redis_settings settings; /* strings copied */
	redisContext *idle[REDIS_POOL_IDLE_MAX];
	size_t idle_count;
	long long retry_at; /* monotonic milliseconds; 0: try now */
};

static char *
copy(const char *text)
{
	return text != NULL ? xstrdup(text) : NULL;
}

struct redis_pool *
redis_pool_new(const struct redis_settings *settings)
{
	struct redis_pool *pool = xcalloc(1, sizeof(*pool));

	pthread_mutex_init(&pool->lock, NULL);
	pool->settings = *settings;
	pool->settings.username = copy(settings->username);
	pool->settings.password = copy(settings->password);
	pool->settings.prefix = copy(settings->prefix);
	return pool;
}

/* One command whose reply must not be an error; false with the reason. */
static bool
setup_command(redisContext *connection, int count, const char **words,
    char *error, size_t error_size)
{
	redisReply *reply = redisCommandArgv(connection, count, words, NULL);
	bool done = reply != NULL && reply->type != REDIS_REPLY_ERROR;

	if (reply == NULL)
		snprintf(
		    error, error_size, "%s: %s", words[0], connection->errstr);
	else if (!done)
		snprintf(error, error_size, "%s: %.200s", words[0], reply->str);
	freeReplyObject(reply);
	return done;
}

static redisContext *
connect_new(
    const struct redis_settings *settings, char *error, size_t error_size)
{
	struct timeval timeout = timeval_of_ms(settings->connect_timeout);
	redisContext *connection =
	    settings->address.kind == SOCKET_UNIX
	        ? redisConnectUnixWithTimeout(settings->address.path, timeout)
	        : redisConnectWithTimeout(settings->address.host,
	              (int)settings->address.port, timeout);
	char database[24];
	const char *auth[] = {"AUTH", settings->username, settings->password};
	const char *select[] = {"SELECT", database};

	if (connection == NULL || connection->err) {
		snprintf(error, error_size, "cannot connect: %s",
		    connection ? connection->errstr : "out of memory");
		redisFree(connection);
		return NULL;
	}
	redisSetTimeout(connection, timeval_of_ms(settings->timeout));
	snprintf(database, sizeof(database), "%lld", settings->database);
	if (settings->password != NULL &&
	    !(settings->username != NULL
	            ? setup_command(connection, 3, auth, error, error_size)
	            : setup_command(connection, 2,
	                  (const char *[]){"AUTH", settings->password}, error,
	                  error_size))) {
		redisFree(connection);
		return NULL;
	}
	if (settings->database != 0 &&
	    !setup_command(connection, 2, select, error, error_size)) {
		redisFree(connection);
		return NULL;
	}
	return connection;
}

redisContext *
redis_pool_take(struct redis_pool *pool, char *error, size_t error_size)
{
	redisContext *connection = NULL;
	long long retry_at;

	pthread_mutex_lock(&pool->lock);
	if (pool->idle_count > 0)
		connection = pool->idle[--pool->idle_count];
	retry_at = pool->retry_at;
	pthread_mutex_unlock(&pool->lock);
	if (connection != NULL)
		return connection;
	if (retry_at != 0 && monotonic_ms() < retry_at) {
		snprintf(error, error_size,
		    "unreachable a moment ago; next attempt in at most %d ms",
		    REDIS_RETRY_AFTER_MS);
		return NULL;
	}
	connection = connect_new(&pool->settings, error, error_size);
	redis_metrics_connected(connection != NULL);
	pthread_mutex_lock(&pool->lock);
	pool->retry_at =
	    connection == NULL ? monotonic_ms() + REDIS_RETRY_AFTER_MS : 0;
	pthread_mutex_unlock(&pool->lock);
	return connection;
}

void
redis_pool_give(struct redis_pool *pool, redisContext *connection, bool healthy)
{
	redisContext *stale[REDIS_POOL_IDLE_MAX];
	size_t stale_count = 0;

	if (connection == NULL)
		return;
	if (connection->err != 0)
		redis_metrics_connected(false);
	pthread_mutex_lock(&pool->lock);
	if (healthy && connection->err == 0 &&
	    pool->idle_count < REDIS_POOL_IDLE_MAX) {
		pool->idle[pool->idle_count++] = connection;
		connection = NULL;
	} else if (connection->err != 0) {
		/* Lost: the idle ones, to the same server, likely are too. */
		stale_count = pool->idle_count;
		memcpy(stale, pool->idle, stale_count * sizeof(*stale));
		pool->idle_count = 0;
	}
	pthread_mutex_unlock(&pool->lock);
	redisFree(connection);
	for (size_t i = 0; i < stale_count; i++)
		redisFree(stale[i]);
}

void
redis_pool_free(struct redis_pool *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->idle_count; i++)
		redisFree(pool->idle[i]);
	free(pool->settings.username);
	free(pool->settings.password);
	free(pool->settings.prefix);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
