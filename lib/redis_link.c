/*
 * NAME
 *	redis_link - a daemon's Redis connection, in its event loop
 * SYNOPSIS
 *	#include "redis_link.h"
 *
 *	struct redis_link *redis_link_new(base, settings, script)
 *	struct redis_link *redis_link_new_blocking(base, settings, block_ms)
 *	struct redis_call *redis_link_eval(link, text, lengths, count, done,
 *		context)
 *	struct redis_call *redis_link_command(link, text, lengths, count,
 *		done, context)
 *	void redis_link_free(link)
 * DESCRIPTION
 *	One hiredis asynchronous connection on the daemon's libevent loop
 *	(redis_events.c), shared by all its users (waypost-policyd's
 *	Postfix connections, waypost-hookd's endpoints): commands are
 *	pipelined on it, and Redis answers them in order. It connects as
 *	[redis] says: address, then AUTH (password, or username and
 *	password), SELECT database, and SCRIPT LOAD of script (PING when
 *	script is NULL: a link for plain commands only). Commands may be sent as soon as the connection is being
 *	made: hiredis sends them in order once it is up, and the script's
 *	SHA1 is computed here, so the first EVALSHA follows SCRIPT LOAD on
 *	the wire. A request that comes while Redis is still connecting
 *	waits for it (within timeout) rather than failing.
 *
 *	redis_link_command() sends the count words as one command, as they
 *	are; everything else is as for redis_link_eval().
 *
 *	redis_link_new_blocking() makes a second link of a daemon's, for
 *	commands that block up to block_ms in Redis (XREAD BLOCK): on a
 *	connection of their own, they hold back no other command. Its
 *	calls wait block_ms and REDIS_LINK_STUCK_MS longer than [redis]
 *	timeout (Redis ends a block on its clock's tick); they are not
 *	counted in redis_metrics.c, nor is its state (the daemon's own
 *	link says whether Redis is there), and it logs nothing of its
 *	connection, which the daemon's own link logs already.
 *
 *	redis_link_eval() runs the script: EVALSHA with count words (numkeys,
 *	keys, arguments), written one after the other in text, of lengths;
 *	the call takes text over (text is left empty), so the words are not
 *	copied again for the retry: when Redis answers NOSCRIPT (a SCRIPT FLUSH,
 *	a restarted or failed-over Redis), the same words again with EVAL,
 *	which also caches the script. done(context, reply, why) is called
 *	once: with the reply, or with NULL and why when there is no answer
 *	within timeout or the connection is lost. One late reply does not
 *	end the connection (the calls queued behind it would all fail with
 *	it); a Redis that has sent nothing for REDIS_LINK_STUCK_MS while
 *	calls wait is given up, and a new connection made. redis_link_eval()
 *	returns NULL at once while there is no connection (between a failure
 *	and the next attempt): the caller applies its fail mode without
 *	waiting.
 *
 *	The link is made once, at start, and keeps its own copy of the
 *	[redis] settings: a reload frees the configuration they came from
 *	(once no request uses it), and the link connects again with them
 *	after any failure.
 *
 *	A lost or refused connection is tried again after
 *	REDIS_LINK_RETRY_MIN_MS, doubling to REDIS_LINK_RETRY_MAX_MS, so
 *	decisions resume within a second of Redis coming back. Outages are
 *	logged at most once a second, and the return once. Every call's
 *	result and latency, and the connection's state (for /readyz), go to
 *	redis_metrics.c.
 * SECURITY
 *	Replies are read by hiredis within its own bounds; the password
 *	goes to the configured server only and is never logged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/async.h>
#include <openssl/evp.h>

#include "log.h"
#include "monotonic.h"
#include "redis_events.h"
#include "redis_link.h"
#include "redis_metrics.h"
#include "redis_settings.h"
#include "sentinel_reply.h"
#include "sentinel_watch.h"
#include "text_copy.h"
#include "xmalloc.h"

#define SHA_MAX             64
#define FUNCTION_NAME_MAX   (8 + FUNCTION_SHA_DIGITS)
#define FUNCTION_SHA_DIGITS 16
#define ASK_AFTER_ERROR_MS  100

enum functions { FUNCTIONS_UNKNOWN, FUNCTIONS_YES, FUNCTIONS_NO };

struct redis_link {
	struct event_base *base;
	struct redis_settings settings; /* our own copy */
	const char *script;
	redisAsyncContext *context;
	bool connected; /* the set-up answered on this connection */
	bool ever_connected;
	char sha[SHA_MAX + 1];
	char function[FUNCTION_NAME_MAX + 1]; /* the library's, too */
	char *library;                        /* FUNCTION LOAD's code */
	enum functions functions;             /* what Redis said */
	bool reloading;        /* FUNCTION LOAD sent again on this connection */
	bool confirming;       /* set up, the sentinels asked once more */
	char wait_timeout[24]; /* WAIT's argument: the timeout, in ms */
	struct sentinel_watch *watch; /* NULL: settings' address alone */
	struct socket_spec master;    /* where context goes */
	long long asked_ms;           /* sentinels, after an error reply */
	struct event *retry_timer;
	struct event *connect_timer;
	long retry_ms;
	time_t last_outage_log;
	long long last_heard_ms; /* when Redis last sent something */
	bool outage;             /* logged as down, not yet as back */
	bool aside; /* redis_link_new_blocking(): not counted, not logged */
};

