/*
 * hook_tenants.h - the webhooks operators set in Redis, one per tenant
 */
#ifndef WAYPOST_HOOK_TENANTS_H
#define WAYPOST_HOOK_TENANTS_H

#include <stdbool.h>

#include <event2/event.h>

#include "hook_endpoint.h"
#include "hook_http.h"
#include "hook_tenant_section.h"
#include "redis_link.h"

struct hook_tenants;

struct hook_tenants *hook_tenants_new(struct event_base *base,
    struct redis_link *link, const struct hook_endpoint_settings *settings,
    struct hook_http *http);
void hook_tenants_poll(struct hook_tenants *tenants);
void hook_tenants_tick(struct hook_tenants *tenants, bool check);
void hook_tenants_report(const struct hook_tenants *tenants);
void hook_tenants_stop(struct hook_tenants *tenants);
void hook_tenants_free(struct hook_tenants *tenants);

#endif
