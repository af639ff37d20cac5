/*
 * NAME
 *	hook_endpoint - one webhook's deliveries: reading, sending, retrying
 * SYNOPSIS
 *	#include "hook_endpoint.h"
 *
 *	struct hook_endpoint *hook_endpoint_new(base, target, settings,
 *		link, http)
 *	void hook_endpoint_tick(endpoint)
 *	void hook_endpoint_retire(endpoint)
 *	void hook_endpoint_stop(endpoint)
 *	bool hook_endpoint_busy(endpoint)
 *	struct hook_endpoint_counters hook_endpoint_counters(endpoint)
 *	void hook_endpoint_report(endpoint)
 *	void hook_endpoint_free(endpoint)
 * DESCRIPTION
 *	The life of a webhook's events, at least once: each event is read
 *	from its stream through the webhook's consumer group
 *	(hook_stream.c) and acknowledged only once the endpoint answered
 *	2xx, or it was given up (dead-lettered), or it is not a type the
 *	webhook takes. After a restart the consumer's own pending entries
 *	are read first, so what was read and not acknowledged is sent
 *	again; the receiver tells repeats by webhook-id (the event's id).
 *	So are they after a read that failed (no reply within [redis]
 *	timeout, a lost connection): Redis may have delivered its entries
 *	all the same, and no read of new entries would get them again.
 *	Those it holds are not taken twice, nor those acknowledged while
 *	that read was out (kept until it ends).
 *
 *	hook_endpoint_tick(), from the daemon's timer, after each answer
 *	and after a read that brought entries (after one that brought none
 *	the timer reads again: an idle daemon does not poll Redis in a
 *	loop): the groups made once; more entries read while fewer than
 *	the window (HOOK_WINDOW_MIN, or 4 x concurrency x batch) are held,
 *	so memory stays bounded and the rest waits in Redis; then every
 *	event due is sent, up to concurrency requests at once, one event
 *	per request, or with batch up to batch events in a JSON array
 *	(sent once batch are due, or when the oldest due waited
 *	batch_wait).
 *
 *	Each request is signed (hook_secret.c) with webhook-id (the event's
 *	id; a batch's is "batch-" FIRSTID "-" N), webhook-timestamp and
 *	webhook-signature. A failure (no answer, or a status that is not
 *	2xx) is tried again after retry_min, doubling up to retry_max, each
 *	wait drawn between half and all of it (jitter, so a recovering
 *	endpoint is not hit by every event at once), until retry_for after
 *	the event was written (its stream id's time); then it goes to the
 *	dead letters with its last status and error. A stop status (410)
 *	disables the webhook until a reload or a restart: its events wait in
 *	Redis. An event that is not valid JSON or lacks a field every event
 *	has goes to the dead letters at once. After breaker_failures
 *	failures in a row the circuit opens: nothing is sent for retry_min,
 *	doubling on each failed probe up to retry_max, then one request
 *	probes the endpoint.
 *
 *	hook_endpoint_check(), every few seconds: when a stream holds more
 *	than backlog_max events the webhook has not read (its group's lag:
 *	an endpoint down for long, or disabled), the oldest are read and
 *	acknowledged unsent, up to HOOK_DROP_MAX at a time, counted and
 *	logged: so a dead endpoint never makes waypost-trackd's trimming
 *	(events_max) take events silently, and its Redis state stays
 *	bounded. Then, once its own pending entries were read, up to the
 *	window's room of the entries pending longer than [hooks]
 *	claim_idle with any consumer of the group are claimed (XAUTOCLAIM):
 *	a consumer that died (another relay's waypost-hookd, or this one
 *	under another consumer name) leaves nothing behind. Those it holds
 *	already are not taken twice.
 *
 *	Every attempt is recorded under its message (hook_stream.c) as a
 *	JSON line: time, webhook, event id, type, status, latency, error.
 *	Log lines about one event start with its queue ID.
 *
 *	hook_endpoint_retire() stops reading and sending (a reload made a
 *	new endpoint for the webhook); what is in flight still finishes,
 *	and hook_endpoint_busy() says when that is over.
 *	hook_endpoint_report() logs its counters in one line.
 *	hook_endpoint_stop() retires it as the daemon stops: the Redis link
 *	is freed next, and ends the calls in flight without news.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "event_wake.h"
#include "hook_attempt.h"
#include "hook_endpoint.h"
#include "hook_event.h"
#include "hook_metrics.h"
#include "hook_secret.h"
#include "hook_stream.h"
#include "log.h"
#include "monotonic.h"
#include "xmalloc.h"

#define HOOK_WINDOW_MIN 64
#define HOOK_WINDOW_MAX 4096
#define CURSOR_NEW      ">"
#define CURSOR_PENDING  "0"   /* its own pending entries, from the first */
#define HOOK_DROP_MAX   10000 /* dropped per read over backlog_max */

