/*
 * redis_pool.h - blocking Redis connections for threads, set up and reused
 */
#ifndef WAYPOST_REDIS_POOL_H
#define WAYPOST_REDIS_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "config_common.h"

#define REDIS_POOL_IDLE_MAX  64
#define REDIS_RETRY_AFTER_MS 1000

struct redis_pool;

struct redis_pool *redis_pool_new(const struct redis_settings *settings);
void redis_pool_follow(struct redis_pool *pool);
redisContext *redis_pool_take(
    struct redis_pool *pool, char *error, size_t error_size);
void redis_pool_give(
    struct redis_pool *pool, redisContext *connection, bool healthy);
void redis_pool_free(struct redis_pool *pool);

#endif
