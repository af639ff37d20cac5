/*
 * route_decide.h - one route lookup: which source address carries a
 * recipient's mail, charged in Redis
 */
#ifndef WAYPOST_ROUTE_DECIDE_H
#define WAYPOST_ROUTE_DECIDE_H

#include <event2/event.h>

#include "buffer.h"
#include "redis_link.h"

struct route_call;

/* reply: the netstring to send Postfix. */
typedef void (*route_answer)(void *context, const struct buffer *reply);

void route_decide_start(struct event_base *base, struct redis_link *link);
void route_decide_shutdown(void);
struct route_call *route_decide(const char *sender, const char *recipient,
    route_answer answer, void *context, struct buffer *reply);
void route_decide_forget(struct route_call *call);

#endif
