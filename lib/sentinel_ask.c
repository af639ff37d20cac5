/*
 * NAME
 *	sentinel_ask - the master's address from the sentinels, blocking
 * SYNOPSIS
 *	#include "sentinel_ask.h"
 *
 *	bool sentinel_ask_master(settings, master, error, error_size)
 *	bool sentinel_confirm_master(connection, error, error_size)
 * DESCRIPTION
 *	Master discovery as the Sentinel client specification gives it,
 *	for the clients that wait for Redis (redis_pool.c: waypost-headers'
 *	identities, waypost-trackd, waypostctl); sentinel_watch.c does the
 *	same on an event loop.
 *
 *	sentinel_ask_master() asks each of [redis] sentinels in turn
 *	(connecting within connect_timeout, each reply within timeout,
 *	AUTH with sentinel_password when set) SENTINEL
 *	get-master-addr-by-name master_name and SENTINEL MASTER
 *	master_name, and returns the address of the highest config-epoch:
 *	during a failover the sentinels that have not yet heard of it name
 *	the old master under the old epoch (sentinel_watch.c says more).
 *	False, with every sentinel's reason in error, when none answers.
 *
 *	sentinel_confirm_master() asks ROLE on a connection just made to
 *	that address: true when the server says it is the master. A
 *	sentinel's view lags a failover by a moment; a client confirms
 *	before it writes, and asks again when the answer is no.
 * SECURITY
 *	The sentinel password goes to the configured sentinels only and is
 *	never logged. Replies are read by sentinel_reply.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "monotonic.h"
#include "redis_settings.h"
#include "sentinel_ask.h"
#include "sentinel_reply.h"

/* One sentinel's answer and its config-epoch; false with why. */
static bool
ask_one(const struct redis_settings *settings, const struct socket_spec *at,
    struct socket_spec *master, long long *epoch, char *why, size_t why_size)
{
	struct socket_spec listed;
	redisContext *connection = redisConnectWithTimeout(
	    at->host, (int)at->port, timeval_of_ms(settings->connect_timeout));
	redisReply *reply = NULL;
	bool found = false;

	if (connection == NULL || connection->err) {
		snprintf(why, why_size, "%s",
		    connection != NULL ? connection->errstr : "out of memory");
		redisFree(connection);
		return false;
	}
	redisSetTimeout(connection, timeval_of_ms(settings->timeout));
	if (settings->sentinel_password != NULL) {
		reply = redisCommandArgv(connection, 2,
		    (const char *[]){"AUTH", settings->sentinel_password},
		    NULL);
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
			snprintf(why, why_size, "AUTH: %.200s",
			    reply != NULL ? reply->str : connection->errstr);
			freeReplyObject(reply);
			redisFree(connection);
			return false;
		}
		freeReplyObject(reply);
	}
	reply = redisCommandArgv(connection, 3,
	    (const char *[]){
	        "SENTINEL", "get-master-addr-by-name", settings->master_name},
	    NULL);
	if (reply == NULL)
		snprintf(why, why_size, "%s", connection->errstr);
	else
		found = sentinel_reply_master(reply, master, why, why_size);
	freeReplyObject(reply);
	if (found) {
		reply = redisCommandArgv(connection, 3,
		    (const char *[]){
		        "SENTINEL", "MASTER", settings->master_name},
		    NULL);
		if (reply == NULL) {
			snprintf(why, why_size, "%s", connection->errstr);
			found = false;
		} else
			found = sentinel_reply_master_state(
			    reply, &listed, epoch, why, why_size);
		freeReplyObject(reply);
	}
	redisFree(connection);
	return found;
}

bool
sentinel_ask_master(const struct redis_settings *settings,
    struct socket_spec *master, char *error, size_t error_size)
{
	struct socket_spec at, answer;
	long long epoch, best = -1;
	size_t used = 0;

	snprintf(error, error_size,
	    "no sentinel knows master %s:", settings->master_name);
	for (size_t i = 0; redis_settings_sentinel(settings, i, &at); i++) {
		char why[256];

		if (ask_one(settings, &at, &answer, &epoch, why, sizeof(why))) {
			if (epoch > best) {
				*master = answer;
				best = epoch;
			}
			continue;
		}
		used = strlen(error);
		if (used < error_size)
			snprintf(error + used, error_size - used, " %s: %s;",
			    settings->sentinels.items[i], why);
	}
	return best >= 0;
}

bool
sentinel_confirm_master(
    redisContext *connection, char *error, size_t error_size)
{
	redisReply *reply =
	    redisCommandArgv(connection, 1, (const char *[]){"ROLE"}, NULL);
	bool master = sentinel_role_is_master(reply);

	if (!master)
		snprintf(error, error_size, "ROLE: %.200s",
		    reply == NULL                      ? connection->errstr
		    : reply->type == REDIS_REPLY_ERROR ? reply->str
		                                       : "not the master");
	freeReplyObject(reply);
	return master;
}