struct redis_call {
	struct redis_link *link;
	redis_link_done done;
	void *context;
	struct event *timer;
	int in_flight;    /* callbacks hiredis holds for it */
	redisReply *held; /* the script's reply, until a replica has it */
	bool finished;
	bool tried_eval; /* EVAL, the script itself, after FCALL or EVALSHA */
	bool plain;      /* a command of its own, no script */
	double sent_ms;  /* monotonic, for the latency metric */
	int count;       /* words, EVALSHA and the SHA first */
	struct buffer text; /* the words after those two, one after another */
	const char **words; /* count pointers, then count lengths: */
	size_t *lengths;    /* one allocation */
};

static void link_connect(struct redis_link *link);

static void
log_outage(struct redis_link *link, const char *why)
{
	time_t now = time(NULL);

	if (!link->aside && now != link->last_outage_log) {
		link->last_outage_log = now;
		log_warning("Redis unavailable: %s", why);
	}
	link->outage = true;
}

static void
retry_later(struct redis_link *link, const char *why)
{
	struct timeval delay = timeval_of_ms(link->retry_ms);

	link->connected = false;
	link->context = NULL;
	if (!link->aside)
		redis_metrics_connected(false);
	if (link->connect_timer != NULL)
		evtimer_del(link->connect_timer);
	log_outage(link, why);
	evtimer_add(link->retry_timer, &delay);
	link->retry_ms = link->retry_ms * 2 > REDIS_LINK_RETRY_MAX_MS
	                     ? REDIS_LINK_RETRY_MAX_MS
	                     : link->retry_ms * 2;
}

static void
on_retry(evutil_socket_t fd, short what, void *argument)
{
	(void)fd;
	(void)what;
	link_connect(argument);
}

/* Give up a connection now (one that does not answer, or refused the
 * set-up): its calls end with no reply, and a new one is tried later.
 * hiredis frees it at once, or after the callback it is called from. */
static void
drop(struct redis_link *link, const char *why)
{
	redisAsyncContext *context = link->context;

	if (context == NULL)
		return;
	link->context = NULL;
	context->data = NULL;
	redisAsyncFree(context);
	retry_later(link, why);
}

static void
on_connect_timeout(evutil_socket_t fd, short what, void *argument)
{
	struct redis_link *link = argument;

	(void)fd;
	(void)what;
	if (!link->connected)
		drop(link, "connect timeout");
}

static void
on_connect(const redisAsyncContext *context, int status)
{
	struct redis_link *link = context->data;

	if (link == NULL || status == REDIS_OK)
		return;
	retry_later(link, context->errstr);
}

static void
on_disconnect(const redisAsyncContext *context, int status)
{
	struct redis_link *link = context->data;

	(void)status;
	if (link == NULL || link->context != context)
		return;
	retry_later(link, context->err ? context->errstr : "disconnected");
}

