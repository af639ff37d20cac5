/*
 * NAME
 *	event_wake - a reader of event streams woken by a new entry
 * SYNOPSIS
 *	#include "event_wake.h"
 *
 *	struct event_wake *event_wake_new(base, redis, block_ms, delay_ms,
 *		woken, context)
 *	void event_wake_arm(wake, key, last_id)
 *	void event_wake_free(wake)
 * DESCRIPTION
 *	A reader of the event streams (waypost-hookd's endpoints) reads
 *	them through its consumer group with XREADGROUP on the daemon's
 *	link, without BLOCK: a blocked read would hold back every other
 *	command on that link. So when a read finds nothing new, the
 *	reader would wait for its next timer tick. Instead it arms the
 *	wake with each of its streams and the id of the last entry it read
 *	there (empty: none), and the wake sends, on a link of its own
 *	(redis_link_new_blocking()),
 *
 *		XREAD COUNT 1 BLOCK block_ms STREAMS KEY... ID...
 *
 *	over every armed stream, each from the newest id it knows there:
 *	the largest it was armed with or woken by, "$" when none. When a
 *	stream has an entry after that id, woken(context) is called
 *	delay_ms later (0: at once), so the reader reads it then rather
 *	than on its timer, with the entries written in those delay_ms: one
 *	read, and fewer calls and wake-ups per event, for those that come
 *	close together. Every stream is disarmed until its reader arms it
 *	again. An entry another consumer of the
 *	group took wakes the reader once: the stream's id moves past it.
 *	When block_ms pass with no entry, the same XREAD goes again.
 *
 *	Arms within one turn of the event loop go out in one XREAD. A
 *	stream armed while an XREAD is out joins the next one, so its
 *	reader may wait up to block_ms (capped at EVENT_WAKE_BLOCK_MAX_MS)
 *	more, never longer than its own timer. A stream not armed for
 *	EVENT_WAKE_FORGET_MS is forgotten; at most EVENT_WAKE_STREAMS_MAX
 *	are known, and an arm beyond them is left to the reader's timer.
 *	With no answer (Redis away) or an error reply, which is logged at
 *	most once a minute, the streams are disarmed: no XREAD goes again
 *	before a reader arms one, on its timer's next read.
 * SECURITY
 *	A key is used as its reader gives it; an id that is not a valid
 *	stream id, from the reader or in a reply, is not kept.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_wake.h"
#include "log.h"
#include "monotonic.h"
#include "redis_link.h"
#include "script_words.h"
#include "stream_id.h"
#include "xmalloc.h"

struct watched {
	char *key;
	char id[STREAM_ID_MAX]; /* "" until one is known */
	long long armed_ms;     /* when it was last armed */
	bool armed;
};

struct event_wake {
	struct redis_link *link;
	long long block_ms;
	event_wake_woken woken;
	void *context;
	struct event *soon;  /* the arms of this turn, in one XREAD */
	struct event *later; /* woken(), delay_ms after an entry */
	long long delay_ms;
	struct watched *streams;
	size_t count, capacity;
	bool waiting; /* an XREAD is out */
	time_t last_error_log;
	bool full_logged;
};

/* Keep id as the stream's when it is valid and newer than what is kept. */
static void
move_id(struct watched *stream, const char *id)
{
	if (!stream_id_valid(id))
		return;
	if (stream->id[0] == '\0' || stream_id_compare(id, stream->id) > 0)
		memcpy(stream->id, id, strlen(id) + 1);
}

static struct watched *
find(struct event_wake *wake, const char *key, size_t length)
{
	for (size_t i = 0; i < wake->count; i++)
		if (strlen(wake->streams[i].key) == length &&
		    memcmp(wake->streams[i].key, key, length) == 0)
			return &wake->streams[i];
	return NULL;
}

/* The streams not armed for long, and forgotten. */
static void
forget_old(struct event_wake *wake, long long now)
{
	size_t kept = 0;

	for (size_t i = 0; i < wake->count; i++) {
		struct watched *stream = &wake->streams[i];

		if (!stream->armed &&
		    now - stream->armed_ms >= EVENT_WAKE_FORGET_MS) {
			free(stream->key);
			continue;
		}
		wake->streams[kept++] = *stream;
	}
	wake->count = kept;
}

static void
disarm(struct event_wake *wake)
{
	for (size_t i = 0; i < wake->count; i++)
		wake->streams[i].armed = false;
}

static void send_wait(struct event_wake *wake);

/* The id of the last entry of a stream's part of XREAD's reply. */
static void
woken_by(struct event_wake *wake, const redisReply *pair)
{
	const redisReply *entries, *last;
	struct watched *stream;

	if (pair->type != REDIS_REPLY_ARRAY || pair->elements != 2 ||
	    pair->element[0]->type != REDIS_REPLY_STRING ||
	    pair->element[1]->type != REDIS_REPLY_ARRAY ||
	    pair->element[1]->elements == 0)
		return;
	stream = find(wake, pair->element[0]->str, pair->element[0]->len);
	entries = pair->element[1];
	last = entries->element[entries->elements - 1];
	if (stream != NULL && last->type == REDIS_REPLY_ARRAY &&
	    last->elements >= 1 && last->element[0]->type == REDIS_REPLY_STRING)
		move_id(stream, last->element[0]->str);
}

