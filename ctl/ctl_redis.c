/*
 * NAME
 *	ctl_redis - waypostctl's Redis connection, and a change as one
 *	transaction with its audit entry
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_fail(code, format, ...)
 *	int ctl_connect(ctl)
 *	void ctl_disconnect(ctl)
 *	void ctl_key(ctl, out, key, name)
 *	void ctl_key_pair(ctl, out, key, name, subject)
 *	int ctl_command(ctl, reply, count, words, lengths)
 *	int ctl_get_string(ctl, key, value, ttl_ms)
 *	int ctl_watch(ctl, key, type)
 *	int ctl_unchanged(ctl)
 *	int ctl_change_run(ctl, key, type, prepare, writes, context)
 *	void ctl_append(ctl, count, words, lengths)
 * DESCRIPTION
 *	ctl_fail() writes "waypostctl: " and the message on one line to
 *	stderr and returns code, so callers "return ctl_fail(...)".
 *
 *	ctl_connect() opens one blocking connection as [redis] says
 *	(lib/redis_pool.c: address, timeouts, AUTH, SELECT): EX_UNAVAILABLE
 *	when Redis cannot be reached. ctl_key() writes a key's name with
 *	the [redis] prefix (lib/redis_keys.c, never by hand), ctl_key_pair()
 *	that of a key of two parts (a suppression's). ctl_command()
 *	sends one command; a reply that is missing (timeout, connection
 *	lost) or an error is EX_TEMPFAIL. ctl_get_string() reads a string
 *	key and its time left (GET and PTTL in one round trip): *value a
 *	copy to free(), NULL when the key holds no string, *ttl_ms what
 *	PTTL said (-1: no expiry, -2: no key).
 *
 *	ctl_change_run() makes one change: it WATCHes key, refuses it
 *	(EX_DATAERR) when it holds another type than type, calls prepare
 *	to read the state before and fill the change, then sends MULTI,
 *	the commands writes queues with ctl_append(), the audit entry
 *	(ctl_audit.c) and EXEC. When the key changed meanwhile (EXEC
 *	answers nil) it starts again, CTL_WATCH_TRIES times. So the
 *	change and its audit entry are written together or not at all:
 *	a command that would fail inside EXEC (a key of the wrong type)
 *	is refused before MULTI, and one refused while queued makes Redis
 *	discard the whole transaction. A change of two keys WATCHes the
 *	second in prepare with ctl_watch(), which checks its type as well.
 *	A prepare that finds nothing to change (a lift of what is not
 *	suspended) returns ctl_unchanged(): the WATCH is let go, and
 *	CTL_NOTHING makes ctl_change_run() write nothing, no audit entry.
 * SECURITY
 *	Every key and value goes as a binary-safe argument. The password
 *	is never printed.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "redis_pool.h"
#include "xmalloc.h"

int
ctl_fail(int code, const char *format, ...)
{
	va_list ap;

	fputs("waypostctl: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int
ctl_connect(struct ctl *ctl)
{
	char error[CTL_ERROR_MAX];

	ctl->pool = redis_pool_new(ctl->redis);
	ctl->connection = redis_pool_take(ctl->pool, error, sizeof(error));
	if (ctl->connection == NULL)
		return ctl_fail(EX_UNAVAILABLE, "Redis: %s", error);
	return EX_OK;
}

void
ctl_disconnect(struct ctl *ctl)
{
	if (ctl->pool == NULL)
		return;
	redis_pool_give(ctl->pool, ctl->connection, false);
	redis_pool_free(ctl->pool);
	ctl->pool = NULL;
	ctl->connection = NULL;
}

void
ctl_key(const struct ctl *ctl, struct buffer *out, enum redis_key key,
    const char *name)
{
	buffer_reset(out);
	redis_key_append(out, ctl->redis->prefix, key, name, NULL);
}

void
ctl_key_pair(const struct ctl *ctl, struct buffer *out, enum redis_key key,
    const char *name, const char *subject)
{
	buffer_reset(out);
	redis_key_append(out, ctl->redis->prefix, key, name, subject);
}

/* EX_OK for a reply that is there and no error; else says why. */
static int
check_reply(struct ctl *ctl, const redisReply *reply, const char *command)
{
	if (reply == NULL)
		return ctl_fail(EX_TEMPFAIL, "Redis did not answer %s: %s",
		    command, ctl->connection->errstr);
	if (reply->type == REDIS_REPLY_ERROR)
		return ctl_fail(EX_TEMPFAIL, "Redis refused %s: %.200s",
		    command, reply->str);
	return EX_OK;
}

int
ctl_command(struct ctl *ctl, redisReply **reply, int count, const char **words,
    const size_t *lengths)
{
	int status;

	*reply = redisCommandArgv(ctl->connection, count, words, lengths);
	status = check_reply(ctl, *reply, words[0]);
	if (status != EX_OK) {
		freeReplyObject(*reply);
		*reply = NULL;
	}
	return status;
}

/* Redis' clock, in whole seconds: the keys that count by hour or day
 * (top's activity, warm-up days) are of its time, not ours. */
int
ctl_redis_time(struct ctl *ctl, long long *seconds)
{
	redisReply *reply;
	int status =
	    ctl_command(ctl, &reply, 1, (const char *[]){"TIME"}, NULL);

	if (status != EX_OK)
		return status;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING)
		status = ctl_fail(EX_TEMPFAIL, "Redis answered TIME strangely");
	else
		*seconds = strtoll(reply->element[0]->str, NULL, 10);
	freeReplyObject(reply);
	return status;
}

