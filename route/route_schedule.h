/*
 * route_schedule.h - a pool's warm-up schedules, one per provider
 */
#ifndef WAYPOST_ROUTE_SCHEDULE_H
#define WAYPOST_ROUTE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

/* One provider's daily caps: caps[day], the last holding on after. */
struct route_schedule {
	char *provider; /* NULL: the providers no other schedule names */
	size_t count;
	long long *caps; /* ROUTE_CAP_UNLIMITED or 0..ROUTE_CAP_MAX */
};

struct route_schedules {
	size_t count;
	struct route_schedule *items;
};

bool route_schedules_parse(const struct config_list *words,
    struct route_schedules *out, char *error, size_t error_size);
const struct route_schedule *route_schedules_find(
    const struct route_schedules *schedules, const char *provider);
void route_schedules_free(struct route_schedules *schedules);

#endif