static void
on_wait(void *context, const redisReply *reply, const char *why)
{
	struct event_wake *wake = context;
	time_t now = time(NULL);

	wake->waiting = false;
	if (wake->woken == NULL)
		return; /* event_wake_free() */
	if (reply != NULL && reply->type == REDIS_REPLY_NIL) {
		/* block_ms with nothing: again, out of the link's callback */
		event_active(wake->soon, EV_TIMEOUT, 0);
		return;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		if (now - wake->last_error_log >= 60) {
			wake->last_error_log = now;
			log_warning("waiting for new events: %.200s",
			    reply == NULL ? why
			    : reply->type == REDIS_REPLY_ERROR
			        ? reply->str
			        : "not an array");
		}
		disarm(wake);
		return;
	}
	for (size_t i = 0; i < reply->elements; i++)
		woken_by(wake, reply->element[i]);
	disarm(wake);
	if (!evtimer_pending(wake->later, NULL)) {
		struct timeval delay = {
		    wake->delay_ms / 1000, (wake->delay_ms % 1000) * 1000};

		evtimer_add(wake->later, &delay);
	}
}

static void
on_later(evutil_socket_t fd, short what, void *argument)
{
	struct event_wake *wake = argument;

	(void)fd;
	(void)what;
	wake->woken(wake->context);
}

static void
send_wait(struct event_wake *wake)
{
	struct script_words words = {0};
	size_t armed = 0;

	forget_old(wake, monotonic_ms());
	if (wake->waiting)
		return;
	for (size_t i = 0; i < wake->count; i++)
		armed += wake->streams[i].armed;
	if (armed == 0)
		return;
	script_word_text(&words, "XREAD");
	script_word_text(&words, "COUNT");
	script_word_text(&words, "1");
	script_word_text(&words, "BLOCK");
	script_word(&words, "%lld", wake->block_ms);
	script_word_text(&words, "STREAMS");
	for (size_t i = 0; i < wake->count; i++)
		if (wake->streams[i].armed)
			script_word_text(&words, wake->streams[i].key);
	for (size_t i = 0; i < wake->count; i++)
		if (wake->streams[i].armed)
			script_word_text(&words, wake->streams[i].id[0] != '\0'
			                             ? wake->streams[i].id
			                             : "$");
	wake->waiting =
	    redis_link_command(wake->link, &words.text, words.lengths,
	        (int)words.count, on_wait, wake) != NULL;
	script_words_free(&words);
	if (!wake->waiting)
		disarm(wake); /* no connection: the readers' timers go on */
}

static void
on_soon(evutil_socket_t fd, short what, void *argument)
{
	(void)fd;
	(void)what;
	send_wait(argument);
}

void
event_wake_arm(struct event_wake *wake, const char *key, const char *last_id)
{
	struct watched *stream = find(wake, key, strlen(key));

	if (stream == NULL) {
		if (wake->count == EVENT_WAKE_STREAMS_MAX) {
			if (!wake->full_logged)
				log_warning(
				    "waiting for new events: more than "
				    "%d streams; the others are read on "
				    "the timer",
				    EVENT_WAKE_STREAMS_MAX);
			wake->full_logged = true;
			return;
		}
		if (wake->count == wake->capacity) {
			wake->capacity =
			    wake->capacity ? wake->capacity * 2 : 8;
			wake->streams = xreallocarray(wake->streams,
			    wake->capacity, sizeof(*wake->streams));
		}
		stream = &wake->streams[wake->count++];
		memset(stream, 0, sizeof(*stream));
		stream->key = xstrdup(key);
	}
	move_id(stream, last_id);
	stream->armed = true;
	stream->armed_ms = monotonic_ms();
	if (!wake->waiting)
		event_active(wake->soon, EV_TIMEOUT, 0);
}

struct event_wake *
event_wake_new(struct event_base *base, const struct redis_settings *redis,
    long long block_ms, long long delay_ms, event_wake_woken woken,
    void *context)
{
	struct event_wake *wake = xcalloc(1, sizeof(*wake));

	wake->block_ms = block_ms < 1 ? 1
	                 : block_ms > EVENT_WAKE_BLOCK_MAX_MS
	                     ? EVENT_WAKE_BLOCK_MAX_MS
	                     : block_ms;
	wake->delay_ms = delay_ms > 0 ? delay_ms : 0;
	wake->woken = woken;
	wake->context = context;
	wake->link = redis_link_new_blocking(base, redis, wake->block_ms);
	wake->soon = event_new(base, -1, 0, on_soon, wake);
	wake->later = evtimer_new(base, on_later, wake);
	return wake;
}

/* The link ends the XREAD that is out: on_wait() then does nothing. */
void
event_wake_free(struct event_wake *wake)
{
	if (wake == NULL)
		return;
	wake->woken = NULL;
	redis_link_free(wake->link);
	event_free(wake->soon);
	event_free(wake->later);
	for (size_t i = 0; i < wake->count; i++)
		free(wake->streams[i].key);
	free(wake->streams);
	free(wake);
}