int
ctl_get_string(
    struct ctl *ctl, const char *key, char **value, long long *ttl_ms)
{
	const char *get[] = {"GET", key}, *pttl[] = {"PTTL", key};
	redisReply *replies[2] = {NULL, NULL};
	int status = EX_OK;

	*value = NULL;
	*ttl_ms = -2;
	redisAppendCommandArgv(ctl->connection, 2, get, NULL);
	redisAppendCommandArgv(ctl->connection, 2, pttl, NULL);
	for (int i = 0; i < 2; i++) {
		if (redisGetReply(ctl->connection, (void **)&replies[i]) !=
		    REDIS_OK)
			replies[i] = NULL;
		if (status == EX_OK)
			status =
			    check_reply(ctl, replies[i], i ? "PTTL" : "GET");
		if (replies[i] == NULL)
			break;
	}
	if (status == EX_OK) {
		if (replies[0]->type == REDIS_REPLY_STRING)
			*value = xstrdup(replies[0]->str);
		if (replies[1]->type == REDIS_REPLY_INTEGER)
			*ttl_ms = replies[1]->integer;
	}
	freeReplyObject(replies[0]);
	freeReplyObject(replies[1]);
	return status;
}

void
ctl_append(
    struct ctl *ctl, int count, const char **words, const size_t *lengths)
{
	redisAppendCommandArgv(ctl->connection, count, words, lengths);
	ctl->queued++;
}

/* key holds type, or nothing: EX_OK. */
static int
check_type(struct ctl *ctl, const char *key, const char *type)
{
	const char *words[] = {"TYPE", key};
	redisReply *reply;
	int status = ctl_command(ctl, &reply, 2, words, NULL);

	if (status != EX_OK)
		return status;
	if (reply->type != REDIS_REPLY_STATUS ||
	    (strcmp(reply->str, "none") != 0 && strcmp(reply->str, type) != 0))
		status = ctl_fail(EX_DATAERR,
		    "%.300s holds a %.20s, not a %s: left as it is", key,
		    reply->type == REDIS_REPLY_STATUS ? reply->str : "?", type);
	freeReplyObject(reply);
	return status;
}

int
ctl_unchanged(struct ctl *ctl)
{
	redisReply *reply;

	if (ctl_command(ctl, &reply, 1, (const char *[]){"UNWATCH"}, NULL) ==
	    EX_OK)
		freeReplyObject(reply);
	return CTL_NOTHING;
}

int
ctl_watch(struct ctl *ctl, const char *key, const char *type)
{
	const char *watch[] = {"WATCH", key};
	redisReply *reply;
	int status = ctl_command(ctl, &reply, 2, watch, NULL);

	freeReplyObject(reply);
	return status == EX_OK ? check_type(ctl, key, type) : status;
}

/* MULTI, the writes, the audit entry, EXEC; *done false when a watched
 * key changed and nothing was written. */
static int
commit(struct ctl *ctl, const struct ctl_change *change, ctl_writes writes,
    void *context, bool *done)
{
	int status = EX_OK;
	redisReply *reply = NULL;

	ctl->queued = 0;
	ctl_append(ctl, 1, (const char *[]){"MULTI"}, NULL);
	writes(ctl, context);
	ctl_audit_append(ctl, change);
	ctl_append(ctl, 1, (const char *[]){"EXEC"}, NULL);
	for (int i = 0; i < ctl->queued; i++) {
		freeReplyObject(reply);
		reply = NULL;
		if (redisGetReply(ctl->connection, (void **)&reply) !=
		        REDIS_OK ||
		    reply == NULL) {
			freeReplyObject(reply);
			return ctl_fail(EX_TEMPFAIL,
			    "Redis did not answer: %s (a transaction is "
			    "written whole or not at all: look before trying "
			    "again)",
			    ctl->connection->errstr);
		}
		if (reply->type == REDIS_REPLY_ERROR && status == EX_OK)
			status = ctl_fail(EX_TEMPFAIL,
			    "Redis refused the change, nothing written: "
			    "%.200s",
			    reply->str);
	}
	*done = reply->type != REDIS_REPLY_NIL;
	freeReplyObject(reply);
	return status;
}

int
ctl_change_run(struct ctl *ctl, const char *key, const char *type,
    ctl_prepare prepare, ctl_writes writes, void *context)
{
	struct buffer audit = {0};
	int status;

	ctl_key(ctl, &audit, REDIS_KEY_AUDIT, "");
	status = check_type(ctl, buffer_text(&audit), "stream");
	buffer_free(&audit);
	for (int tries = 0; status == EX_OK && tries < CTL_WATCH_TRIES;
	     tries++) {
		struct ctl_change change = {0};
		bool done = false;

		status = ctl_watch(ctl, key, type);
		if (status == EX_OK)
			status = prepare(ctl, context, &change);
		if (status == CTL_NOTHING)
			return EX_OK;
		if (status == EX_OK)
			status = commit(ctl, &change, writes, context, &done);
		if (status != EX_OK || done)
			return status;
	}
	if (status != EX_OK)
		return status;
	return ctl_fail(EX_TEMPFAIL,
	    "%.300s changed while this ran, %d times: nothing written", key,
	    CTL_WATCH_TRIES);
}
