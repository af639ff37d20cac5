/*
 * test_stream_id.c - Redis stream entry ids: which texts are ids, and
 * their order as numbers, as Redis orders them (not as texts)
 */
#include "config.h"

#include <string.h>

#include "stream_id.h"
#include "unit_test.h"

static void
test_valid(void **state)
{
	char longest[STREAM_ID_MAX + 8];

	(void)state;
	assert_true(stream_id_valid("0-0"));
	assert_true(stream_id_valid("1764600000000-12"));
	assert_true(
	    stream_id_valid("18446744073709551615-18446744073709551615"));
	assert_false(stream_id_valid(""));
	assert_false(stream_id_valid("$"));
	assert_false(stream_id_valid(">"));
	assert_false(stream_id_valid("1764600000000"));
	assert_false(stream_id_valid("1764600000000-"));
	assert_false(stream_id_valid("-1"));
	assert_false(stream_id_valid("1--1"));
	assert_false(stream_id_valid("1-+1"));
	assert_false(stream_id_valid(" 1-1"));
	assert_false(stream_id_valid("1-1 "));
	assert_false(stream_id_valid("1-1x"));
	/* Beyond 64 bits. */
	assert_false(stream_id_valid("18446744073709551616-0"));
	/* Too long for the buffers that keep ids, whatever the digits. */
	memset(longest, '0', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	longest[10] = '-';
	assert_false(stream_id_valid(longest));
	longest[STREAM_ID_MAX] = '\0'; /* no room for its NUL */
	assert_false(stream_id_valid(longest));
	longest[STREAM_ID_MAX - 1] = '\0';
	assert_true(stream_id_valid(longest));
}

static void
test_order(void **state)
{
	(void)state;
	assert_int_equal(stream_id_compare("1-0", "1-0"), 0);
	assert_true(stream_id_compare("9-0", "10-0") < 0);
	assert_true(stream_id_compare("10-0", "9-0") > 0);
	assert_true(stream_id_compare("5-9", "5-10") < 0);
	assert_true(stream_id_compare("6-0", "5-99") > 0);
	assert_int_equal(stream_id_compare("007-1", "7-1"), 0);
	/* An invalid id counts as 0-0. */
	assert_true(stream_id_compare("$", "0-1") < 0);
	assert_int_equal(stream_id_compare("x", "0-0"), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid),
    cmocka_unit_test(test_order),
};

UNIT_TEST_MAIN(tests)