/* AUTH, SELECT: an error ends this connection. */
static void
on_setup_reply(redisAsyncContext *context, void *r, void *privdata)
{
	redisReply *reply = r;
	struct redis_link *link = context->data;
	char why[256];

	(void)privdata;
	if (link == NULL || reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return;
	/* Logged with the outage, at most once a second: a wrong password
	 * is tried again every REDIS_LINK_RETRY_MAX_MS. */
	snprintf(why, sizeof(why), "set-up refused: %.200s", reply->str);
	drop(link, why);
}

/* With sentinels: the server must say it is the master. */
static void
on_role(redisAsyncContext *context, void *r, void *privdata)
{
	struct redis_link *link = context->data;
	char why[SOCKET_SPEC_TEXT_MAX + 64];

	(void)privdata;
	if (link == NULL || r == NULL || sentinel_role_is_master(r))
		return;
	socket_spec_format_address(&link->master, why, sizeof(why));
	text_copy(why + strlen(why), sizeof(why) - strlen(why),
	    " is not the master (ROLE)");
	drop(link, why);
}

static void
ready(struct redis_link *link)
{
	/* With sentinels, the set-up ends with one more round of questions
	 * (on_master()): the server said "master" to ROLE, but an old
	 * master resumed after a failover says so too, until the sentinels
	 * demote it, and takes writes that are then lost. */
	if (link->watch != NULL && !link->confirming) {
		link->confirming = true;
		sentinel_watch_ask(link->watch);
		return;
	}
	link->confirming = false;
	link->connected = true;
	if (!link->aside)
		redis_metrics_connected(true);
	link->retry_ms = REDIS_LINK_RETRY_MIN_MS;
	evtimer_del(link->connect_timer);
	if (link->aside)
		; /* the daemon's own link says it */
	else if (!link->ever_connected)
		log_info("Redis connected");
	else if (link->outage)
		log_info("Redis available again");
	link->ever_connected = true;
	link->outage = false;
}

/* SCRIPT LOAD (or PING, for a link without a script): the last of the
 * set-up. */
static void
on_script_loaded(redisAsyncContext *context, void *r, void *privdata)
{
	redisReply *reply = r;
	struct redis_link *link = context->data;
	char why[256];

	(void)privdata;
	if (link == NULL || reply == NULL)
		return;
	if (link->script == NULL
	        ? reply->type != REDIS_REPLY_STATUS
	        : reply->type != REDIS_REPLY_STRING ||
	              strncmp(reply->str, link->sha, reply->len) != 0 ||
	              reply->len != strlen(link->sha)) {
		snprintf(why, sizeof(why), "SCRIPT LOAD failed: %.200s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str
		                                     : "unexpected reply");
		drop(link, why);
		return;
	}
	ready(link);
}

static void
load_script(struct redis_link *link)
{
	redisAsyncCommandArgv(link->context, on_script_loaded, NULL, 3,
	    (const char *[]){"SCRIPT", "LOAD", link->script}, NULL);
}

static bool
unknown_command(const redisReply *reply)
{
	return reply->type == REDIS_REPLY_ERROR &&
	       strstr(reply->str, "unknown command") != NULL;
}

/* FUNCTION LOAD REPLACE of the library. A Redis without Functions
 * (before 7.0) gets SCRIPT LOAD instead, and EVALSHA from then on. A
 * refusal (NOREPLICAS on a master whose replicas are away, OOM) does not
 * end the connection: the calls go out with FCALL, and EVAL when Redis
 * has no such function yet. */
static void
on_function_loaded(redisAsyncContext *context, void *r, void *privdata)
{
	redisReply *reply = r;
	struct redis_link *link = context->data;

	(void)privdata;
	if (link == NULL || reply == NULL)
		return;
	if (unknown_command(reply)) {
		link->functions = FUNCTIONS_NO;
		log_info("Redis has no Functions: the script goes by EVALSHA");
		load_script(link);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR)
		log_warning("FUNCTION LOAD refused: %.200s; EVAL until it is "
		            "loaded",
		    reply->str);
	else
		link->functions = FUNCTIONS_YES;
	if (privdata == NULL && !link->connected)
		ready(link);
}

static void
load_function(struct redis_link *link, void *again)
{
	redisAsyncCommandArgv(link->context, on_function_loaded, again, 4,
	    (const char *[]){"FUNCTION", "LOAD", "REPLACE", link->library},
	    NULL);
}

/* A connection to master, set up: AUTH, SELECT, ROLE with sentinels, and
 * the script. Commands may follow at once: hiredis sends them in order
 * once the connection is up. */
static void
connect_to(struct redis_link *link, const struct socket_spec *master)
{
	const struct redis_settings *s = &link->settings;
	redisAsyncContext *context =
	    master->kind == SOCKET_UNIX
	        ? redisAsyncConnectUnix(master->path)
	        : redisAsyncConnect(master->host, (int)master->port);
	struct timeval timeout = timeval_of_ms(s->connect_timeout);
	char database[24];

	link->master = *master;
	if (context == NULL || context->err) {
		char why[128];

		text_copy(why, sizeof(why),
		    context ? context->errstr : "out of memory");
		if (context != NULL)
			redisAsyncFree(context);
		retry_later(link, why);
		return;
	}
	context->data = link;
	link->context = context;
	link->reloading = false;
	link->confirming = false;
	link->last_heard_ms = monotonic_ms();
	redis_events_attach(context, link->base);
	redisAsyncSetConnectCallback(context, on_connect);
	redisAsyncSetDisconnectCallback(context, on_disconnect);
	evtimer_add(link->connect_timer, &timeout);
	if (s->password != NULL && s->username != NULL)
		redisAsyncCommandArgv(context, on_setup_reply, NULL, 3,
		    (const char *[]){"AUTH", s->username, s->password}, NULL);
	else if (s->password != NULL)
		redisAsyncCommandArgv(context, on_setup_reply, NULL, 2,
		    (const char *[]){"AUTH", s->password}, NULL);
	if (s->database != 0) {
		snprintf(database, sizeof(database), "%lld", s->database);
		redisAsyncCommandArgv(context, on_setup_reply, NULL, 2,
		    (const char *[]){"SELECT", database}, NULL);
	}
	if (link->watch != NULL)
		redisAsyncCommandArgv(
		    context, on_role, NULL, 1, (const char *[]){"ROLE"}, NULL);
	if (link->script == NULL)
		redisAsyncCommandArgv(context, on_script_loaded, NULL, 1,
		    (const char *[]){"PING"}, NULL);
	else if (link->functions == FUNCTIONS_NO)
		load_script(link);
	else
		load_function(link, NULL);
}

/* Where the master is, from the sentinels (sentinel_watch.c): at start,
 * after a failure, on +switch-master and every REDIS_SENTINEL_ASK_MS. A
 * master that moved takes the link along: the calls in flight on the
 * old one end with no reply (their fail mode), the next go to the new. */
static void
on_master(void *context, const struct socket_spec *master, const char *why)
{
	struct redis_link *link = context;
	char from[SOCKET_SPEC_TEXT_MAX + 1], to[SOCKET_SPEC_TEXT_MAX + 1];

	if (master == NULL) {
		/* Sentinels away, master working: keep it. */
		if (link->confirming && link->context != NULL)
			ready(link);
		else if (link->context == NULL &&
		         !evtimer_pending(link->retry_timer, NULL))
			retry_later(link, why);
		return;
	}
	if (link->context != NULL &&
	    sentinel_same_address(master, &link->master)) {
		if (link->confirming)
			ready(link);
		return;
	}
	link->confirming = false;
	if (link->context != NULL) {
		socket_spec_format_address(&link->master, from, sizeof(from));
		socket_spec_format_address(master, to, sizeof(to));
		if (!link->aside)
			log_info("Redis master moved from %s to %s", from, to);
		link->context->data = NULL;
		redisAsyncFree(link->context);
		link->context = NULL;
		link->connected = false;
		if (!link->aside)
			redis_metrics_connected(false);
	}
	evtimer_del(link->retry_timer);
	connect_to(link, master);
}

static void
link_connect(struct redis_link *link)
{
	if (link->watch != NULL)
		sentinel_watch_ask(link->watch);
	else
		connect_to(link, &link->settings.address);
}

/* SHA1 of the script in hex, as Redis names it for EVALSHA. */
static void
script_sha(const char *script, char sha[SHA_MAX + 1])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned length = 0;

	if (EVP_Digest(
	        script, strlen(script), digest, &length, EVP_sha1(), NULL) != 1)
		log_fatal("cannot compute SHA1 of the script");
	for (unsigned i = 0; i < length && 2 * i + 2 <= SHA_MAX; i++)
		snprintf(sha + 2 * i, 3, "%02x", digest[i]);
}

