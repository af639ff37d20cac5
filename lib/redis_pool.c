/*
 * NAME
 *	redis_pool - blocking Redis connections for threads, set up and reused
 * SYNOPSIS
 *	#include "redis_pool.h"
 *
 *	struct redis_pool *redis_pool_new(settings)
 *	void redis_pool_follow(pool)
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
 *	With [redis] sentinels, the pool connects to the master they name
 *	(sentinel_ask.c) and confirms it with ROLE. It asks them again at
 *	most REDIS_SENTINEL_ASK_MS after it last did, at once after a
 *	connection failed or was given back unhealthy (a READONLY reply,
 *	say): a failover moves its connections within that time of the
 *	sentinels' +switch-master. A master that works stays in use while
 *	no sentinel answers.
 *
 *	redis_pool_follow() makes a daemon's pool follow the sentinels as
 *	they speak: at its first take (after the daemon forked), the pool
 *	starts a thread (sentinel_thread.c) subscribed to +switch-master on
 *	every sentinel, and moves to a new master the moment one announces
 *	it: the idle connections are closed, and a connection in use when
 *	it moved is closed when it is given back. One log line per move.
 *	waypostctl, which asks a few questions and ends, does not follow.
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

#include "log.h"
#include "monotonic.h"
#include "redis_metrics.h"
#include "redis_pool.h"
#include "redis_settings.h"
#include "sentinel_ask.h"
#include "sentinel_reply.h"
#include "sentinel_thread.h"
#include "xmalloc.h"

struct redis_pool {
	pthread_mutex_t lock;
	struct redis_settings settings; /* our own copy */
	redisContext *idle[REDIS_POOL_IDLE_MAX];
	size_t idle_count;
	long long retry_at; /* monotonic milliseconds; 0: try now */
	/* With sentinels: the master the idle connections go to, and when
	 * to ask the sentinels again (0: at the next take). */
	struct socket_spec master;
	long long ask_at;
	bool follow;                    /* redis_pool_follow() */
	bool following;                 /* its thread was started, or tried */
	struct sentinel_thread *thread; /* NULL: none */
};

struct redis_pool *
redis_pool_new(const struct redis_settings *settings)
{
	struct redis_pool *pool = xcalloc(1, sizeof(*pool));

	pthread_mutex_init(&pool->lock, NULL);
	redis_settings_copy(&pool->settings, settings);
	pool->master = settings->address;
	return pool;
}

void
redis_pool_follow(struct redis_pool *pool)
{
	pool->follow = pool->settings.sentinels.count > 0;
}

/* Whether connection is to address. */
static bool
connected_to(const redisContext *connection, const struct socket_spec *address)
{
	if (connection->connection_type == REDIS_CONN_UNIX)
		return address->kind == SOCKET_UNIX &&
		       connection->unix_sock.path != NULL &&
		       strcmp(connection->unix_sock.path, address->path) == 0;
	return address->kind != SOCKET_UNIX && connection->tcp.host != NULL &&
	       strcmp(connection->tcp.host, address->host) == 0 &&
	       (unsigned)connection->tcp.port == address->port;
}

/* Close connections outside the lock. */
static void
close_all(redisContext **connections, size_t count)
{
	for (size_t i = 0; i < count; i++)
		redisFree(connections[i]);
}

/* The watch thread's news: a master announced, or found by its asking. */
static void
on_found(void *context, const struct socket_spec *master, const char *why)
{
	struct redis_pool *pool = context;
	redisContext *stale[REDIS_POOL_IDLE_MAX];
	size_t stale_count = 0;
	struct socket_spec was;
	bool moved;

	(void)why;
	if (master == NULL)
		return; /* no sentinel answered: a master that works stays */
	pthread_mutex_lock(&pool->lock);
	was = pool->master;
	moved = !sentinel_same_address(master, &was);
	if (moved) {
		pool->master = *master;
		memcpy(stale, pool->idle, pool->idle_count * sizeof(*stale));
		stale_count = pool->idle_count;
		pool->idle_count = 0;
		pool->retry_at = 0;
	}
	pool->ask_at = monotonic_ms() + REDIS_SENTINEL_ASK_MS;
	pthread_mutex_unlock(&pool->lock);
	if (!moved)
		return;
	close_all(stale, stale_count);
	if (was.host[0] == '\0' || was.port == 0)
		log_info("Redis master is %s:%u, as the sentinels say",
		    master->host, master->port);
	else
		log_info("Redis master is now %s:%u, as the sentinels say "
		         "(was %s:%u)",
		    master->host, master->port, was.host, was.port);
}

