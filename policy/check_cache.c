/*
 * NAME
 *	check_cache - checks Redis passed a moment ago, answered again here
 * SYNOPSIS
 *	#include "check_cache.h"
 *
 *	cache = check_cache_new()
 *	bool check_cache_take(cache, key, length, now, &age)
 *	void check_cache_store(cache, key, length, room, now, lifetime)
 *	void check_cache_clear(cache)
 *	void check_cache_free(cache)
 * DESCRIPTION
 *	A check (MAIL, RCPT, DATA) that Redis passed is kept for lifetime
 *	milliseconds under its key (every key and argument of the script
 *	call but the message's own), with its room: how many more requests
 *	of the same kind its limits would still pass. check_cache_take()
 *	answers "passed" again while the entry lives and has room, and
 *	takes one from that room; *age is how long ago Redis answered.
 *	Times are monotonic_ms() values.
 *
 *	The end of the message is never answered from here: it charges
 *	the limits in Redis, and refuses there what is over them, so what
 *	a cached check lets through is still counted exactly.
 *
 *	check_cache_clear() forgets everything (a refusal, a reload).
 * SECURITY
 *	Bounds: CHECK_CACHE_SLOTS entries, each key at most
 *	CHECK_CACHE_KEY_MAX bytes. The slot is chosen by a hash of the key
 *	and a new key replaces the old in it: keys chosen to collide only
 *	make misses, and a hit needs the whole key to match.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_cache.h"
#include "xmalloc.h"

struct slot {
	unsigned char *key; /* NULL: empty */
	size_t length;
	long long stored;  /* when Redis answered */
	long long expires; /* monotonic ms */
	long long room;
};

struct check_cache {
	struct slot slots[CHECK_CACHE_SLOTS];
	size_t used; /* slots with a key */
};

/* FNV-1a, 64 bits. */
static size_t
slot_of(const unsigned char *key, size_t length)
{
	uint64_t hash = 14695981039346656037ULL;

	for (size_t i = 0; i < length; i++) {
		hash ^= key[i];
		hash *= 1099511628211ULL;
	}
	return (size_t)(hash % CHECK_CACHE_SLOTS);
}

static void
slot_empty(struct check_cache *cache, struct slot *slot)
{
	if (slot->key == NULL)
		return;
	free(slot->key);
	memset(slot, 0, sizeof(*slot));
	cache->used--;
}

struct check_cache *
check_cache_new(void)
{
	return xcalloc(1, sizeof(struct check_cache));
}

bool
check_cache_take(struct check_cache *cache, const void *key, size_t length,
    long long now, long long *age)
{
	struct slot *slot;

	if (cache == NULL || length > CHECK_CACHE_KEY_MAX)
		return false;
	slot = &cache->slots[slot_of(key, length)];
	if (slot->key == NULL || slot->length != length ||
	    memcmp(slot->key, key, length) != 0)
		return false;
	if (now >= slot->expires || slot->room <= 0) {
		slot_empty(cache, slot);
		return false;
	}
	slot->room--;
	*age = now - slot->stored;
	return true;
}

void
check_cache_store(struct check_cache *cache, const void *key, size_t length,
    long long room, long long now, long long lifetime)
{
	struct slot *slot;

	if (cache == NULL || length > CHECK_CACHE_KEY_MAX || lifetime <= 0)
		return;
	slot = &cache->slots[slot_of(key, length)];
	slot_empty(cache, slot);
	if (room <= 0)
		return;
	slot->key = xmalloc(length ? length : 1);
	memcpy(slot->key, key, length);
	slot->length = length;
	slot->stored = now;
	slot->expires = now + lifetime;
	slot->room = room;
	cache->used++;
}

void
check_cache_clear(struct check_cache *cache)
{
	if (cache == NULL)
		return;
	for (size_t i = 0; i < CHECK_CACHE_SLOTS && cache->used > 0; i++)
		slot_empty(cache, &cache->slots[i]);
}

void
check_cache_free(struct check_cache *cache)
{
	check_cache_clear(cache);
	free(cache);
}