/* The script as a library of one function, both named for its SHA1: a
 * relay of another version loads its own beside it. KEYS and ARGV are
 * the function's arguments, so the script runs as it is. */
static void
make_library(struct redis_link *link)
{
	struct buffer code = {0};

	snprintf(link->function, sizeof(link->function), "waypost_%.*s",
	    FUNCTION_SHA_DIGITS, link->sha);
	buffer_printf(&code,
	    "#!lua name=%s\n"
	    "redis.register_function('%s', function(KEYS, ARGV)\n",
	    link->function, link->function);
	buffer_append_text(&code, link->script);
	buffer_append_text(&code, "\nend)\n");
	link->library = xstrdup(code.data);
	buffer_free(&code);
}

static struct redis_link *
link_new(struct event_base *base, const struct redis_settings *settings,
    const char *script, bool aside)
{
	struct redis_link *link = xcalloc(1, sizeof(*link));

	link->base = base;
	link->aside = aside;
	/* Copied: a reload frees the configuration they come from, and the
	 * link connects again with them long after. */
	redis_settings_copy(&link->settings, settings);
	link->script = script;
	link->retry_ms = REDIS_LINK_RETRY_MIN_MS;
	if (script != NULL) {
		script_sha(script, link->sha);
		make_library(link);
	}
	link->retry_timer = evtimer_new(base, on_retry, link);
	link->connect_timer = evtimer_new(base, on_connect_timeout, link);
	snprintf(link->wait_timeout, sizeof(link->wait_timeout), "%lld",
	    (long long)link->settings.timeout);
	if (link->settings.sentinels.count > 0)
		link->watch =
		    sentinel_watch_new(base, &link->settings, on_master, link);
	if (!aside)
		redis_metrics_connected(false); /* not ready until it is */
	link_connect(link);
	return link;
}