struct entry {
	struct entry *next;
	size_t stream;
	char id[EVENT_STREAM_ID_MAX];
	char *body;
	size_t length;
	struct hook_event event;
	long long written_ms; /* the stream id's time */
	long long ready_ms;   /* read, or due again: a batch waits from then */
	long long due_ms;
	int attempts;
	bool in_flight;
	bool acked; /* while its own pending entries were being read */
};

struct request {
	struct hook_endpoint *endpoint;
	struct entry **entries;
	size_t count;
};

struct hook_endpoint {
	const struct hook_target *target;
	struct hook_endpoint_settings settings; /* its numbers; no strings */
	struct hook_http *http;
	struct event_streams *streams;
	struct event *soon;
	struct entry *head, *tail;
	size_t held, window;
	int in_flight;
	char **cursors;
	bool groups_made, reading, disabled, retired;
	bool reading_pending; /* a read of its own pending entries is out */
	bool claiming, dropping;
	int lag_checks; /* XINFO calls in flight */
	size_t claim_next;
	long long failures_in_row;
	long long open_until_ms, cooldown_ms;
	bool open;
	struct hook_endpoint_counters counters;
	struct hook_metrics metrics;
	long long *lags; /* per stream: unread, as XINFO said last */
	char (*last_ids)[EVENT_STREAM_ID_MAX]; /* per stream: newest read */
};

static void
on_soon(evutil_socket_t fd, short what, void *argument)
{
	(void)fd;
	(void)what;
	hook_endpoint_tick(argument);
}

static void
tick_soon(struct hook_endpoint *endpoint)
{
	event_active(endpoint->soon, EV_TIMEOUT, 0);
}

/* One event's fate, in the log's counters and the metrics. */
static void
count_event(struct hook_endpoint *endpoint, enum hook_result result,
    unsigned long long *counter)
{
	(*counter)++;
	metric_inc(endpoint->metrics.results[result]);
}

/* Held (read, not yet acknowledged) and unread, for the backlog gauge. */
static void
publish_backlog(const struct hook_endpoint *endpoint)
{
	long long unread = 0;

	if (endpoint->metrics.backlog == NULL)
		return;
	for (size_t i = 0; i < event_streams_count(endpoint->streams); i++)
		unread += endpoint->lags[i] > 0 ? endpoint->lags[i] : 0;
	metric_set(
	    endpoint->metrics.backlog, (double)endpoint->held + (double)unread);
}

static void
publish_state(const struct hook_endpoint *endpoint)
{
	if (endpoint->metrics.breaker_open == NULL)
		return;
	metric_set(endpoint->metrics.breaker_open, endpoint->open ? 1 : 0);
	metric_set(endpoint->metrics.disabled, endpoint->disabled ? 1 : 0);
}

/* The queue ID of an event's id, for log lines: up to its first ".". */
static void
queue_id_of(const struct entry *entry, char *out, size_t size)
{
	size_t length = strcspn(entry->event.message, ".");

	if (length >= size)
		length = size - 1;
	memcpy(out, entry->event.message, length);
	out[length] = '\0';
}

static void
entry_free(struct entry *entry)
{
	free(entry->body);
	free(entry);
}

static void
unlink_entry(struct hook_endpoint *endpoint, struct entry *gone)
{
	struct entry **at = &endpoint->head, *previous = NULL;

	for (; *at != NULL; previous = *at, at = &(*at)->next)
		if (*at == gone) {
			*at = gone->next;
			if (endpoint->tail == gone)
				endpoint->tail = previous;
			endpoint->held--;
			entry_free(gone);
			return;
		}
}

