/*
 * hook_endpoint.h - one webhook's deliveries: reading, sending, retrying
 */
#ifndef WAYPOST_HOOK_ENDPOINT_H
#define WAYPOST_HOOK_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "event_wake.h"
#include "hook_http.h"
#include "hook_target.h"
#include "redis_link.h"

struct hook_endpoint_settings {
	const char *prefix;   /* [redis] prefix */
	const char *consumer; /* [hooks] consumer, or the host's name */
	long long attempts_ttl, attempts_max, dead_max;
	long long claim_idle;    /* 0: never */
	struct event_wake *wake; /* woken by a new entry; NULL: the timer */
};

struct hook_endpoint_counters {
	unsigned long long delivered, failed, dead, skipped, lost, dropped,
	    claimed;
};

struct hook_endpoint;

struct hook_endpoint *hook_endpoint_new(struct event_base *base,
    const struct hook_target *target,
    const struct hook_endpoint_settings *settings, struct redis_link *link,
    struct hook_http *http);
void hook_endpoint_tick(struct hook_endpoint *endpoint);
void hook_endpoint_check(struct hook_endpoint *endpoint);
void hook_endpoint_retire(struct hook_endpoint *endpoint);
void hook_endpoint_stop(struct hook_endpoint *endpoint);
bool hook_endpoint_busy(const struct hook_endpoint *endpoint);
struct hook_endpoint_counters hook_endpoint_counters(
    const struct hook_endpoint *endpoint);
void hook_endpoint_report(const struct hook_endpoint *endpoint);
void hook_endpoint_free(struct hook_endpoint *endpoint);

#endif
