/*
 * event_wake.h - a reader of event streams woken by a new entry
 * (event_wake.c)
 */
#ifndef WAYPOST_EVENT_WAKE_H
#define WAYPOST_EVENT_WAKE_H

#include <event2/event.h>

#include "config_common.h"

#define EVENT_WAKE_BLOCK_MAX_MS 500    /* XREAD's BLOCK, at most */
#define EVENT_WAKE_STREAMS_MAX  4096   /* streams known at once */
#define EVENT_WAKE_FORGET_MS    600000 /* a stream not armed for that */

struct event_wake;

typedef void (*event_wake_woken)(void *context);

struct event_wake *event_wake_new(struct event_base *base,
    const struct redis_settings *redis, long long block_ms, long long delay_ms,
    event_wake_woken woken, void *context);
void event_wake_arm(
    struct event_wake *wake, const char *key, const char *last_id);
void event_wake_free(struct event_wake *wake);

#endif
