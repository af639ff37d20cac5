/*
 * redis_settings.h - a client's own copy of [redis], and its sentinels
 */
#ifndef WAYPOST_REDIS_SETTINGS_H
#define WAYPOST_REDIS_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config_common.h"

void redis_settings_copy(
    struct redis_settings *copy, const struct redis_settings *settings);
void redis_settings_free(struct redis_settings *copy);
bool redis_settings_sentinel(const struct redis_settings *settings,
    size_t index, struct socket_spec *address);

#endif
