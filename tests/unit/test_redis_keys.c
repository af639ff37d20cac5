/*
 * test_redis_keys.c - the keys' names: a key of two parts escapes ":"
 * and "%" in its first, a SCAN pattern escapes the glob's characters
 * and matches any part not given, and a key reads back into the parts
 * it was made of
 */
#include "config.h"

#include <string.h>

#include "redis_keys.h"
#include "unit_test.h"

static void
test_keys(void **state)
{
	struct buffer out = {0};

	(void)state;
	redis_key_append(&out, "w:", REDIS_KEY_MESSAGE, "a:b%", "Q1.2");
	assert_string_equal(buffer_text(&out), "w:message:a%3Ab%25:Q1.2");
	buffer_reset(&out);
	redis_key_append(&out, "w:", REDIS_KEY_EVENTS, "", NULL);
	assert_string_equal(buffer_text(&out), "w:events");
	buffer_free(&out);
}

static void
test_patterns(void **state)
{
	struct buffer out = {0};

	(void)state;
	redis_key_append_pattern(
	    &out, "w*:", REDIS_KEY_QUEUE_ID, NULL, "4F3A21C0B2");
	assert_string_equal(buffer_text(&out), "w\\*:queue-id:*:4F3A21C0B2");
	buffer_reset(&out);
	redis_key_append_pattern(&out, "w:", REDIS_KEY_QUEUE_ID, "r:1[", NULL);
	assert_string_equal(buffer_text(&out), "w:queue-id:r%3A1\\[:*");
	buffer_reset(&out);
	redis_key_append_pattern(&out, "w:", REDIS_KEY_MESSAGE_ID, "a?b", NULL);
	assert_string_equal(buffer_text(&out), "w:message-id:a\\?b");
	buffer_reset(&out);
	redis_key_append_pattern(&out, "w:", REDIS_KEY_MESSAGE_ID, NULL, NULL);
	assert_string_equal(buffer_text(&out), "w:message-id:*");
	buffer_free(&out);
}

static void
test_parse(void **state)
{
	struct buffer key = {0}, name = {0};
	const char *subject;

	(void)state;
	redis_key_append(&key, "w:", REDIS_KEY_MESSAGE, "a:b%", "Q1.2");
	assert_true(redis_key_parse(
	    buffer_text(&key), "w:", REDIS_KEY_MESSAGE, &name, &subject));
	assert_string_equal(buffer_text(&name), "a:b%");
	assert_string_equal(subject, "Q1.2");
	assert_false(redis_key_parse(
	    buffer_text(&key), "x:", REDIS_KEY_MESSAGE, &name, &subject));
	assert_false(redis_key_parse(
	    buffer_text(&key), "w:", REDIS_KEY_QUEUE_ID, &name, &subject));
	assert_false(redis_key_parse(
	    "w:message:no-subject", "w:", REDIS_KEY_MESSAGE, &name, &subject));
	assert_true(redis_key_parse(
	    "w:events:t", "w:", REDIS_KEY_TENANT_EVENTS, &name, &subject));
	assert_string_equal(buffer_text(&name), "t");
	assert_null(subject);
	buffer_free(&key);
	buffer_free(&name);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_keys),
    cmocka_unit_test(test_patterns),
    cmocka_unit_test(test_parse),
};

UNIT_TEST_MAIN(tests)
