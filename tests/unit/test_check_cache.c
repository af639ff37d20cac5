/*
 * test_check_cache.c - checks kept while they live and have room
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_cache.h"
#include "unit_test.h"

#define KEY "3:key:5:check"

static bool
take(struct check_cache *cache, const char *key, long long now)
{
	long long age = -1;
	bool hit = check_cache_take(cache, key, strlen(key), now, &age);

	if (hit)
		assert_true(age >= 0);
	return hit;
}

static void
store(struct check_cache *cache, const char *key, long long room, long long now,
    long long lifetime)
{
	check_cache_store(cache, key, strlen(key), room, now, lifetime);
}

static void
test_room_is_spent(void **state)
{
	struct check_cache *cache = check_cache_new();
	long long age = 0;

	(void)state;
	assert_false(take(cache, KEY, 1000));
	store(cache, KEY, 2, 1000, 500);
	assert_true(check_cache_take(cache, KEY, strlen(KEY), 1100, &age));
	assert_int_equal(age, 100);
	assert_true(take(cache, KEY, 1100));
	/* Two taken: no room left, Redis must be asked. */
	assert_false(take(cache, KEY, 1100));
	/* A check with no room after it is not kept at all. */
	store(cache, KEY, 0, 1200, 500);
	assert_false(take(cache, KEY, 1200));
	check_cache_free(cache);
}

static void
test_entries_expire(void **state)
{
	struct check_cache *cache = check_cache_new();

	(void)state;
	store(cache, KEY, 100, 1000, 500);
	assert_true(take(cache, KEY, 1499));
	assert_false(take(cache, KEY, 1500));
	assert_false(take(cache, KEY, 1000)); /* gone, not just stale */
	/* No lifetime: nothing kept. */
	store(cache, KEY, 100, 1000, 0);
	assert_false(take(cache, KEY, 1000));
	check_cache_free(cache);
}

static void
test_whole_key_must_match(void **state)
{
	struct check_cache *cache = check_cache_new();
	char other[64], longer[CHECK_CACHE_KEY_MAX + 2];

	(void)state;
	store(cache, KEY, 100, 1000, 500);
	assert_false(take(cache, "3:key:5:checK", 1000));
	assert_false(take(cache, "3:key:5:chec", 1000));
	assert_false(take(cache, "", 1000));
	assert_true(take(cache, KEY, 1000));
	/* Many keys: each found as stored, or (same slot) replaced. */
	for (int i = 0; i < 3 * CHECK_CACHE_SLOTS; i++) {
		snprintf(other, sizeof(other), "key %d", i);
		store(cache, other, 5, 1000, 500);
		assert_true(take(cache, other, 1000));
	}
	/* Over CHECK_CACHE_KEY_MAX: never kept. */
	memset(longer, 'k', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	store(cache, longer, 100, 1000, 500);
	assert_false(take(cache, longer, 1000));
	check_cache_free(cache);
}

static void
test_clear_forgets_everything(void **state)
{
	struct check_cache *cache = check_cache_new();

	(void)state;
	store(cache, KEY, 100, 1000, 500);
	store(cache, "another", 100, 1000, 500);
	check_cache_clear(cache);
	assert_false(take(cache, KEY, 1000));
	assert_false(take(cache, "another", 1000));
	check_cache_clear(cache);
	store(cache, KEY, 100, 1000, 500);
	assert_true(take(cache, KEY, 1000));
	check_cache_free(cache);
	/* No cache (check_cache_time = 0): never a hit. */
	assert_false(take(NULL, KEY, 1000));
	check_cache_clear(NULL);
	check_cache_free(NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_room_is_spent),
    cmocka_unit_test(test_entries_expire),
    cmocka_unit_test(test_whole_key_must_match),
    cmocka_unit_test(test_clear_forgets_everything),
};

UNIT_TEST_MAIN(tests)
