/*
 * route_settle.h - the delivery events that settle waypost-routed's charges
 */
#ifndef WAYPOST_ROUTE_SETTLE_H
#define WAYPOST_ROUTE_SETTLE_H

#include <event2/event.h>

void route_settle_start(struct event_base *base, const char *script);
void route_settle_stop(void);

#endif