/*
 * An entry acknowledged is forgotten, whether Redis took the XACK or not
 * (not taken, it stays pending there and comes back after a restart),
 * but not while a read of the consumer's own pending entries is out: Redis may have run that read
 * before the XACK, and the entry would come back and be sent again. It
 * is kept, marked, until the read ends (forget_acked()).
 */
static void
forget(struct hook_endpoint *endpoint, struct entry *entry)
{
	if (endpoint->reading_pending)
		entry->acked = true;
	else
		unlink_entry(endpoint, entry);
}

static void
forget_acked(struct hook_endpoint *endpoint)
{
	struct entry **at = &endpoint->head, *previous = NULL;

	while (*at != NULL) {
		struct entry *entry = *at;

		if (!entry->acked) {
			previous = entry;
			at = &entry->next;
			continue;
		}
		*at = entry->next;
		if (endpoint->tail == entry)
			endpoint->tail = previous;
		endpoint->held--;
		entry_free(entry);
	}
}

static void
record_attempt(struct hook_endpoint *endpoint, const struct entry *entry,
    long status, long long latency_ms, const char *error)
{
	const struct hook_attempt attempt = {
	    .time = (long long)time(NULL),
	    .webhook = endpoint->target->name,
	    .event_id = entry->event.id,
	    .type = entry->event.type,
	    .status = status,
	    .latency_ms = latency_ms,
	    .error = error,
	};
	static struct buffer line; /* reused: one per attempt */

	if (entry->event.message[0] != '\0' &&
	    hook_attempt_line(&attempt, &line))
		(void)hook_streams_attempt(endpoint->streams,
		    entry->event.message, buffer_text(&line),
		    endpoint->settings.attempts_max,
		    endpoint->settings.attempts_ttl);
}

static void
dead_letter(struct hook_endpoint *endpoint, struct entry *entry, long status,
    const char *error)
{
	char queue_id[64];

	queue_id_of(entry, queue_id, sizeof(queue_id));
	if (!hook_streams_dead(endpoint->streams, endpoint->target->name,
	        endpoint->settings.dead_max,
	        entry->body != NULL ? entry->body : "", entry->length, status,
	        error, entry->attempts) ||
	    !event_streams_ack(endpoint->streams, entry->stream, entry->id)) {
		/* Redis away: it stays pending, and is read again. */
		entry->due_ms = monotonic_ms() + endpoint->target->retry_min;
		return;
	}
	log_event(LOG_LEVEL_WARNING, queue_id[0] ? queue_id : NULL,
	    "webhook %s: event %s given up after %d attempts (%s): in the "
	    "dead letters",
	    endpoint->target->name,
	    entry->event.id[0] ? entry->event.id : entry->id, entry->attempts,
	    error);
	count_event(endpoint, HOOK_RESULT_DEAD, &endpoint->counters.dead);
	forget(endpoint, entry);
}

/* Stream ids are MILLISECONDS-SEQUENCE. */
static long long
id_time_ms(const char *id)
{
	return strtoll(id, NULL, 10);
}

static void
add_entry(struct hook_endpoint *endpoint, size_t stream, const char *id,
    const char *body, size_t length)
{
	struct entry *entry = xcalloc(1, sizeof(*entry));
	char why[256];

	entry->stream = stream;
	snprintf(entry->id, sizeof(entry->id), "%s", id);
	entry->written_ms = id_time_ms(id);
	entry->ready_ms = monotonic_ms();
	entry->due_ms = 0;
	if (endpoint->tail != NULL)
		endpoint->tail->next = entry;
	else
		endpoint->head = entry;
	endpoint->tail = entry;
	endpoint->held++;
	publish_backlog(endpoint);
	if (body == NULL) {
		log_warning(
		    "webhook %s: entry %s of %s is gone from the stream "
		    "(trimmed before it was delivered)",
		    endpoint->target->name, id,
		    event_streams_key(endpoint->streams, stream));
		count_event(
		    endpoint, HOOK_RESULT_LOST, &endpoint->counters.lost);
		(void)event_streams_ack(endpoint->streams, stream, id);
		forget(endpoint, entry);
		return;
	}
	entry->body = xmalloc(length + 1);
	memcpy(entry->body, body, length);
	entry->body[length] = '\0';
	entry->length = length;
	if (!hook_event_read(body, length, &entry->event, why, sizeof(why))) {
		char error[300];

		snprintf(error, sizeof(error), "invalid event: %s", why);
		dead_letter(endpoint, entry, 0, error);
		return;
	}
	if (!hook_target_wants(endpoint->target, entry->event.type)) {
		count_event(
		    endpoint, HOOK_RESULT_SKIPPED, &endpoint->counters.skipped);
		(void)event_streams_ack(endpoint->streams, stream, id);
		forget(endpoint, entry);
	}
}

