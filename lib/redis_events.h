/*
 * redis_events.h - hiredis's asynchronous context on a libevent loop
 */
#ifndef WAYPOST_REDIS_EVENTS_H
#define WAYPOST_REDIS_EVENTS_H

#include <event2/event.h>
#include <hiredis/async.h>

int redis_events_attach(redisAsyncContext *context, struct event_base *base);

#endif