struct redis_link *
redis_link_new(struct event_base *base, const struct redis_settings *settings,
    const char *script)
{
	return link_new(base, settings, script, false);
}

struct redis_link *
redis_link_new_blocking(struct event_base *base,
    const struct redis_settings *settings, long long block_ms)
{
	struct redis_link *link = link_new(base, settings, NULL, true);

	/* Redis ends a block on its clock's tick (1 / hz: 100 ms by
	 * default, a second at hz 1), so its answer may come that late. */
	link->settings.timeout += block_ms + REDIS_LINK_STUCK_MS;
	return link;
}

static void
call_free(struct redis_call *call)
{
	if (call->held != NULL)
		freeReplyObject(call->held);
	buffer_free(&call->text);
	free(call->words);
	event_free(call->timer);
	free(call);
}

/* why is "no reply within timeout" from on_call_timeout() alone. */
static void
count_result(
    const struct redis_call *call, const redisReply *reply, const char *why)
{
	enum redis_result result = REDIS_RESULT_LOST;

	if (call->link->aside)
		return;
	if (reply != NULL)
		result = reply->type == REDIS_REPLY_ERROR ? REDIS_RESULT_ERROR
		                                          : REDIS_RESULT_OK;
	else if (why != NULL && strstr(why, "timeout") != NULL)
		result = REDIS_RESULT_TIMEOUT;
	redis_metrics_command(
	    result, (monotonic_ms_exact() - call->sent_ms) / 1000.0);
}

static void
finish(struct redis_call *call, const redisReply *reply, const char *why)
{
	count_result(call, reply, why);
	call->finished = true;
	evtimer_del(call->timer);
	if (call->done != NULL)
		call->done(call->context, reply, why);
	if (call->in_flight == 0)
		call_free(call);
}

/* A copy of reply that outlives the callback, or NULL (too deep, or out
 * of memory): replies of the scripts are a few levels at most. */
static redisReply *
reply_copy(const redisReply *reply, int depth)
{
	redisReply *copy;

	if (depth > 8 || (copy = calloc(1, sizeof(*copy))) == NULL)
		return NULL;
	copy->type = reply->type;
	copy->integer = reply->integer;
	if (reply->str != NULL) {
		copy->len = reply->len;
		if ((copy->str = malloc(reply->len + 1)) == NULL) {
			freeReplyObject(copy);
			return NULL;
		}
		memcpy(copy->str, reply->str, reply->len + 1);
	}
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
		copy->element = calloc(reply->elements, sizeof(*copy->element));
		if (copy->element == NULL) {
			freeReplyObject(copy);
			return NULL;
		}
		copy->elements = reply->elements;
		for (size_t i = 0; i < reply->elements; i++)
			if ((copy->element[i] = reply_copy(
			         reply->element[i], depth + 1)) == NULL) {
				freeReplyObject(copy);
				return NULL;
			}
	}
	return copy;
}

