/*
 * test_text_copy.c - a string copied into a fixed array, cut to fit
 */
#include "config.h"

#include <string.h>

#include "text_copy.h"
#include "unit_test.h"

static void
test_a_string_that_fits_is_copied_whole(void **state)
{
	char to[8];

	(void)state;
	memset(to, 'x', sizeof(to));
	assert_int_equal(text_copy(to, sizeof(to), "DUNNO"), 5);
	assert_string_equal(to, "DUNNO");
	assert_int_equal(text_copy(to, sizeof(to), "1234567"), 7);
	assert_string_equal(to, "1234567");
	assert_int_equal(text_copy(to, sizeof(to), ""), 0);
	assert_string_equal(to, "");
}

static void
test_a_longer_string_is_cut_and_terminated(void **state)
{
	char to[8];

	(void)state;
	memset(to, 'x', sizeof(to));
	assert_int_equal(text_copy(to, sizeof(to), "12345678"), 8);
	assert_string_equal(to, "1234567");
	assert_int_equal(text_copy(to, 1, "abc"), 3);
	assert_string_equal(to, "");
	to[0] = 'x';
	assert_int_equal(text_copy(to, 0, "abc"), 3);
	assert_int_equal(to[0], 'x'); /* size 0: nothing written */
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_a_string_that_fits_is_copied_whole),
    cmocka_unit_test(test_a_longer_string_is_cut_and_terminated),
};

UNIT_TEST_MAIN(tests)
