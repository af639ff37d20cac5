/*
 * NAME
 *	redis_settings - a client's own copy of [redis], and its sentinels
 * SYNOPSIS
 *	#include "redis_settings.h"
 *
 *	void redis_settings_copy(copy, settings)
 *	void redis_settings_free(copy)
 *	bool redis_settings_sentinel(settings, index, address)
 * DESCRIPTION
 *	A Redis client (redis_link.c, redis_pool.c) is made once and
 *	connects again long after a reload has freed the configuration it
 *	came from: redis_settings_copy() gives it copies of every string
 *	and list of settings, which redis_settings_free() frees.
 *
 *	redis_settings_sentinel() reads the address of the sentinel at
 *	index in settings' sentinels, HOST:PORT as redis_config_validate()
 *	accepted it; false past the last one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "redis_settings.h"
#include "xmalloc.h"

static char *
copy_text(const char *text)
{
	return text != NULL ? xstrdup(text) : NULL;
}

void
redis_settings_copy(
    struct redis_settings *copy, const struct redis_settings *settings)
{
	*copy = *settings;
	copy->username = copy_text(settings->username);
	copy->password = copy_text(settings->password);
	copy->prefix = copy_text(settings->prefix);
	copy->master_name = copy_text(settings->master_name);
	copy->sentinel_password = copy_text(settings->sentinel_password);
	copy->sentinels.items = NULL;
	if (settings->sentinels.count > 0)
		copy->sentinels.items = xcalloc(
		    settings->sentinels.count, sizeof(*copy->sentinels.items));
	for (size_t i = 0; i < settings->sentinels.count; i++)
		copy->sentinels.items[i] =
		    xstrdup(settings->sentinels.items[i]);
}

void
redis_settings_free(struct redis_settings *copy)
{
	free(copy->username);
	free(copy->password);
	free(copy->prefix);
	free(copy->master_name);
	free(copy->sentinel_password);
	for (size_t i = 0; i < copy->sentinels.count; i++)
		free(copy->sentinels.items[i]);
	free(copy->sentinels.items);
	memset(copy, 0, sizeof(*copy));
}

bool
redis_settings_sentinel(const struct redis_settings *settings, size_t index,
    struct socket_spec *address)
{
	char error[256];

	return index < settings->sentinels.count &&
	       socket_spec_parse_address(settings->sentinels.items[index],
	           address, error, sizeof(error)) &&
	       address->kind != SOCKET_UNIX;
}
