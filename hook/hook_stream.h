/*
 * hook_stream.h - waypost-hookd's own keys: dead letters and attempts
 */
#ifndef WAYPOST_HOOK_STREAM_H
#define WAYPOST_HOOK_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "event_streams.h"

#define HOOK_STREAM_GROUP "waypost-hookd:" /* then the webhook's name */

bool hook_streams_dead(struct event_streams *streams, const char *webhook,
    long long dead_max, const char *body, size_t body_length, long status,
    const char *error, int attempts);
bool hook_streams_attempt(struct event_streams *streams, const char *message,
    const char *line, long long attempts_max, long long ttl_ms);

#endif
