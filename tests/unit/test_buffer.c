/*
 * test_buffer.c - the growable buffer: appends, growth, reset, any bytes
 */
#include "config.h"

#include <string.h>

#include "buffer.h"
#include "unit_test.h"

static void
test_append_and_grow(void **state)
{
	struct buffer buffer = {0};

	(void)state;
	assert_string_equal(buffer_text(&buffer), "");
	for (int i = 0; i < 1000; i++)
		buffer_append_text(&buffer, "abc");
	assert_int_equal(buffer.length, 3000);
	assert_true(buffer.capacity > 3000);
	assert_int_equal(strlen(buffer.data), 3000);
	assert_memory_equal(buffer.data + 2997, "abc", 4);
	buffer_free(&buffer);
	assert_null(buffer.data);
}

static void
test_bytes_printf_and_reset(void **state)
{
	struct buffer buffer = {0};

	(void)state;
	buffer_append(&buffer, "a\0b", 3);
	buffer_append_char(&buffer, 'c');
	assert_int_equal(buffer.length, 4);
	assert_memory_equal(buffer.data, "a\0bc", 5);
	buffer_reset(&buffer);
	assert_int_equal(buffer.length, 0);
	buffer_printf(&buffer, "%s=%d;", "t", 1700000000);
	buffer_printf(&buffer, "%0200d", 7);
	assert_int_equal(buffer.length, 13 + 200);
	assert_memory_equal(buffer.data, "t=1700000000;", 13);
	buffer_free(&buffer);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_append_and_grow),
    cmocka_unit_test(test_bytes_printf_and_reset),
};

UNIT_TEST_MAIN(tests)
