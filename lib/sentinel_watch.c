/*
 * NAME
 *	sentinel_watch - where the master is, from the sentinels, on a loop
 * SYNOPSIS
 *	#include "sentinel_watch.h"
 *
 *	struct sentinel_watch *sentinel_watch_new(base, settings, found,
 *		context)
 *	void sentinel_watch_ask(watch)
 *	void sentinel_watch_free(watch)
 * DESCRIPTION
 *	Master discovery as the Sentinel client specification gives it,
 *	for a client on a libevent loop (redis_link.c: waypost-policyd,
 *	waypost-hookd); nothing here blocks the loop.
 *
 *	sentinel_watch_ask() asks every sentinel of settings in turn,
 *	starting with the one whose answer was taken last: SENTINEL
 *	get-master-addr-by-name master_name for the address, then SENTINEL
 *	MASTER master_name for its configuration epoch (AUTH
 *	sentinel_password first when set), each sentinel within
 *	connect_timeout plus timeout. The answer of the highest epoch ends
 *	the round: found(context, master, NULL). When none gives one,
 *	found(context, NULL, why), why naming each sentinel's reason. A
 *	call while a round runs joins it. Every sentinel, not the first to
 *	answer: during a failover the leader names the promoted replica
 *	while the others still name the old master, under the old epoch.
 *
 *	Current: a sentinel that has not yet heard of a failover (the
 *	others tell it within seconds) still names the old master. So the
 *	watch keeps the configuration epoch of the last answer it took,
 *	which every failover raises, and takes no answer of a lower one;
 *	after a +switch-master to another address, none of the epoch it
 *	had either. Without this, a stale sentinel asked after a failover
 *	sends the link back to the old master, which, resumed after a
 *	pause, still says it is master and takes writes that the failover
 *	then throws away (test_sentinel_failover.py saw 743 admitted
 *	against a limit of 600). The address comes from
 *	get-master-addr-by-name, not from SENTINEL MASTER: the sentinel
 *	leading a failover raises the epoch when the promoted replica
 *	becomes master, but lists the old address until the failover ends;
 *	get-master-addr-by-name gives the promoted one from then on.
 *
 *	Besides, the watch is subscribed to +switch-master on every
 *	sentinel (each subscription made again SENTINEL_WATCH_RETRY_MS
 *	after it is lost) and calls found() with the new master as soon as
 *	one announces a switch of master_name; and it asks on its own every
 *	REDIS_SENTINEL_ASK_MS, in case a message was missed.
 *
 *	The owner decides what a found master means (redis_link.c
 *	connects, and confirms with ROLE); found() may call
 *	sentinel_watch_ask() again but not sentinel_watch_free().
 *
 *	settings is the owner's and must outlive the watch.
 * SECURITY
 *	Replies and messages are read by sentinel_reply.c, which bounds
 *	them. The sentinel password goes to the configured sentinels only
 *	and is never logged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>

#include "log.h"
#include "monotonic.h"
#include "redis_events.h"
#include "redis_settings.h"
#include "sentinel_ask.h"
#include "sentinel_reply.h"
#include "sentinel_watch.h"
#include "xmalloc.h"

#define SENTINEL_WATCH_RETRY_MS 1000
#define REASONS_MAX             1024

struct subscription {
	struct sentinel_watch *watch;
	size_t index;
	redisAsyncContext *context;
	struct event *retry_timer;
};

struct sentinel_watch {
	struct event_base *base;
	const struct redis_settings *settings;
	sentinel_found found;
	void *context;
	/* The round of questions. */
	bool asking;
	size_t first; /* the sentinel to ask first: the last to answer */
	size_t asked; /* in this round */
	size_t index; /* the one asked now */
	redisAsyncContext *question;
	struct event *question_timer;
	char reasons[REASONS_MAX];
	struct event *ask_timer; /* every REDIS_SENTINEL_ASK_MS */
	struct subscription *subscriptions;
	/* What the sentinels said last: an answer's epoch must reach
	 * least_epoch; master is the last address found(). */
	long long least_epoch;
	bool known;
	struct socket_spec master;
	struct socket_spec answer; /* of the question asked now */
	/* The newest answer of this round. */
	bool have_best;
	long long best_epoch;
	size_t best_index;
	struct socket_spec best;
};

