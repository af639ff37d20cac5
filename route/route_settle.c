/*
 * NAME
 *	route_settle - the delivery events that settle waypost-routed's
 *	charges
 * SYNOPSIS
 *	#include "route_settle.h"
 *
 *	void route_settle_start(base, script)
 *	void route_settle_stop(void)
 * DESCRIPTION
 *	A lookup charges the address it chooses and reserves the charge
 *	for the recipient (route_script.lua). What Postfix then did is in
 *	waypost-trackd's event stream (waypost-events(7)): each
 *	delivery's "delivered" or "bounced" event names the service that
 *	carried it, wp-ADDRESS (or wp-ADDRESS-PROVIDER). This module reads
 *	that stream with the consumer group "waypost-routed" (one group
 *	for every relay sharing the Redis, so each event is settled once)
 *	as the consumer [route] consumer (the host's name by default), and
 *	for each such event of a pool's address calls route_settle.lua: a
 *	reservation of the address and recipient is used up (the lookup's
 *	charge stands), or, when none is left, the delivery is counted
 *	then: Postfix's queue manager routed it from its 30-second cache
 *	without asking. So a day's count of an address at a provider is
 *	its deliveries there, and the attempts a remote server deferred
 *	(their lookups' charges: an attempt the provider saw).
 *
 *	Each event is acknowledged (XACK) once settled, or at once when it
 *	is no delivery through a pool's address. Redis' answer of the
 *	script comes before the XACK is sent, and the script keeps the
 *	stream ids it settled for an hour, so an event read again (after a
 *	restart the consumer's own pending entries are read first; those
 *	of a consumer that died are claimed after a minute) counts nothing
 *	twice.
 *
 *	The reads run on a timer, once a second, and at once again after
 *	a full batch; one batch at a time, on a Redis connection of its
 *	own (lib/redis_link.c), so a lookup never waits behind them. One
 *	log line per delivery counted from the log, and one per event no
 *	lookup explains; one a minute at most about Redis errors.
 *
 *	route_settle_start() starts it, with script (route_settle.lua, as
 *	make writes it), when [route] settle is yes (the default); without waypost-trackd the lookups' charges stand and the
 *	reservations expire after two days. route_settle_stop() stops it
 *	when the loop has ended.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "daemon.h"
#include "event_streams.h"
#include "log.h"
#include "route_contract.h"
#include "route_event.h"
#include "route_settle.h"
#include "route_table.h"
#include "script_words.h"
#include "text_copy.h"
#include "xmalloc.h"

#define SETTLE_GROUP       "waypost-routed"
#define SETTLE_BATCH       200
#define SETTLE_TICK_MS     1000
#define SETTLE_CLAIM_TICKS 30    /* a claim instead of a read, so often */
#define SETTLE_CLAIM_IDLE  60000 /* ms pending before another claims it */
#define CURSOR_NEW         ">"
#define CURSOR_PENDING     "0"

struct settle_call {
	char id[EVENT_STREAM_ID_MAX];
	char pool[128];
	char address[64];
	struct route_event event;
};

/* The daemon's one settler, on route_main.c's loop. */
static struct redis_link *link;
static struct event_streams *streams;
static struct event *timer;
static const char *cursor = CURSOR_PENDING; /* its own pending first */
static bool groups_made;
static bool reading;
static bool stopping; /* the calls the link ends are no news */
static bool full;     /* the last read filled its batch: read again soon */
static size_t in_flight;
static unsigned ticks;
static time_t last_error_log;

static void
warn(const char *what, const char *why)
{
	time_t now = time(NULL);

	if (now - last_error_log < 60)
		return;
	last_error_log = now;
	log_warning("settling: %s: %.200s", what, why);
}

static void ask_soon(void);

/* One settling ended: the next batch once this one is done. */
static void
call_done(void)
{
	if (--in_flight == 0 && !reading && full && !stopping)
		ask_soon();
}

static void
log_settled(const struct settle_call *call, const redisReply *reply)
{
	long long result = reply->element[0]->integer;
	const char *queue_id =
	    call->event.queue_id[0] != '\0' ? call->event.queue_id : "-";
	const char *provider =
	    reply->elements > 1 && reply->element[1]->type == REDIS_REPLY_STRING
	        ? reply->element[1]->str
	        : "?";

	if (result == SCRIPT_SETTLE_COUNTED)
		log_info("%s: settle %s: pool %s, provider %s: %s counted "
		         "from its delivery (%lld today): the queue manager "
		         "routed it without a lookup",
		    queue_id, call->event.recipient, call->pool, provider,
		    call->address,
		    reply->elements > 2 &&
		            reply->element[2]->type == REDIS_REPLY_INTEGER
		        ? reply->element[2]->integer
		        : -1);
	else if (result == SCRIPT_SETTLE_UNKNOWN)
		log_info("%s: settle %s: pool %s: no lookup of today or "
		         "yesterday chose %s for it: not counted",
		    queue_id, call->event.recipient, call->pool, call->address);
	else
		log_debug("%s: settle %s: pool %s, %s: %s", queue_id,
		    call->event.recipient, call->pool, call->address,
		    result == SCRIPT_SETTLE_AGAIN
		        ? "settled already"
		        : "its lookup's charge stands");
}

