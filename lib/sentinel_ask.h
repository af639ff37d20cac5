/*
 * sentinel_ask.h - the master's address from the sentinels, blocking
 */
#ifndef WAYPOST_SENTINEL_ASK_H
#define WAYPOST_SENTINEL_ASK_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "config_common.h"

/* How old a client's word from the sentinels may be. */
#define REDIS_SENTINEL_ASK_MS 1000

bool sentinel_ask_master(const struct redis_settings *settings,
    struct socket_spec *master, char *error, size_t error_size);
bool sentinel_confirm_master(
    redisContext *connection, char *error, size_t error_size);

#endif