static void ask_next(struct sentinel_watch *watch);
static void subscribe(struct subscription *subscription);

static void
note_reason(struct sentinel_watch *watch, const char *why)
{
	size_t used = strlen(watch->reasons);

	if (used < sizeof(watch->reasons))
		snprintf(watch->reasons + used, sizeof(watch->reasons) - used,
		    "%s%s: %s", used > 0 ? "; " : "",
		    watch->settings->sentinels.items[watch->index], why);
}

/* The question's connection, given up; its callbacks see no watch. */
static void
end_question(struct sentinel_watch *watch)
{
	redisAsyncContext *question = watch->question;

	evtimer_del(watch->question_timer);
	watch->question = NULL;
	if (question != NULL) {
		question->data = NULL;
		redisAsyncFree(question);
	}
}

static void
question_failed(struct sentinel_watch *watch, const char *why)
{
	note_reason(watch, why);
	end_question(watch);
	ask_next(watch);
}

static void
on_question_timeout(evutil_socket_t fd, short what, void *argument)
{
	(void)fd;
	(void)what;
	question_failed(argument, "no answer in time");
}

static void
on_question_connect(const redisAsyncContext *context, int status)
{
	struct sentinel_watch *watch = context->data;

	if (watch == NULL || status == REDIS_OK)
		return;
	/* hiredis frees a context whose connection failed. */
	watch->question = NULL;
	note_reason(watch, context->errstr);
	evtimer_del(watch->question_timer);
	ask_next(watch);
}

static void
on_question_disconnect(const redisAsyncContext *context, int status)
{
	struct sentinel_watch *watch = context->data;

	(void)status;
	if (watch == NULL || watch->question != context)
		return;
	watch->question = NULL;
	note_reason(watch, "connection lost");
	evtimer_del(watch->question_timer);
	ask_next(watch);
}