static bool
held(const struct hook_endpoint *endpoint, size_t stream, const char *id)
{
	for (const struct entry *entry = endpoint->head; entry != NULL;
	     entry = entry->next)
		if (entry->stream == stream && strcmp(entry->id, id) == 0)
			return true;
	return false;
}

/* An entry read: its own pending ones move the stream's cursor, and
 * those it holds already (read again after a failed read) are kept
 * once. */
static void
on_entry(void *context, size_t stream, const char *id, const char *body,
    size_t length)
{
	struct hook_endpoint *endpoint = context;
	size_t id_length = strlen(id);

	/* New entries come in the stream's order: the last is the newest
	 * (the wake checks it). */
	if (strcmp(endpoint->cursors[stream], CURSOR_NEW) == 0 &&
	    id_length < EVENT_STREAM_ID_MAX)
		memcpy(endpoint->last_ids[stream], id, id_length + 1);
	if (strcmp(endpoint->cursors[stream], CURSOR_NEW) != 0) {
		free(endpoint->cursors[stream]);
		endpoint->cursors[stream] = xstrdup(id);
		if (held(endpoint, stream, id))
			return;
	}
	add_entry(endpoint, stream, id, body, length);
}

/* A claimed entry: a dead consumer's, or one of ours already held. */
static void
on_claimed_entry(void *context, size_t stream, const char *id, const char *body,
    size_t length)
{
	struct hook_endpoint *endpoint = context;

	if (held(endpoint, stream, id))
		return;
	count_event(endpoint, HOOK_RESULT_CLAIMED, &endpoint->counters.claimed);
	add_entry(endpoint, stream, id, body, length);
}

static void
on_claim_done(void *context, bool ok, const size_t *counts, const char *why)
{
	struct hook_endpoint *endpoint = context;

	(void)counts;
	endpoint->claiming = false;
	if (!ok && why != NULL)
		log_warning("webhook %s: claiming pending events: %.200s",
		    endpoint->target->name, why);
	if (ok && !endpoint->retired)
		tick_soon(endpoint);
}

/* Over the backlog cap: the oldest unread go, counted. */
static void
on_dropped_entry(void *context, size_t stream, const char *id, const char *body,
    size_t length)
{
	struct hook_endpoint *endpoint = context;

	(void)body;
	(void)length;
	if (event_streams_ack(endpoint->streams, stream, id))
		count_event(
		    endpoint, HOOK_RESULT_DROPPED, &endpoint->counters.dropped);
}

static void
on_drop_done(void *context, bool ok, const size_t *counts, const char *why)
{
	struct hook_endpoint *endpoint = context;

	endpoint->dropping = false;
	if (!ok) {
		if (why != NULL)
			log_warning("webhook %s: dropping events over "
			            "backlog_max: %.200s",
			    endpoint->target->name, why);
		return;
	}
	for (size_t i = 0; i < event_streams_count(endpoint->streams); i++)
		if (counts[i] > 0)
			log_warning("webhook %s: %zu events over backlog_max "
			            "(%lld) unread on %s: the oldest dropped "
			            "(%llu dropped so far)",
			    endpoint->target->name, counts[i],
			    endpoint->target->backlog_max,
			    event_streams_key(endpoint->streams, i),
			    endpoint->counters.dropped);
}

static void
on_lag(void *context, size_t stream, long long lag)
{
	struct hook_endpoint *endpoint = context;
	long long over = lag - endpoint->target->backlog_max;
	const char **all;

	endpoint->lag_checks--;
	endpoint->lags[stream] = lag;
	publish_backlog(endpoint);
	if (lag < 0 || over <= 0 || endpoint->dropping)
		return;
	if (over > HOOK_DROP_MAX)
		over = HOOK_DROP_MAX; /* the rest at the next check */
	all = xcalloc(event_streams_count(endpoint->streams), sizeof(*all));
	all[stream] = CURSOR_NEW; /* the others are not read */
	endpoint->dropping = event_streams_read_some(endpoint->streams, stream,
	    all, (size_t)over, on_dropped_entry, on_drop_done, endpoint);
	free(all);
}

