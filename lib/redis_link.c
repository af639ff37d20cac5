/*
 * NAME
 *	redis_link - a daemon's Redis connection, in its event loop
 * SYNOPSIS
 *	#include "redis_link.h"
 *
 *	struct redis_link *redis_link_new(base, settings, script)
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
#include "text_copy.h"
#include "xmalloc.h"

#define SHA_MAX 64

struct redis_link {
	struct event_base *base;
	struct redis_settings settings; /* strings: our own copies */
	const char *script;
	redisAsyncContext *context;
	bool connected; /* SCRIPT LOAD answered on this connection */
	bool ever_connected;
	char sha[SHA_MAX + 1];
	struct event *retry_timer;
	struct event *connect_timer;
	long retry_ms;
	time_t last_outage_log;
	long long last_heard_ms; /* when Redis last sent something */
	bool outage;             /* logged as down, not yet as back */
};

struct redis_call {
	struct redis_link *link;
	redis_link_done done;
	void *context;
	struct event *timer;
	bool in_flight; /* hiredis holds a callback for it */
	bool finished;
	bool tried_eval;
	bool plain;         /* a command of its own, no script */
	double sent_ms;     /* monotonic, for the latency metric */
	int count;          /* words, EVALSHA and the SHA first */
	struct buffer text; /* the words after those two, one after another */
	const char **words; /* count pointers, then count lengths: */
	size_t *lengths;    /* one allocation */
};

static void link_connect(struct redis_link *link);

static void
log_outage(struct redis_link *link, const char *why)
{
	time_t now = time(NULL);

	if (now != link->last_outage_log) {
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
	link->connected = true;
	redis_metrics_connected(true);
	link->retry_ms = REDIS_LINK_RETRY_MIN_MS;
	evtimer_del(link->connect_timer);
	if (!link->ever_connected)
		log_info("Redis connected");
	else if (link->outage)
		log_info("Redis available again");
	link->ever_connected = true;
	link->outage = false;
}

static void
link_connect(struct redis_link *link)
{
	const struct redis_settings *s = &link->settings;
	redisAsyncContext *context =
	    s->address.kind == SOCKET_UNIX
	        ? redisAsyncConnectUnix(s->address.path)
	        : redisAsyncConnect(s->address.host, (int)s->address.port);
	struct timeval timeout = timeval_of_ms(s->connect_timeout);
	char database[24];

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
	if (link->script == NULL)
		redisAsyncCommandArgv(context, on_script_loaded, NULL, 1,
		    (const char *[]){"PING"}, NULL);
	else
		redisAsyncCommandArgv(context, on_script_loaded, NULL, 3,
		    (const char *[]){"SCRIPT", "LOAD", link->script}, NULL);
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

static char *
copy(const char *text)
{
	return text != NULL ? xstrdup(text) : NULL;
}

struct redis_link *
redis_link_new(struct event_base *base, const struct redis_settings *settings,
    const char *script)
{
	struct redis_link *link = xcalloc(1, sizeof(*link));

	link->base = base;
	/* Copied: a reload frees the configuration they come from, and the
	 * link connects again with them long after. */
	link->settings = *settings;
	link->settings.username = copy(settings->username);
	link->settings.password = copy(settings->password);
	link->settings.prefix = copy(settings->prefix);
	link->script = script;
	link->retry_ms = REDIS_LINK_RETRY_MIN_MS;
	if (script != NULL)
		script_sha(script, link->sha);
	link->retry_timer = evtimer_new(base, on_retry, link);
	link->connect_timer = evtimer_new(base, on_connect_timeout, link);
	redis_metrics_connected(false); /* not ready until it is */
	link_connect(link);
	return link;
}

static void
call_free(struct redis_call *call)
{
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
	if (!call->in_flight)
		call_free(call);
}

static bool send_call(struct redis_call *call);

static void
on_reply(redisAsyncContext *context, void *r, void *privdata)
{
	struct redis_call *call = privdata;
	redisReply *reply = r;

	(void)context;
	call->in_flight = false;
	if (reply != NULL)
		call->link->last_heard_ms = monotonic_ms();
	if (call->finished) {
		call_free(call);
		return;
	}
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && !call->plain &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0 && !call->tried_eval) {
		call->tried_eval = true;
		if (send_call(call))
			return;
	}
	finish(call, reply, reply == NULL ? "connection lost" : NULL);
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

/* EVALSHA sha words..., or EVAL script words... after NOSCRIPT. */
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
		call->in_flight = true;
		return true;
	}
	call->words[0] = call->tried_eval ? "EVAL" : "EVALSHA";
	call->words[1] = call->tried_eval ? link->script : link->sha;
	call->lengths[0] = strlen(call->words[0]);
	call->lengths[1] = strlen(call->words[1]);
	if (redisAsyncCommandArgv(link->context, on_reply, call, call->count,
	        call->words, call->lengths) != REDIS_OK)
		return false;
	call->in_flight = true;
	return true;
}

static struct redis_call *
start_call(struct redis_link *link, bool plain, struct buffer *text,
    const size_t *lengths, int count, redis_link_done done, void *context)
{
	struct redis_call *call;
	struct timeval timeout = timeval_of_ms(link->settings.timeout);
	size_t at = 0;

	if (link->context == NULL) {
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
	if (link->context != NULL) {
		link->context->data = NULL;
		redisAsyncFree(link->context);
	}
	event_free(link->retry_timer);
	event_free(link->connect_timer);
	free(link->settings.username);
	free(link->settings.password);
	free(link->settings.prefix);
	free(link);
}
