/*
 * route_usage.h - an address's warm-up state at a provider, read as
 * route_script.lua reads it
 */
#ifndef WAYPOST_ROUTE_USAGE_H
#define WAYPOST_ROUTE_USAGE_H

#include <stdbool.h>

#include "buffer.h"
#include "route_schedule.h"

struct route_usage {
	bool started;   /* it has carried mail to the provider */
	long long day;  /* of its schedule, today */
	long long cap;  /* today's; ROUTE_CAP_UNLIMITED for none */
	long long sent; /* today */
};

void route_usage_read(const struct route_schedule *schedule, const char *state,
    long long today, struct route_usage *usage);
void route_field_append(
    struct buffer *out, const char *address, const char *provider);

#endif