static void
on_read_done(void *context, bool ok, const size_t *counts, const char *why)
{
	struct hook_endpoint *endpoint = context;
	bool more = false;

	endpoint->reading = false;
	if (endpoint->reading_pending) {
		endpoint->reading_pending = false;
		forget_acked(endpoint);
	}
	if (!ok && why == NULL)
		return; /* stopping */
	if (!ok) {
		/* Redis may have delivered the entries all the same (a reply
		 * after [redis] timeout is dropped): they are pending with
		 * this consumer, where only a read of its own pending entries
		 * finds them. So that read first, again. */
		log_warning("webhook %s: reading its events: %.200s",
		    endpoint->target->name, why);
		for (size_t i = 0; i < event_streams_count(endpoint->streams);
		     i++) {
			free(endpoint->cursors[i]);
			endpoint->cursors[i] = xstrdup(CURSOR_PENDING);
		}
		return;
	}
	for (size_t i = 0; i < event_streams_count(endpoint->streams); i++) {
		if (counts[i] > 0)
			more = true;
		else if (strcmp(endpoint->cursors[i], CURSOR_NEW) != 0) {
			free(endpoint->cursors[i]);
			endpoint->cursors[i] = xstrdup(CURSOR_NEW);
			more = true; /* its own pending read: now the new */
		}
	}
	/* Nothing new: the next read waits for a new entry (the wake),
	 * the timer or an answer, or an idle daemon would send XREADGROUP
	 * after XREADGROUP. */
	if (more)
		tick_soon(endpoint);
	else if (endpoint->settings.wake != NULL && !endpoint->retired &&
	         !endpoint->disabled)
		for (size_t i = 0; i < event_streams_count(endpoint->streams);
		     i++)
			event_wake_arm(endpoint->settings.wake,
			    event_streams_key(endpoint->streams, i),
			    endpoint->last_ids[i]);
}

static long long
backoff_ms(const struct hook_target *target, int attempts)
{
	long long wait = target->retry_min;

	for (int i = 1; i < attempts && wait < target->retry_max; i++)
		wait *= 2;
	if (wait > target->retry_max)
		wait = target->retry_max;
	/* Jitter: between half and all of it. */
	return wait / 2 + (long long)(random() % (wait / 2 + 1));
}

static void
breaker_failed(struct hook_endpoint *endpoint, const char *what)
{
	const struct hook_target *target = endpoint->target;
	long long now = monotonic_ms();

	endpoint->failures_in_row++;
	if (target->breaker_failures == 0 ||
	    endpoint->failures_in_row < target->breaker_failures)
		return;
	endpoint->cooldown_ms = !endpoint->open ? target->retry_min
	                        : endpoint->cooldown_ms * 2 > target->retry_max
	                            ? target->retry_max
	                            : endpoint->cooldown_ms * 2;
	if (!endpoint->open)
		log_warning("webhook %s: %lld failures in a row (last: %s): "
		            "nothing sent for %lld ms, then one request to "
		            "probe it",
		    target->name, endpoint->failures_in_row, what,
		    endpoint->cooldown_ms);
	endpoint->open = true;
	endpoint->open_until_ms = now + endpoint->cooldown_ms;
}

static void
breaker_succeeded(struct hook_endpoint *endpoint)
{
	if (endpoint->open)
		log_info("webhook %s: the endpoint answers again",
		    endpoint->target->name);
	endpoint->open = false;
	endpoint->failures_in_row = 0;
}

/* A failure of one event: why is the answer's status or error, as
 * on_answer() wrote it. */
static void
failed(struct hook_endpoint *endpoint, struct entry *entry, long status,
    const char *why)
{
	const struct hook_target *target = endpoint->target;
	long long now = monotonic_ms();
	long long deadline_ms =
	    entry->written_ms + target->retry_for -
	    (long long)time(NULL) * 1000 +
	    now; /* the stream's wall clock, on the monotonic one */

	count_event(endpoint, HOOK_RESULT_FAILED, &endpoint->counters.failed);
	if (now >= deadline_ms) {
		dead_letter(endpoint, entry, status, why);
		return;
	}
	entry->due_ms = now + backoff_ms(target, entry->attempts);
	if (entry->due_ms > deadline_ms)
		entry->due_ms = deadline_ms;
	entry->ready_ms = entry->due_ms;
}