static void
on_auth(redisAsyncContext *context, void *r, void *privdata)
{
	struct sentinel_watch *watch = context->data;
	redisReply *reply = r;
	char why[256];

	(void)privdata;
	if (watch == NULL || reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return;
	snprintf(why, sizeof(why), "AUTH: %.200s", reply->str);
	question_failed(watch, why);
}

/* SENTINEL get-master-addr-by-name: where the master is, as this
 * sentinel sees it (during a failover, the promoted replica once it
 * has become master). Kept for the next reply. */
static void
on_address_reply(redisAsyncContext *context, void *r, void *privdata)
{
	struct sentinel_watch *watch = context->data;
	char why[256];

	(void)privdata;
	if (watch == NULL || r == NULL)
		return;
	if (!sentinel_reply_master(r, &watch->answer, why, sizeof(why)))
		question_failed(watch, why);
}

/* SENTINEL MASTER, asked right after: the epoch of that answer. */
static void
on_state_reply(redisAsyncContext *context, void *r, void *privdata)
{
	struct sentinel_watch *watch = context->data;
	struct socket_spec listed; /* the address is the previous reply's */
	long long epoch;
	char why[256];

	(void)privdata;
	if (watch == NULL || r == NULL)
		return;
	if (!sentinel_reply_master_state(
	        r, &listed, &epoch, why, sizeof(why))) {
		question_failed(watch, why);
		return;
	}
	if (epoch < watch->least_epoch) {
		snprintf(why, sizeof(why),
		    "stale: config-epoch %lld, a failover made it %lld or more",
		    epoch, watch->least_epoch);
		log_debug("%s: %s",
		    watch->settings->sentinels.items[watch->index], why);
		question_failed(watch, why);
		return;
	}
	/* The newest answer of the round wins (ask_next() ends it). */
	if (!watch->have_best || epoch > watch->best_epoch) {
		watch->best = watch->answer;
		watch->best_epoch = epoch;
		watch->best_index = watch->index;
		watch->have_best = true;
	}
	end_question(watch);
	ask_next(watch);
}

static void
ask_next(struct sentinel_watch *watch)
{
	const struct redis_settings *s = watch->settings;
	struct timeval timeout = timeval_of_ms(s->connect_timeout + s->timeout);
	struct socket_spec at;
	redisAsyncContext *question;

	if (watch->asked == s->sentinels.count) {
		watch->asking = false;
		if (!watch->have_best) {
			watch->found(watch->context, NULL, watch->reasons);
			return;
		}
		watch->least_epoch = watch->best_epoch;
		watch->known = true;
		watch->master = watch->best;
		watch->first = watch->best_index;
		watch->found(watch->context, &watch->best, NULL);
		return;
	}
	watch->index = (watch->first + watch->asked++) % s->sentinels.count;
	if (!redis_settings_sentinel(s, watch->index, &at)) {
		note_reason(watch, "not HOST:PORT");
		ask_next(watch);
		return;
	}
	question = redisAsyncConnect(at.host, (int)at.port);
	if (question == NULL || question->err) {
		note_reason(watch,
		    question != NULL ? question->errstr : "out of memory");
		if (question != NULL)
			redisAsyncFree(question);
		ask_next(watch);
		return;
	}
	question->data = watch;
	watch->question = question;
	redis_events_attach(question, watch->base);
	redisAsyncSetConnectCallback(question, on_question_connect);
	redisAsyncSetDisconnectCallback(question, on_question_disconnect);
	evtimer_add(watch->question_timer, &timeout);
	if (s->sentinel_password != NULL)
		redisAsyncCommandArgv(question, on_auth, NULL, 2,
		    (const char *[]){"AUTH", s->sentinel_password}, NULL);
	redisAsyncCommandArgv(question, on_address_reply, NULL, 3,
	    (const char *[]){
	        "SENTINEL", "get-master-addr-by-name", s->master_name},
	    NULL);
	redisAsyncCommandArgv(question, on_state_reply, NULL, 3,
	    (const char *[]){"SENTINEL", "MASTER", s->master_name}, NULL);
}

void
sentinel_watch_ask(struct sentinel_watch *watch)
{
	if (watch->asking)
		return;
	watch->asking = true;
	watch->asked = 0;
	watch->have_best = false;
	watch->reasons[0] = '\0';
	ask_next(watch);
}

static void
on_ask_timer(evutil_socket_t fd, short what, void *argument)
{
	(void)fd;
	(void)what;
	sentinel_watch_ask(argument);
}

/* The subscriptions. */

static void
subscribe_later(struct subscription *subscription)
{
	struct timeval delay = timeval_of_ms(SENTINEL_WATCH_RETRY_MS);

	subscription->context = NULL;
	evtimer_add(subscription->retry_timer, &delay);
}

static void
on_subscription_retry(evutil_socket_t fd, short what, void *argument)
{
	(void)fd;
	(void)what;
	subscribe(argument);
}

static void
on_subscription_connect(const redisAsyncContext *context, int status)
{
	struct subscription *subscription = context->data;

	if (subscription != NULL && status != REDIS_OK)
		subscribe_later(subscription); /* hiredis frees it */
}

static void
on_subscription_disconnect(const redisAsyncContext *context, int status)
{
	struct subscription *subscription = context->data;

	(void)status;
	if (subscription != NULL && subscription->context == context)
		subscribe_later(subscription);
}

static void
drop_subscription(struct subscription *subscription)
{
	redisAsyncContext *context = subscription->context;

	if (context == NULL)
		return;
	context->data = NULL;
	redisAsyncFree(context);
	subscribe_later(subscription);
}

/* ["subscribe", channel, n], then ["message", channel, text] each. */
static void
on_message(redisAsyncContext *context, void *r, void *privdata)
{
	struct subscription *subscription = context->data;
	struct sentinel_watch *watch;
	redisReply *reply = r;
	struct socket_spec master;

	(void)privdata;
	if (subscription == NULL || reply == NULL)
		return;
	watch = subscription->watch;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warning("sentinel %s: SUBSCRIBE refused: %.200s",
		    watch->settings->sentinels.items[subscription->index],
		    reply->str);
		drop_subscription(subscription);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(reply->element[0]->str, "message") != 0 ||
	    reply->element[2]->type != REDIS_REPLY_STRING)
		return;
	if (!sentinel_switch_parse(reply->element[2]->str,
	        reply->element[2]->len, watch->settings->master_name, &master))
		return;
	/* Each sentinel announces the switch as it learns it: the failover
	 * raised the epoch once, whoever tells. */
	if (watch->known && !sentinel_same_address(&master, &watch->master))
		watch->least_epoch++;

	watch->master = master;
	watch->found(watch->context, &master, NULL);
}

