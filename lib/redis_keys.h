/*
 * redis_keys.h - the name of every Redis key Waypost reads or writes
 */
#ifndef WAYPOST_REDIS_KEYS_H
#define WAYPOST_REDIS_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

/* Each key, after the [redis] prefix; of two parts, the first is
 * written with ":" and "%" escaped (redis_keys.c), the last as it is;
 * a part in braces is the key's Redis Cluster hash tag. */
enum redis_key {
	REDIS_KEY_INSTANCE,          /* instance:{TENANT}:INSTANCE */
	REDIS_KEY_SUSPENDED_USER,    /* suspended:user:{USER} */
	REDIS_KEY_SUSPENDED_DOMAIN,  /* suspended:domain:DOMAIN */
	REDIS_KEY_SENDERS,           /* senders:{USER} */
	REDIS_KEY_CLIENTS,           /* clients:{USER} */
	REDIS_KEY_FAILURES,          /* failures:{USER} */
	REDIS_KEY_WARMUP,            /* warmup:NAME:{SUBJECT} */
	REDIS_KEY_LIMIT,             /* limit:NAME:{SUBJECT} */
	REDIS_KEY_OVERRIDE,          /* override:{SUBJECT} */
	REDIS_KEY_SUPPRESSED,        /* suppressed:{TENANT}:ADDRESS */
	REDIS_KEY_SUPPRESSED_ANY,    /* suppressed-any:ADDRESS */
	REDIS_KEY_TRACK_POSITION,    /* track-position:RELAY */
	REDIS_KEY_MESSAGE,           /* message:RELAY:QUEUEID.FIRSTSEEN */
	REDIS_KEY_QUEUE_ID,          /* queue-id:RELAY:QUEUEID */
	REDIS_KEY_MESSAGE_ID,        /* message-id:MESSAGEID */
	REDIS_KEY_EVENTS,            /* events (NAME "") */
	REDIS_KEY_TENANT_EVENTS,     /* events:TENANT */
	REDIS_KEY_EXPIRATIONS,       /* expirations:{TENANT}:ADDRESS */
	REDIS_KEY_BOUNCE_RATE,       /* bounce-rate:{TENANT} */
	REDIS_KEY_HOOK_DEAD,         /* hook-dead:WEBHOOK */
	REDIS_KEY_HOOK_ATTEMPTS,     /* hook-attempts:QUEUEID.FIRSTSEEN */
	REDIS_KEY_WEBHOOKS,          /* webhooks (NAME "") */
	REDIS_KEY_WEBHOOK,           /* webhook:TENANT */
	REDIS_KEY_AUDIT,             /* audit (NAME "") */
	REDIS_KEY_ACTIVITY,          /* activity:KIND:HOUR */
	REDIS_KEY_SOURCES,           /* sources:{POOL} */
	REDIS_KEY_SOURCES_SUSPENDED, /* sources-suspended:{POOL} */
	REDIS_KEY_SOURCES_RESERVED,  /* sources-reserved:{POOL}:DAY */
	REDIS_KEY_SOURCES_SETTLED,   /* sources-settled:{POOL} */
	REDIS_KEY_COUNT
};

int redis_key_parts(enum redis_key key);
size_t redis_key_append(struct buffer *out, const char *prefix,
    enum redis_key key, const char *name, const char *subject);
size_t redis_key_append_pattern(struct buffer *out, const char *prefix,
    enum redis_key key, const char *name, const char *subject);
bool redis_key_parse(const char *text, const char *prefix, enum redis_key key,
    struct buffer *name, struct buffer *subject);

#endif