static int
compare_streams(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	return (x->stream > y->stream) - (x->stream < y->stream);
}

/*
 * A request's entries, answered with a 2xx: acknowledged, one XACK per
 * stream among them (sorted by stream, so the work is the batch's, not
 * the endpoint's count of streams), and forgotten. Not acknowledged
 * when Redis is away: they stay pending there, and are sent again after
 * a restart.
 */
static void
delivered(struct hook_endpoint *endpoint, struct entry **entries, size_t count)
{
	const char **ids = xcalloc(count, sizeof(*ids));
	size_t n = 0;

	qsort(entries, count, sizeof(*entries), compare_streams);
	for (size_t i = 0; i < count; i++) {
		ids[n++] = entries[i]->id;
		if (i + 1 == count ||
		    entries[i + 1]->stream != entries[i]->stream) {
			(void)event_streams_ack_ids(
			    endpoint->streams, entries[i]->stream, ids, n);
			n = 0;
		}
	}
	free(ids);
	for (size_t i = 0; i < count; i++)
		forget(endpoint, entries[i]);
}

static void
on_answer(void *context, const struct hook_answer *answer)
{
	struct request *request = context;
	struct hook_endpoint *endpoint = request->endpoint;
	const struct hook_target *target = endpoint->target;
	bool ok = answer->status >= 200 && answer->status <= 299;
	char what[300];

	endpoint->in_flight--;
	if (answer->dropped) { /* stopping: it stays pending in Redis */
		free(request->entries);
		free(request);
		return;
	}
	metric_observe(
	    endpoint->metrics.duration, (double)answer->latency_ms / 1000.0);
	if (answer->status != 0)
		snprintf(what, sizeof(what), "HTTP %ld", answer->status);
	else
		snprintf(what, sizeof(what), "%.200s", answer->error);
	for (size_t i = 0; i < request->count; i++) {
		struct entry *entry = request->entries[i];

		entry->in_flight = false;
		entry->attempts++;
		record_attempt(endpoint, entry, answer->status,
		    answer->latency_ms, ok ? "" : what);
		if (ok)
			count_event(endpoint, HOOK_RESULT_DELIVERED,
			    &endpoint->counters.delivered);
		else if (!hook_target_stops(target, answer->status))
			failed(endpoint, entry, answer->status, what);
	}
	if (ok) {
		delivered(endpoint, request->entries, request->count);
		breaker_succeeded(endpoint);
	} else if (hook_target_stops(target, answer->status)) {
		if (!endpoint->disabled)
			log_error("webhook %s: the endpoint answered %ld: "
			          "disabled until a reload or a restart; its "
			          "events wait in Redis",
			    target->name, answer->status);
		endpoint->disabled = true;
	} else
		breaker_failed(endpoint, what);
	publish_state(endpoint);
	publish_backlog(endpoint);
	free(request->entries);
	free(request);
	if (!endpoint->retired)
		tick_soon(endpoint);
}

static void
send_request(
    struct hook_endpoint *endpoint, struct entry **entries, size_t count)
{
	const struct hook_target *target = endpoint->target;
	struct request *request = xcalloc(1, sizeof(*request));
	struct buffer body = {0}, id = {0}, signature = {0};
	struct buffer id_header = {0}, time_header = {0},
	              signature_header = {0};
	long long now = (long long)time(NULL);
	const char *headers[4];
	struct hook_post post;

