/*
 * redis_link.h - a daemon's Redis connection, in its event loop
 */
#ifndef WAYPOST_REDIS_LINK_H
#define WAYPOST_REDIS_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "buffer.h"
#include "config_common.h"

#define REDIS_LINK_RETRY_MIN_MS 50
#define REDIS_LINK_RETRY_MAX_MS 500
#define REDIS_LINK_STUCK_MS     1000

struct redis_link;
struct redis_call;

/* reply is NULL when Redis did not answer in time, or is not there;
 * why then says which. */
typedef void (*redis_link_done)(
    void *context, const redisReply *reply, const char *why);

struct redis_link *redis_link_new(struct event_base *base,
    const struct redis_settings *settings, const char *script);
struct redis_link *redis_link_new_blocking(struct event_base *base,
    const struct redis_settings *settings, long long block_ms);
struct redis_call *redis_link_eval(struct redis_link *link, struct buffer *text,
    const size_t *lengths, int count, redis_link_done done, void *context);
struct redis_call *redis_link_command(struct redis_link *link,
    struct buffer *text, const size_t *lengths, int count, redis_link_done done,
    void *context);
void redis_link_free(struct redis_link *link);

#endif