static bool send_call(struct redis_call *call);

/* The errors after which the script is sent itself, once: the script
 * or the function is not loaded on this server (a restart, a failover
 * to a server without it, SCRIPT or FUNCTION FLUSH), or the server has
 * no Functions. */
static bool
script_missing(struct redis_link *link, const redisReply *reply)
{
	if (strncmp(reply->str, "NOSCRIPT", 8) == 0)
		return true;
	if (unknown_command(reply)) {
		link->functions = FUNCTIONS_NO;
		return true;
	}
	if (strstr(reply->str, "Function not found") == NULL)
		return false;
	if (!link->reloading && link->context != NULL) {
		link->reloading = true;
		load_function(link, link);
	}
	return true;
}

/* With sentinels, the replies that say the master is elsewhere, or not
 * a master now: READONLY ends the connection (a replica: ask where the
 * master is); NOREPLICAS, LOADING and MASTERDOWN ask the sentinels, at
 * most every ASK_AFTER_ERROR_MS, and keep it if it is still the one. */
static void
follow_errors(struct redis_link *link, const redisReply *reply)
{
	static const char *const moved[] = {
	    "NOREPLICAS", "LOADING", "MASTERDOWN", NULL};
	long long now;

	if (link->watch == NULL || reply == NULL ||
	    reply->type != REDIS_REPLY_ERROR)
		return;
	if (strncmp(reply->str, "READONLY", 8) == 0) {
		drop(link, "READONLY: the server is a replica now");
		return;
	}
	for (size_t i = 0; moved[i] != NULL; i++)
		if (strncmp(reply->str, moved[i], strlen(moved[i])) == 0) {
			now = monotonic_ms();
			if (now - link->asked_ms >= ASK_AFTER_ERROR_MS) {
				link->asked_ms = now;
				sentinel_watch_ask(link->watch);
			}
			return;
		}
}

static void
on_reply(redisAsyncContext *context, void *r, void *privdata)
{
	struct redis_call *call = privdata;
	struct redis_link *link = call->link;
	redisReply *reply = r;

	call->in_flight--;
	if (reply != NULL && context->data != NULL)
		link->last_heard_ms = monotonic_ms();
	if (call->finished) {
		if (call->in_flight == 0)
			call_free(call);
		return;
	}
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && !call->plain &&
	    !call->tried_eval && context->data != NULL &&
	    script_missing(link, reply)) {
		call->tried_eval = true;
		if (send_call(call))
			return;
	}
	/* With sentinels, the WAIT sent after the script says when a
	 * replica has what it wrote (on_wait). */
	if (reply != NULL && reply->type != REDIS_REPLY_ERROR && !call->plain &&
	    link->watch != NULL) {
		if ((call->held = reply_copy(reply, 0)) != NULL)
			return;
		finish(call, NULL, "out of memory");
		return;
	}
	finish(call, reply, reply == NULL ? "connection lost" : NULL);
	if (context->data != NULL && link->context == context)
		follow_errors(link, reply);
}

/* WAIT 1: the script's reply is given once a replica has its writes,
 * so that a failover to that replica keeps every charge acknowledged.
 * A WAIT after a script that failed, or that was sent again as EVAL,
 * finds nothing held: the next one decides. */
static void
on_wait(redisAsyncContext *context, void *r, void *privdata)
{
	struct redis_call *call = privdata;
	redisReply *reply = r, *held = call->held;

	(void)context;
	call->in_flight--;
	if (call->finished || held == NULL) {
		if (call->finished && call->in_flight == 0)
			call_free(call);
		return;
	}
	call->held = NULL;
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer >= 1)
		finish(call, held, NULL);
	else
		finish(call, NULL,
		    reply == NULL
		        ? "connection lost"
		        : "no replica acknowledged the writes in time");
	freeReplyObject(held);
}