	request->endpoint = endpoint;
	request->entries = xcalloc(count, sizeof(*request->entries));
	request->count = count;
	memcpy(request->entries, entries, count * sizeof(*entries));
	if (target->batch_size > 1) {
		buffer_append_char(&body, '[');
		for (size_t i = 0; i < count; i++) {
			if (i > 0)
				buffer_append_char(&body, ',');
			buffer_append(
			    &body, entries[i]->body, entries[i]->length);
		}
		buffer_append_char(&body, ']');
		buffer_printf(&id, "batch-%s-%zu", entries[0]->event.id, count);
	} else {
		buffer_append(&body, entries[0]->body, entries[0]->length);
		buffer_append_text(&id, entries[0]->event.id);
	}
	for (size_t i = 0; i < count; i++)
		entries[i]->in_flight = true;
	hook_signature(&target->secrets, buffer_text(&id), now,
	    buffer_text(&body), body.length, &signature);
	buffer_printf(&id_header, "webhook-id: %s", buffer_text(&id));
	buffer_printf(&time_header, "webhook-timestamp: %lld", now);
	buffer_printf(&signature_header, "webhook-signature: %s",
	    buffer_text(&signature));
	headers[0] = buffer_text(&id_header);
	headers[1] = buffer_text(&time_header);
	headers[2] = buffer_text(&signature_header);
	headers[3] = NULL;
	post = (struct hook_post){target->url, buffer_text(&body), body.length,
	    headers, target->timeout, target->ca_file, target->response_max};
	endpoint->in_flight++;
	hook_http_post(endpoint->http, &post, on_answer, request);
	buffer_free(&body);
	buffer_free(&id);
	buffer_free(&signature);
	buffer_free(&id_header);
	buffer_free(&time_header);
	buffer_free(&signature_header);
}

/* May the breaker let a request go? Open: one probe once it is time. */
static bool
breaker_allows(const struct hook_endpoint *endpoint, long long now)
{
	if (!endpoint->open)
		return true;
	return now >= endpoint->open_until_ms && endpoint->in_flight == 0;
}

static void
send_due(struct hook_endpoint *endpoint)
{
	const struct hook_target *target = endpoint->target;
	long long now = monotonic_ms();
	struct entry *batch[HOOK_BATCH_MAX];
	size_t count = 0;
	long long oldest_due = INT64_MAX;

	for (struct entry *entry = endpoint->head; entry != NULL;
	     entry = entry->next) {
		if (endpoint->in_flight >= target->concurrency ||
		    !breaker_allows(endpoint, now))
			return;
		if (entry->in_flight || entry->acked || entry->due_ms > now ||
		    entry->body == NULL || entry->event.id[0] == '\0')
			continue;
		batch[count++] = entry;
		if (entry->ready_ms < oldest_due)
			oldest_due = entry->ready_ms;
		if (count == (size_t)target->batch_size) {
			send_request(endpoint, batch, count);
			count = 0;
			oldest_due = INT64_MAX;
			if (endpoint->open)
				return; /* the probe */
		}
	}
	/* A partial batch waits for more, up to batch_wait. */
	if (count > 0 &&
	    (target->batch_size == 1 || now - oldest_due >= target->batch_wait))
		send_request(endpoint, batch, count);
}

void
hook_endpoint_tick(struct hook_endpoint *endpoint)
{
	size_t streams = event_streams_count(endpoint->streams);

	if (endpoint->disabled || endpoint->retired)
		return;
	if (!endpoint->groups_made)
		endpoint->groups_made =
		    event_streams_create_groups(endpoint->streams);
	if (!endpoint->groups_made)
		return;
	if (!endpoint->reading && endpoint->held < endpoint->window) {
		size_t room = endpoint->window - endpoint->held;
		size_t per_stream = room / streams > 0 ? room / streams : 1;

		endpoint->reading = event_streams_read(endpoint->streams,
		    (const char *const *)endpoint->cursors, per_stream,
		    on_entry, on_read_done, endpoint);
		for (size_t i = 0; endpoint->reading && i < streams; i++)
			if (strcmp(endpoint->cursors[i], CURSOR_NEW) != 0)
				endpoint->reading_pending = true;
	}
	send_due(endpoint);
}

struct hook_endpoint *
hook_endpoint_new(struct event_base *base, const struct hook_target *target,
    const struct hook_endpoint_settings *settings, struct redis_link *link,
    struct hook_http *http)
{
	struct hook_endpoint *endpoint = xcalloc(1, sizeof(*endpoint));
	size_t window =
	    (size_t)target->concurrency * (size_t)target->batch_size * 4;
	struct buffer group = {NULL, 0, 0}, label = {NULL, 0, 0};

