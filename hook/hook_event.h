/*
 * hook_event.h - one event of a stream, checked before it is sent
 */
#ifndef WAYPOST_HOOK_EVENT_H
#define WAYPOST_HOOK_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#define HOOK_EVENT_ID_MAX   128
#define HOOK_EVENT_TYPE_MAX 32
#define HOOK_EVENT_SIZE_MAX (64 * 1024)

struct hook_event {
	char id[HOOK_EVENT_ID_MAX + 1];
	char type[HOOK_EVENT_TYPE_MAX + 1];
	char message[HOOK_EVENT_ID_MAX + 1]; /* QUEUEID.FIRSTSEEN of id */
};

bool hook_event_read(const char *json, size_t length, struct hook_event *event,
    char *error, size_t error_size);

#endif
