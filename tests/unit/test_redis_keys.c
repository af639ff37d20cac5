/*
 * test_redis_keys.c - the keys' names: a key of two parts escapes ":"
 * and "%" in its first, a SCAN pattern escapes the glob's characters
 * and matches any part not given, the keys of one subject carry it as
 * their hash tag, and a key reads back into the parts it was made of
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

/* The part in braces is what Redis Cluster hashes: one text per subject
 * whatever the kind, even when the subject holds braces or ":". */
static void
test_tags(void **state)
{
	struct buffer out = {0};

	(void)state;
	redis_key_append(&out, "w:", REDIS_KEY_SUSPENDED_USER, "a:b", NULL);
	assert_string_equal(buffer_text(&out), "w:suspended:user:{a:b}");
	buffer_reset(&out);
	redis_key_append(&out, "w:", REDIS_KEY_LIMIT, "hourly", "a:b");
	assert_string_equal(buffer_text(&out), "w:limit:hourly:{a:b}");
	buffer_reset(&out);
	redis_key_append(&out, "w:", REDIS_KEY_SUPPRESSED, "a:b", "c@d");
	assert_string_equal(buffer_text(&out), "w:suppressed:{a%3Ab}:c@d");
	buffer_reset(&out);
	redis_key_append(&out, "w:", REDIS_KEY_INSTANCE, "t", "12.A.0");
	assert_string_equal(buffer_text(&out), "w:instance:{t}:12.A.0");
	buffer_reset(&out);
	redis_key_append(&out, "w:", REDIS_KEY_OVERRIDE, "x}y", NULL);
	assert_string_equal(buffer_text(&out), "w:override:{x}y}");
	buffer_reset(&out);
	redis_key_append(&out, "w:", REDIS_KEY_SUSPENDED_DOMAIN, "d", NULL);
	assert_string_equal(buffer_text(&out), "w:suspended:domain:d");
	buffer_reset(&out);
	redis_key_append(&out, "w:", REDIS_KEY_ACTIVITY, "sent", "");
	assert_string_equal(buffer_text(&out), "w:activity:sent:");
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
	buffer_reset(&out);
	redis_key_append_pattern(
	    &out, "w:", REDIS_KEY_SUPPRESSED, NULL, "a*@b");
	assert_string_equal(buffer_text(&out), "w:suppressed:{*}:a\\*@b");
	buffer_reset(&out);
	redis_key_append_pattern(
	    &out, "w:", REDIS_KEY_SUSPENDED_USER, "u?", NULL);
	assert_string_equal(buffer_text(&out), "w:suspended:user:{u\\?}");
	buffer_free(&out);
}

static void
test_parse(void **state)
{
	struct buffer key = {0}, name = {0}, subject = {0};

	(void)state;
	redis_key_append(&key, "w:", REDIS_KEY_MESSAGE, "a:b%", "Q1.2");
	assert_true(redis_key_parse(
	    buffer_text(&key), "w:", REDIS_KEY_MESSAGE, &name, &subject));
	assert_string_equal(buffer_text(&name), "a:b%");
	assert_string_equal(buffer_text(&subject), "Q1.2");
	assert_false(redis_key_parse(
	    buffer_text(&key), "x:", REDIS_KEY_MESSAGE, &name, &subject));
	assert_false(redis_key_parse(
	    buffer_text(&key), "w:", REDIS_KEY_QUEUE_ID, &name, &subject));
	assert_false(redis_key_parse(
	    "w:message:no-subject", "w:", REDIS_KEY_MESSAGE, &name, &subject));
	assert_true(redis_key_parse(
	    "w:events:t", "w:", REDIS_KEY_TENANT_EVENTS, &name, &subject));
	assert_string_equal(buffer_text(&name), "t");
	assert_int_equal(subject.length, 0);
	buffer_free(&key);
	buffer_free(&name);
	buffer_free(&subject);
}

/* Every tagged kind reads back what it was made of, braces off; a key
 * without its braces is not of the kind. */
static void
test_parse_tags(void **state)
{
	struct buffer key = {0}, name = {0}, subject = {0};

	(void)state;
	redis_key_append(&key, "w:", REDIS_KEY_SUPPRESSED, "a:}b", "c:d}");
	assert_true(redis_key_parse(
	    buffer_text(&key), "w:", REDIS_KEY_SUPPRESSED, &name, &subject));
	assert_string_equal(buffer_text(&name), "a:}b");
	assert_string_equal(buffer_text(&subject), "c:d}");
	buffer_reset(&key);
	redis_key_append(&key, "w:", REDIS_KEY_LIMIT, "hourly", "{x}");
	assert_true(redis_key_parse(
	    buffer_text(&key), "w:", REDIS_KEY_LIMIT, &name, &subject));
	assert_string_equal(buffer_text(&name), "hourly");
	assert_string_equal(buffer_text(&subject), "{x}");
	assert_true(redis_key_parse("w:suspended:user:{u@x}",
	    "w:", REDIS_KEY_SUSPENDED_USER, &name, &subject));
	assert_string_equal(buffer_text(&name), "u@x");
	assert_false(redis_key_parse("w:suspended:user:u@x",
	    "w:", REDIS_KEY_SUSPENDED_USER, &name, &subject));
	assert_false(redis_key_parse("w:suspended:user:{",
	    "w:", REDIS_KEY_SUSPENDED_USER, &name, &subject));
	assert_false(redis_key_parse(
	    "w:suppressed:t:a", "w:", REDIS_KEY_SUPPRESSED, &name, &subject));
	assert_false(redis_key_parse(
	    "w:limit:h:x", "w:", REDIS_KEY_LIMIT, &name, &subject));
	buffer_free(&key);
	buffer_free(&name);
	buffer_free(&subject);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_keys),
    cmocka_unit_test(test_tags),
    cmocka_unit_test(test_patterns),
    cmocka_unit_test(test_parse),
    cmocka_unit_test(test_parse_tags),
};

UNIT_TEST_MAIN(tests)