static void
on_settled(void *context, const redisReply *reply, const char *why)
{
	struct settle_call *call = context;

	if (stopping) {
		free(call);
		in_flight--;
		return;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 1 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER) {
		/* Not acknowledged: read again from its own pending. */
		warn("settling an event", reply == NULL ? why
		                          : reply->type == REDIS_REPLY_ERROR
		                              ? reply->str
		                              : "unexpected reply");
		cursor = CURSOR_PENDING; /* at the next tick, not at once */
		full = false;
	} else {
		log_settled(call, reply);
		(void)event_streams_ack(streams, 0, call->id);
	}
	free(call);
	call_done();
}

/* route_settle.lua's call for the pool's address, as route_contract.h
 * says. */
static bool
settle(const struct route_pool *pool, size_t address, struct settle_call *call)
{
	struct script_words words = {0};
	bool sent;

	script_word_text(&words, "3");
	script_word_text(&words, pool->sources_key);
	script_word_text(&words, pool->reserved_key);
	script_word_text(&words, pool->settled_key);
	script_word_text(&words, call->id);
	script_word_text(&words, pool->section->addresses.items[address]);
	script_word_text(&words, call->event.recipient);
	sent = redis_link_eval(link, &words.text, words.lengths,
	           (int)words.count, on_settled, call) != NULL;
	script_words_free(&words);
	return sent;
}

static void
on_entry(void *context, size_t stream, const char *id, const char *body,
    size_t length)
{
	struct route_table *table;
	const struct route_pool *pool = NULL;
	struct settle_call *call = xcalloc(1, sizeof(*call));
	size_t address = 0;
	char error[256];

	(void)context;
	text_copy(call->id, sizeof(call->id), id);
	if (body != NULL && !route_event_parse(body, length, &call->event,
	                        error, sizeof(error)))
		warn(id, error);
	table = (struct route_table *)daemon_runtime_acquire();
	if (body != NULL && call->event.reached)
		pool = route_table_source(table, call->event.service, &address);
	if (pool != NULL) {
		text_copy(call->pool, sizeof(call->pool), pool->section->name);
		text_copy(call->address, sizeof(call->address),
		    pool->section->addresses.items[address]);
		if (settle(pool, address, call))
			in_flight++;
		else {
			cursor = CURSOR_PENDING; /* no link: read again */
			free(call);
		}
	} else {
		/* Gone from the stream, or no delivery of a pool's. */
		(void)event_streams_ack(streams, stream, id);
		free(call);
	}
	daemon_runtime_release(&table->item);
}

static void
on_read(void *context, bool ok, const size_t *counts, const char *why)
{
	(void)context;
	reading = false;
	full = false;
	if (stopping)
		return;
	if (!ok) {
		if (why != NULL) {
			warn("reading waypost-trackd's events", why);
			if (strstr(why, "NOGROUP") != NULL)
				groups_made = false; /* a Redis emptied */
		}
		return;
	}
	if (strcmp(cursor, CURSOR_PENDING) == 0 && counts[0] == 0)
		cursor = CURSOR_NEW; /* its own pending done: the new */
	else
		full = counts[0] >= SETTLE_BATCH ||
		       strcmp(cursor, CURSOR_PENDING) == 0;
	if (in_flight == 0 && full)
		ask_soon();
}

static void
ask(void)
{
	if (reading || in_flight > 0)
		return;
	if (!groups_made) {
		groups_made = event_streams_create_groups(streams);
		if (!groups_made)
			return;
	}
	if (++ticks % SETTLE_CLAIM_TICKS == 0)
		reading = event_streams_claim(streams, 0, SETTLE_CLAIM_IDLE,
		    SETTLE_BATCH, on_entry, on_read, NULL);
	else {
		const char *cursors[1] = {cursor};

		reading = event_streams_read(
		    streams, cursors, SETTLE_BATCH, on_entry, on_read, NULL);
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *context)
{
	(void)fd;
	(void)what;
	(void)context;
	ask();
}

static void
ask_soon(void)
{
	event_active(timer, EV_TIMEOUT, 0);
}

void
route_settle_start(struct event_base *base, const char *script)
{
	struct route_table *table =
	    (struct route_table *)daemon_runtime_acquire();
	const struct route_config *config = table->config;
	struct timeval every = {
	    SETTLE_TICK_MS / 1000, (SETTLE_TICK_MS % 1000) * 1000};
	char consumer[256];

	if (config->route.settle) {
		event_streams_consumer(
		    config->route.consumer, consumer, sizeof(consumer));
		link = redis_link_new(base, &config->redis, script);
		streams = event_streams_new(link, config->redis.prefix,
		    SETTLE_GROUP, "settling", consumer, NULL, 0);
		timer = event_new(base, -1, EV_PERSIST, on_timer, NULL);
		event_add(timer, &every);
		log_info("settling charges from waypost-trackd's events as "
		         "consumer %s",
		    consumer);
	}
	daemon_runtime_release(&table->item);
}

void
route_settle_stop(void)
{
	if (streams == NULL)
		return;
	stopping = true;
	event_streams_closing(streams);
	event_free(timer);
	timer = NULL;
	redis_link_free(link); /* ends the calls in flight */
	link = NULL;
	event_streams_free(streams);
	streams = NULL;
}
