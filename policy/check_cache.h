/*
 * check_cache.h - checks Redis passed a moment ago, answered again here
 */
#ifndef WAYPOST_CHECK_CACHE_H
#define WAYPOST_CHECK_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#define CHECK_CACHE_SLOTS   4096 /* entries at most */
#define CHECK_CACHE_KEY_MAX 8192 /* longer keys are never kept */

struct check_cache;

struct check_cache *check_cache_new(void);
bool check_cache_take(struct check_cache *cache, const void *key, size_t length,
    long long now, long long *age);
void check_cache_store(struct check_cache *cache, const void *key,
    size_t length, long long room, long long now, long long lifetime);
void check_cache_clear(struct check_cache *cache);
void check_cache_free(struct check_cache *cache);

#endif