/* At the first take of a pool that follows: its thread. */
static void
start_following(struct redis_pool *pool)
{
	char error[256];
	bool start;

	pthread_mutex_lock(&pool->lock);
	start = pool->follow && !pool->following;
	pool->following = true;
	pthread_mutex_unlock(&pool->lock);
	if (!start)
		return;
	pool->thread = sentinel_thread_start(
	    &pool->settings, on_found, pool, error, sizeof(error));
	if (pool->thread == NULL)
		log_warning("not subscribed to the sentinels: %s; asking them "
		            "every %d ms",
		    error, REDIS_SENTINEL_ASK_MS);
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
connect_new(const struct redis_settings *settings,
    const struct socket_spec *address, char *error, size_t error_size)
{
	struct timeval timeout = timeval_of_ms(settings->connect_timeout);
	redisContext *connection =
	    address->kind == SOCKET_UNIX
	        ? redisConnectUnixWithTimeout(address->path, timeout)
	        : redisConnectWithTimeout(
	              address->host, (int)address->port, timeout);
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
	if (settings->sentinels.count > 0 &&
	    !sentinel_confirm_master(connection, error, error_size)) {
		redisFree(connection);
		return NULL;
	}
	return connection;
}

/* With sentinels, when it is time: ask them where the master is; if it
 * moved, the connections to the old one are closed (connection, taken,
 * is set to NULL). Where none answers, the connections stay: a master
 * that works is used while its sentinels are away. False, with error,
 * when there is no master to connect to. */
static bool
follow_master(struct redis_pool *pool, redisContext **connection,
    struct socket_spec *master, char *error, size_t error_size)
{
	redisContext *stale[REDIS_POOL_IDLE_MAX + 1];
	size_t stale_count = 0;
	struct socket_spec found;
	bool ask, answered;

	pthread_mutex_lock(&pool->lock);
	ask = monotonic_ms() >= pool->ask_at;
	*master = pool->master;
	pthread_mutex_unlock(&pool->lock);
	if (!ask)
		return true;
	answered =
	    sentinel_ask_master(&pool->settings, &found, error, error_size);
	pthread_mutex_lock(&pool->lock);
	pool->ask_at = monotonic_ms() + REDIS_SENTINEL_ASK_MS;
	if (answered && !sentinel_same_address(&found, &pool->master)) {
		pool->master = found;
		memcpy(stale, pool->idle, pool->idle_count * sizeof(*stale));
		stale_count = pool->idle_count;
		pool->idle_count = 0;
		if (*connection != NULL)
			stale[stale_count++] = *connection;
		*connection = NULL;
	}
	if (!answered && *connection == NULL)
		pool->ask_at = 0;
	*master = pool->master;
	pthread_mutex_unlock(&pool->lock);
	close_all(stale, stale_count);
	return answered || *connection != NULL;
}

redisContext *
redis_pool_take(struct redis_pool *pool, char *error, size_t error_size)
{
	redisContext *connection = NULL;
	struct socket_spec master;
	long long retry_at;

	if (pool->follow)
		start_following(pool);
	pthread_mutex_lock(&pool->lock);
	if (pool->idle_count > 0)
		connection = pool->idle[--pool->idle_count];
	retry_at = pool->retry_at;
	master = pool->master;
	pthread_mutex_unlock(&pool->lock);
	if (connection == NULL && retry_at != 0 && monotonic_ms() < retry_at) {
		snprintf(error, error_size,
		    "unreachable a moment ago; next attempt in at most %d ms",
		    REDIS_RETRY_AFTER_MS);
		return NULL;
	}
	if (pool->settings.sentinels.count > 0 &&
	    !follow_master(pool, &connection, &master, error, error_size)) {
		redis_metrics_connected(false);
		pthread_mutex_lock(&pool->lock);
		pool->retry_at = monotonic_ms() + REDIS_RETRY_AFTER_MS;
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	if (connection != NULL)
		return connection;
	connection = connect_new(&pool->settings, &master, error, error_size);
	redis_metrics_connected(connection != NULL);
	pthread_mutex_lock(&pool->lock);
	pool->retry_at =
	    connection == NULL ? monotonic_ms() + REDIS_RETRY_AFTER_MS : 0;
	if (connection == NULL)
		pool->ask_at = 0; /* where is the master now? */
	pthread_mutex_unlock(&pool->lock);
	return connection;
}

void
redis_pool_give(struct redis_pool *pool, redisContext *connection, bool healthy)
{
	redisContext *stale[REDIS_POOL_IDLE_MAX];
	size_t stale_count = 0;
	bool failed;

	if (connection == NULL)
		return;
	failed = !healthy || connection->err != 0;
	if (connection->err != 0)
		redis_metrics_connected(false);
	pthread_mutex_lock(&pool->lock);
	if (pool->settings.sentinels.count > 0 &&
	    !connected_to(connection, &pool->master))
		healthy = false; /* to a master since left: closed */
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
	if (failed)
		pool->ask_at = 0; /* a failover, perhaps: ask the sentinels */
	pthread_mutex_unlock(&pool->lock);
	redisFree(connection);
	close_all(stale, stale_count);
}

void
redis_pool_free(struct redis_pool *pool)
{
	if (pool == NULL)
		return;
	sentinel_thread_stop(pool->thread); /* no found() after this */
	close_all(pool->idle, pool->idle_count);
	redis_settings_free(&pool->settings);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
