/*
 * test_text_escape.c - untrusted bytes become one safe, unambiguous line
 */
#include "config.h"

#include <string.h>

#include "text_escape.h"
#include "unit_test.h"

static char out[64];

static size_t
escape(const char *in, size_t length)
{
	return text_escape(out, sizeof(out), in, length);
}

static void
test_printable_passes(void **state)
{
	(void)state;
	assert_int_equal(escape("Hello, <a@b.example>!", 21), 21);
	assert_string_equal(out, "Hello, <a@b.example>!");
}

static void
test_controls_are_escaped(void **state)
{
	(void)state;
	escape("a\r\nb\tc\\d", 8);
	assert_string_equal(out, "a\\r\\nb\\tc\\\\d");
	escape("\x1b[31m\x7f", 6);
	assert_string_equal(out, "\\x1b[31m\\x7f");
	escape("caf\xc3\xa9", 5);
	assert_string_equal(out, "caf\\xc3\\xa9");
	escape("nul\0x", 5);
	assert_string_equal(out, "nul\\x00x");
}

static void
test_truncation_keeps_sequences_whole(void **state)
{
	char small[6];

	(void)state;
	/* "ab" + "\x01" needs 2 + 4 bytes and the NUL: only "ab" fits. */
	assert_int_equal(text_escape(small, sizeof(small), "ab\001c", 4), 2);
	assert_string_equal(small, "ab");
	assert_int_equal(text_escape(small, 1, "abc", 3), 0);
	assert_string_equal(small, "");
	assert_int_equal(text_escape(small, 0, "abc", 3), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_printable_passes),
    cmocka_unit_test(test_controls_are_escaped),
    cmocka_unit_test(test_truncation_keeps_sequences_whole),
};

UNIT_TEST_MAIN(tests)
