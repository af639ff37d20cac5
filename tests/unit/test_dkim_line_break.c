/*
 * test_dkim_line_break.c - body lines broken as Postfix's SMTP client does
 *
 * The expected breaks are those of smtp_text_out() in Postfix's
 * smtp_proto.c: the first limit octets, then CRLF SP and limit - 1 more,
 * for as long as octets follow. test_relay_corpus.py checks the same
 * against a real Postfix and python3-dkim.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_line_break.h"
#include "unit_test.h"

static void
collect(void *context, const char *data, size_t length)
{
	buffer_append(context, data, length);
}

/* text through a line_break of limit, in chunks of chunk (0: whole). */
static char *
broken(size_t limit, const char *text, size_t length, size_t chunk)
{
	static struct buffer out;
	struct line_break lines;

	buffer_reset(&out);
	buffer_append(&out, "", 0);
	line_break_init(&lines, limit, collect, &out);
	if (chunk == 0)
		chunk = length ? length : 1;
	for (size_t done = 0; done < length; done += chunk)
		line_break_update(&lines, text + done,
		    length - done < chunk ? length - done : chunk);
	line_break_final(&lines);
	return out.data;
}

#define BROKEN(limit, text) broken(limit, text, sizeof(text) - 1, 0)

static void
test_short_lines_pass(void **state)
{
	(void)state;
	assert_string_equal(
	    BROKEN(5, "abcde\r\nab\r\n\r\n"), "abcde\r\nab\r\n\r\n");
	assert_string_equal(BROKEN(5, ""), "");
	assert_string_equal(BROKEN(5, "abcde"), "abcde");
}

static void
test_long_lines_break_as_postfix_does(void **state)
{
	(void)state;
	assert_string_equal(BROKEN(5, "abcdef\r\n"), "abcde\r\n f\r\n");
	/* 5, then 4 after each space; no break when nothing follows. */
	assert_string_equal(
	    BROKEN(5, "abcdefghi\r\nx\r\n"), "abcde\r\n fghi\r\nx\r\n");
	assert_string_equal(
	    BROKEN(5, "abcdefghij\r\n"), "abcde\r\n fghi\r\n j\r\n");
	/* A last line without its end, a bare LF, a lone CR (it counts). */
	assert_string_equal(BROKEN(3, "abcd"), "abc\r\n d");
	assert_string_equal(BROKEN(3, "abcd\nef\n"), "abc\r\n d\nef\n");
	assert_string_equal(BROKEN(3, "ab\rcd\r\n"), "ab\r\r\n cd\r\n");
	assert_string_equal(BROKEN(3, "abc\r"), "abc\r\n \r");
}

static void
test_no_limit(void **state)
{
	(void)state;
	assert_string_equal(BROKEN(0, "abcdefghij\r\n"), "abcdefghij\r\n");
}

static void
test_chunking_does_not_matter(void **state)
{
	static const char text[] =
	    "0123456789abcdefghij\r\nshort\r\n\r\nxy\rz0123456789\n"
	    "line of exactly 23 oct\r\n1234567\r";
	char whole[256];

	(void)state;
	for (size_t limit = 2; limit < 25; limit++) {
		snprintf(whole, sizeof(whole), "%s",
		    broken(limit, text, sizeof(text) - 1, 0));
		for (size_t chunk = 1; chunk < sizeof(text); chunk++)
			assert_string_equal(
			    broken(limit, text, sizeof(text) - 1, chunk),
			    whole);
	}
}

static void
test_postfix_default(void **state)
{
	char *line = malloc(3000), *out;

	(void)state;
	memset(line, 'x', 2994);
	memcpy(line + 2994, "\r\n", 3);
	out = broken(LINE_BREAK_DEFAULT, line, 2996, 0);
	/* 998, then 997 + 997 + 2 after a space each: 2994 octets. */
	assert_int_equal(strlen(out), 2996 + 3 * 3);
	assert_memory_equal(out + 998, "\r\n x", 4);
	assert_memory_equal(out + 998 + 3 + 997, "\r\n x", 4);
	assert_memory_equal(out + 998 + 3 + 997 + 3 + 997, "\r\n xx\r\n", 7);
	free(line);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_short_lines_pass),
    cmocka_unit_test(test_long_lines_break_as_postfix_does),
    cmocka_unit_test(test_no_limit),
    cmocka_unit_test(test_chunking_does_not_matter),
    cmocka_unit_test(test_postfix_default),
};

UNIT_TEST_MAIN(tests)
