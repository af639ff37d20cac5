/*
 * sentinel_watch.h - where the master is, from the sentinels, on a loop
 */
#ifndef WAYPOST_SENTINEL_WATCH_H
#define WAYPOST_SENTINEL_WATCH_H

#include <event2/event.h>

#include "config_common.h"

struct sentinel_watch;

/* master is NULL when no sentinel named one; why then says why. */
typedef void (*sentinel_found)(
    void *context, const struct socket_spec *master, const char *why);

struct sentinel_watch *sentinel_watch_new(struct event_base *base,
    const struct redis_settings *settings, sentinel_found found, void *context);
void sentinel_watch_ask(struct sentinel_watch *watch);
void sentinel_watch_free(struct sentinel_watch *watch);

#endif
