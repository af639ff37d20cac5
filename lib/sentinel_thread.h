/*
 * sentinel_thread.h - the sentinels watched from a thread of its own, for
 * blocking clients
 */
#ifndef WAYPOST_SENTINEL_THREAD_H
#define WAYPOST_SENTINEL_THREAD_H

#include <stddef.h>

#include "config_common.h"
#include "sentinel_watch.h"

struct sentinel_thread;

struct sentinel_thread *sentinel_thread_start(
    const struct redis_settings *settings, sentinel_found found, void *context,
    char *error, size_t error_size);
void sentinel_thread_stop(struct sentinel_thread *thread);

#endif