	endpoint->target = target;
	endpoint->settings = *settings;
	/* Its streams keep their own copies of these. */
	endpoint->settings.prefix = endpoint->settings.consumer = NULL;
	endpoint->http = http;
	endpoint->window = window < HOOK_WINDOW_MIN   ? HOOK_WINDOW_MIN
	                   : window > HOOK_WINDOW_MAX ? HOOK_WINDOW_MAX
	                                              : window;
	buffer_printf(&group, HOOK_STREAM_GROUP "%s", target->name);
	buffer_printf(&label, "webhook %s", target->name);
	endpoint->streams = event_streams_new(link, settings->prefix,
	    buffer_text(&group), buffer_text(&label), settings->consumer,
	    target->all_tenants ? NULL : (const char *const *)target->tenants,
	    target->tenant_count);
	buffer_free(&group);
	buffer_free(&label);
	endpoint->cursors = xcalloc(
	    event_streams_count(endpoint->streams), sizeof(*endpoint->cursors));
	for (size_t i = 0; i < event_streams_count(endpoint->streams); i++)
		endpoint->cursors[i] = xstrdup(CURSOR_PENDING); /* first */
	endpoint->lags = xcalloc(
	    event_streams_count(endpoint->streams), sizeof(*endpoint->lags));
	endpoint->last_ids = xcalloc(event_streams_count(endpoint->streams),
	    sizeof(*endpoint->last_ids));
	hook_metrics_of(target->name, &endpoint->metrics);
	publish_state(endpoint);
	endpoint->soon = event_new(base, -1, 0, on_soon, endpoint);
	return endpoint;
}

void
hook_endpoint_retire(struct hook_endpoint *endpoint)
{
	endpoint->retired = true;
}

void
hook_endpoint_stop(struct hook_endpoint *endpoint)
{
	endpoint->retired = true;
	event_streams_closing(endpoint->streams);
}

/* Every few seconds: the backlog cap, then a dead consumer's events. */
void
hook_endpoint_check(struct hook_endpoint *endpoint)
{
	size_t streams = event_streams_count(endpoint->streams);

	if (endpoint->retired || !endpoint->groups_made)
		return;
	for (size_t i = 0;
	     i < streams && endpoint->lag_checks == 0 && !endpoint->dropping;
	     i++)
		if (event_streams_lag(endpoint->streams, i, on_lag, endpoint))
			endpoint->lag_checks++;
	if (endpoint->disabled || endpoint->claiming ||
	    endpoint->settings.claim_idle == 0 ||
	    endpoint->held >= endpoint->window)
		return;
	for (size_t i = 0; i < streams; i++)
		if (strcmp(endpoint->cursors[i], CURSOR_NEW) != 0)
			return; /* its own pending first */
	endpoint->claim_next = (endpoint->claim_next + 1) % streams;
	endpoint->claiming = event_streams_claim(endpoint->streams,
	    endpoint->claim_next, endpoint->settings.claim_idle,
	    endpoint->window - endpoint->held, on_claimed_entry, on_claim_done,
	    endpoint);
}

bool
hook_endpoint_busy(const struct hook_endpoint *endpoint)
{
	return endpoint->in_flight > 0 || endpoint->reading ||
	       endpoint->claiming || endpoint->dropping ||
	       endpoint->lag_checks > 0;
}

struct hook_endpoint_counters
hook_endpoint_counters(const struct hook_endpoint *endpoint)
{
	return endpoint->counters;
}

void
hook_endpoint_report(const struct hook_endpoint *endpoint)
{
	const struct hook_endpoint_counters *c = &endpoint->counters;

	log_info("webhook %s: delivered=%llu failed_attempts=%llu dead=%llu "
	         "skipped=%llu lost=%llu dropped=%llu claimed=%llu",
	    endpoint->target->name, c->delivered, c->failed, c->dead,
	    c->skipped, c->lost, c->dropped, c->claimed);
}

void
hook_endpoint_free(struct hook_endpoint *endpoint)
{
	if (endpoint == NULL)
		return;
	while (endpoint->head != NULL) {
		struct entry *next = endpoint->head->next;

		entry_free(endpoint->head);
		endpoint->head = next;
	}
	for (size_t i = 0; i < event_streams_count(endpoint->streams); i++)
		free(endpoint->cursors[i]);
	free(endpoint->cursors);
	free(endpoint->lags);
	free(endpoint->last_ids);
	event_streams_free(endpoint->streams);
	event_free(endpoint->soon);
	free(endpoint);
}