static void
on_call_timeout(evutil_socket_t fd, short what, void *argument)
{
	struct redis_call *call = argument;
	struct redis_link *link = call->link;

	(void)fd;
	(void)what;
	finish(call, NULL, "no reply within timeout");
	if (link->context != NULL &&
	    monotonic_ms() - link->last_heard_ms >= REDIS_LINK_STUCK_MS)
		drop(link, "no reply for a second");
}

/* FCALL function words..., or EVALSHA sha words... on a Redis without
 * Functions; EVAL script words... when the server had neither loaded. */
static bool
send_call(struct redis_call *call)
{
	struct redis_link *link = call->link;

	if (link->context == NULL)
		return false;
	if (call->plain) {
		if (redisAsyncCommandArgv(link->context, on_reply, call,
		        call->count - 2, call->words + 2,
		        call->lengths + 2) != REDIS_OK)
			return false;
		call->in_flight++;
		return true;
	}
	if (call->tried_eval) {
		call->words[0] = "EVAL";
		call->words[1] = link->script;
	} else if (link->functions != FUNCTIONS_NO) {
		call->words[0] = "FCALL";
		call->words[1] = link->function;
	} else {
		call->words[0] = "EVALSHA";
		call->words[1] = link->sha;
	}
	call->lengths[0] = strlen(call->words[0]);
	call->lengths[1] = strlen(call->words[1]);
	if (redisAsyncCommandArgv(link->context, on_reply, call, call->count,
	        call->words, call->lengths) != REDIS_OK)
		return false;
	call->in_flight++;
	if (link->watch != NULL) {
		if (redisAsyncCommandArgv(link->context, on_wait, call, 3,
		        (const char *[]){"WAIT", "1", link->wait_timeout},
		        NULL) != REDIS_OK)
			return true; /* the call's timer then ends it */
		call->in_flight++;
	}
	return true;
}

static struct redis_call *
start_call(struct redis_link *link, bool plain, struct buffer *text,
    const size_t *lengths, int count, redis_link_done done, void *context)
{
	struct redis_call *call;
	struct timeval timeout = timeval_of_ms(link->settings.timeout);
	size_t at = 0;

	/* With sentinels, no call before the master is confirmed (ready()). */
	if (link->context == NULL ||
	    (link->watch != NULL && !link->connected)) {
		if (!link->aside)
			redis_metrics_command(REDIS_RESULT_UNAVAILABLE, 0);
		return NULL;
	}
	call = xcalloc(1, sizeof(*call));
	call->sent_ms = monotonic_ms_exact();
	call->link = link;
	call->plain = plain;
	call->done = done;
	call->context = context;
	call->count = count + 2;
	call->text = *text;
	memset(text, 0, sizeof(*text));
	call->words = xmalloc((size_t)call->count *
	                      (sizeof(*call->words) + sizeof(*call->lengths)));
	call->lengths = (size_t *)(call->words + call->count);
	for (int i = 0; i < count; i++) {
		call->words[i + 2] = call->text.data + at;
		call->lengths[i + 2] = lengths[i];
		at += lengths[i];
	}
	call->timer = evtimer_new(link->base, on_call_timeout, call);
	if (!send_call(call)) {
		if (!link->aside)
			redis_metrics_command(REDIS_RESULT_UNAVAILABLE, 0);
		call_free(call);
		return NULL;
	}
	evtimer_add(call->timer, &timeout);
	return call;
}

struct redis_call *
redis_link_eval(struct redis_link *link, struct buffer *text,
    const size_t *lengths, int count, redis_link_done done, void *context)
{
	return start_call(link, false, text, lengths, count, done, context);
}

struct redis_call *
redis_link_command(struct redis_link *link, struct buffer *text,
    const size_t *lengths, int count, redis_link_done done, void *context)
{
	return start_call(link, true, text, lengths, count, done, context);
}

void
redis_link_free(struct redis_link *link)
{
	if (link == NULL)
		return;
	sentinel_watch_free(link->watch);
	if (link->context != NULL) {
		link->context->data = NULL;
		redisAsyncFree(link->context);
	}
	event_free(link->retry_timer);
	event_free(link->connect_timer);
	redis_settings_free(&link->settings);
	free(link->library);
	free(link);
}