static void
subscribe(struct subscription *subscription)
{
	const struct redis_settings *s = subscription->watch->settings;
	struct socket_spec at;
	redisAsyncContext *context;

	if (!redis_settings_sentinel(s, subscription->index, &at))
		return;
	context = redisAsyncConnect(at.host, (int)at.port);
	if (context == NULL || context->err) {
		if (context != NULL)
			redisAsyncFree(context);
		subscribe_later(subscription);
		return;
	}
	context->data = subscription;
	subscription->context = context;
	redis_events_attach(context, subscription->watch->base);
	redisAsyncSetConnectCallback(context, on_subscription_connect);
	redisAsyncSetDisconnectCallback(context, on_subscription_disconnect);
	if (s->sentinel_password != NULL)
		redisAsyncCommandArgv(context, NULL, NULL, 2,
		    (const char *[]){"AUTH", s->sentinel_password}, NULL);
	redisAsyncCommandArgv(context, on_message, NULL, 2,
	    (const char *[]){"SUBSCRIBE", "+switch-master"}, NULL);
}

struct sentinel_watch *
sentinel_watch_new(struct event_base *base,
    const struct redis_settings *settings, sentinel_found found, void *context)
{
	struct sentinel_watch *watch = xcalloc(1, sizeof(*watch));
	struct timeval every = timeval_of_ms(REDIS_SENTINEL_ASK_MS);
	size_t count = settings->sentinels.count;

	watch->base = base;
	watch->settings = settings;
	watch->found = found;
	watch->context = context;
	watch->question_timer = evtimer_new(base, on_question_timeout, watch);
	watch->ask_timer = event_new(base, -1, EV_PERSIST, on_ask_timer, watch);
	evtimer_add(watch->ask_timer, &every);
	watch->subscriptions = xcalloc(count, sizeof(*watch->subscriptions));
	for (size_t i = 0; i < count; i++) {
		struct subscription *subscription = &watch->subscriptions[i];

		subscription->watch = watch;
		subscription->index = i;
		subscription->retry_timer =
		    evtimer_new(base, on_subscription_retry, subscription);
		subscribe(subscription);
	}
	return watch;
}

void
sentinel_watch_free(struct sentinel_watch *watch)
{
	if (watch == NULL)
		return;
	end_question(watch);
	for (size_t i = 0; i < watch->settings->sentinels.count; i++) {
		struct subscription *subscription = &watch->subscriptions[i];

		if (subscription->context != NULL) {
			subscription->context->data = NULL;
			redisAsyncFree(subscription->context);
		}
		event_free(subscription->retry_timer);
	}
	free(watch->subscriptions);
	event_free(watch->question_timer);
	event_free(watch->ask_timer);
	free(watch);
}
