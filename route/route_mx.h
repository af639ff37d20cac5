/*
 * route_mx.h - the MX hosts of recipient domains, looked up on the event
 * loop with c-ares and cached
 */
#ifndef WAYPOST_ROUTE_MX_H
#define WAYPOST_ROUTE_MX_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "config_file.h"

#define ROUTE_MX_HOSTS_MAX  16     /* MX hosts kept per domain */
#define ROUTE_MX_CACHE_MAX  100000 /* domains kept */
#define ROUTE_MX_TIMEOUT_MS 2000   /* one query, its retries included */

struct route_mx;
struct route_mx_wait;

/* hosts: the domain's MX host names, lower case, count of them (0: none,
 * or the lookup failed). */
typedef void (*route_mx_done)(
    void *context, const char *const *hosts, size_t count);

struct route_mx *route_mx_new(struct event_base *base,
    const struct config_list *servers, long long cache_ms, char *error,
    size_t error_size);
struct route_mx_wait *route_mx_lookup(
    struct route_mx *mx, const char *domain, route_mx_done done, void *context);
void route_mx_forget(struct route_mx_wait *wait);
void route_mx_free(struct route_mx *mx);

#endif
