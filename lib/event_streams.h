/*
 * event_streams.h - a consumer group's reads of event streams in Redis
 */
#ifndef WAYPOST_EVENT_STREAMS_H
#define WAYPOST_EVENT_STREAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "redis_link.h"
#include "script_words.h"

#define EVENT_STREAM_ID_MAX 48

struct event_streams; /* a reader's: its keys, group and consumer */

/* An entry read: body NULL when the entry is gone (trimmed). */
typedef void (*event_stream_entry)(void *context, size_t stream, const char *id,
    const char *body, size_t body_length);
/* The read ended: ok false when Redis did not answer (why says so);
 * counts[i] the entries of stream i. */
typedef void (*event_stream_read_done)(
    void *context, bool ok, const size_t *counts, const char *why);

struct event_streams *event_streams_new(struct redis_link *link,
    const char *prefix, const char *group, const char *label,
    const char *consumer, const char *const *tenants, size_t tenant_count);
size_t event_streams_count(const struct event_streams *streams);
const char *event_streams_key(const struct event_streams *streams, size_t i);
bool event_streams_create_groups(struct event_streams *streams);
bool event_streams_read(struct event_streams *streams,
    const char *const *cursors, size_t count, event_stream_entry entry,
    event_stream_read_done done, void *context);
bool event_streams_claim(struct event_streams *streams, size_t stream,
    long long min_idle_ms, size_t count, event_stream_entry entry,
    event_stream_read_done done, void *context);
/* lag -1: Redis could not tell, or did not answer. */
typedef void (*event_stream_lag_done)(
    void *context, size_t stream, long long lag);
bool event_streams_lag(struct event_streams *streams, size_t stream,
    event_stream_lag_done done, void *context);
bool event_streams_read_some(struct event_streams *streams, size_t only,
    const char *const *cursors, size_t count, event_stream_entry entry,
    event_stream_read_done done, void *context);
bool event_streams_ack(
    struct event_streams *streams, size_t stream, const char *id);
bool event_streams_ack_ids(struct event_streams *streams, size_t stream,
    const char *const *ids, size_t count);
/* Any other command (words freed), its reply checked for errors. */
void event_streams_checked(
    void *streams, const redisReply *reply, const char *why);
bool event_streams_send_then(struct event_streams *streams,
    struct script_words *words, redis_link_done done, void *context);
bool event_streams_send(
    struct event_streams *streams, struct script_words *words);
const char *event_streams_prefix(const struct event_streams *streams);
void event_streams_closing(struct event_streams *streams);
void event_streams_free(struct event_streams *streams);

bool event_streams_consumer_valid(const char *name);
void event_streams_consumer(const char *configured, char *out, size_t out_size);

#endif
