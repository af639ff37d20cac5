/*
 * hook_stream.h - waypost-hookd's side of Redis: groups, reads, acks, letters
 */
#ifndef WAYPOST_HOOK_STREAM_H
#define WAYPOST_HOOK_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "redis_link.h"

#define HOOK_STREAM_ID_MAX 48

struct hook_streams; /* one webhook's: its keys, group and consumer */

/* An entry read: body NULL when the entry is gone (trimmed). */
typedef void (*hook_stream_entry)(void *context, size_t stream, const char *id,
    const char *body, size_t body_length);
/* The read ended: ok false when Redis did not answer (why says so);
 * counts[i] the entries of stream i. */
typedef void (*hook_stream_read_done)(
    void *context, bool ok, const size_t *counts, const char *why);

struct hook_streams *hook_streams_new(struct redis_link *link,
    const char *prefix, const char *webhook, const char *consumer,
    const char *const *tenants, size_t tenant_count);
size_t hook_streams_count(const struct hook_streams *streams);
const char *hook_streams_key(const struct hook_streams *streams, size_t i);
bool hook_streams_create_groups(struct hook_streams *streams);
bool hook_streams_read(struct hook_streams *streams, const char *const *cursors,
    size_t count, hook_stream_entry entry, hook_stream_read_done done,
    void *context);
bool hook_streams_claim(struct hook_streams *streams, size_t stream,
    long long min_idle_ms, size_t count, hook_stream_entry entry,
    hook_stream_read_done done, void *context);
/* lag -1: Redis could not tell, or did not answer. */
typedef void (*hook_stream_lag_done)(
    void *context, size_t stream, long long lag);
bool hook_streams_lag(struct hook_streams *streams, size_t stream,
    hook_stream_lag_done done, void *context);
bool hook_streams_read_some(struct hook_streams *streams, size_t only,
    const char *const *cursors, size_t count, hook_stream_entry entry,
    hook_stream_read_done done, void *context);
bool hook_streams_ack(
    struct hook_streams *streams, size_t stream, const char *id);
bool hook_streams_dead(struct hook_streams *streams, long long dead_max,
    const char *body, size_t body_length, long status, const char *error,
    int attempts);
bool hook_streams_attempt(struct hook_streams *streams, const char *message,
    const char *line, long long attempts_max, long long ttl_ms);
void hook_streams_closing(struct hook_streams *streams);
void hook_streams_free(struct hook_streams *streams);

#endif
