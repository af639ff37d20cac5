/*
 * route_event.h - what settling reads of a delivery event
 */
#ifndef WAYPOST_ROUTE_EVENT_H
#define WAYPOST_ROUTE_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTE_EVENT_MAX          (64 * 1024) /* bytes of one event's JSON */
#define ROUTE_EVENT_FIELD_MAX    320         /* an address, with room */
#define ROUTE_EVENT_SERVICE_MAX  100
#define ROUTE_EVENT_QUEUE_ID_MAX 32

struct route_event {
	bool reached; /* delivered or bounced: the provider had it */
	char queue_id[ROUTE_EVENT_QUEUE_ID_MAX + 1];
	char service[ROUTE_EVENT_SERVICE_MAX + 1];
	char recipient[ROUTE_EVENT_FIELD_MAX + 1]; /* lower case */
};

bool route_event_parse(const char *json, size_t length,
    struct route_event *event, char *error, size_t error_size);

#endif
