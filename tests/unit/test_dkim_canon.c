/*
 * test_dkim_canon.c - RFC 6376 canonicalization, body and headers
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"
#include "unit_test.h"

static void
collect(void *context, const char *data, size_t length)
{
	buffer_append(context, data, length);
}

/* Canonicalize body in chunks of chunk bytes (0: all at once). */
static char *
body(enum canon_mode mode, const char *text, size_t length, size_t chunk)
{
	static struct buffer out;
	struct body_canon *canon = malloc(sizeof(*canon));

	buffer_reset(&out);
	buffer_append(&out, "", 0);
	body_canon_init(canon, mode, collect, &out);
	if (chunk == 0)
		chunk = length ? length : 1;
	for (size_t done = 0; done < length; done += chunk)
		body_canon_update(canon, text + done,
		    length - done < chunk ? length - done : chunk);
	body_canon_final(canon);
	free(canon);
	return out.data;
}

#define SIMPLE(text)  body(CANON_SIMPLE, text, sizeof(text) - 1, 0)
#define RELAXED(text) body(CANON_RELAXED, text, sizeof(text) - 1, 0)

static void
test_rfc6376_example(void **state)
{
	/* RFC 6376 3.4.6 */
	const char input[] = " C \r\nD \t E\r\n\r\n\r\n";

	(void)state;
	assert_string_equal(RELAXED(input), " C\r\nD E\r\n");
	assert_string_equal(SIMPLE(input), " C \r\nD \t E\r\n");
}

static void
test_empty_body(void **state)
{
	(void)state;
	assert_string_equal(SIMPLE(""), "\r\n");
	assert_string_equal(RELAXED(""), "");
	assert_string_equal(SIMPLE("\r\n\r\n\r\n"), "\r\n");
	assert_string_equal(RELAXED("\r\n \t \r\n"), "");
}

static void
test_missing_final_crlf(void **state)
{
	(void)state;
	assert_string_equal(SIMPLE("a\r\nb"), "a\r\nb\r\n");
	assert_string_equal(RELAXED("a\r\nb  "), "a\r\nb\r\n");
	assert_string_equal(SIMPLE("a\r"), "a\r\r\n");
}

static void
test_inner_empty_lines_stay(void **state)
{
	(void)state;
	assert_string_equal(
	    SIMPLE("a\r\n\r\n\r\nb\r\n\r\n"), "a\r\n\r\n\r\nb\r\n");
	assert_string_equal(
	    RELAXED("a\r\n  \r\n\t\r\nb\r\n"), "a\r\n\r\n\r\nb\r\n");
	assert_string_equal(SIMPLE("  \r\n"), "  \r\n");
}

static void
test_relaxed_whitespace(void **state)
{
	(void)state;
	assert_string_equal(
	    RELAXED("  lead\t\ttab  mid  \r\n"), " lead tab mid\r\n");
	assert_string_equal(RELAXED("a \r\r\n"), "a \r\r\n");
	/* Lone spaces inside a run stay; the rest collapse or go. */
	assert_string_equal(RELAXED("one two three  four \t five \r\n"),
	    "one two three four five\r\n");
	assert_string_equal(RELAXED("a b\tc \n"), "a b c\r\n");
}

static void
test_bare_lf_is_a_line_end(void **state)
{
	(void)state;
	assert_string_equal(SIMPLE("a\nb\n\n"), "a\r\nb\r\n");
	assert_string_equal(RELAXED("a \n\n c\n"), "a\r\n\r\n c\r\n");
}

static void
test_chunking_does_not_matter(void **state)
{
	const char input[] = "x  y \r\n\r\n \r\nz\r\r\n\n a\t\r\n\r\n\r";
	char whole[2][128];

	(void)state;
	for (int mode = 0; mode < 2; mode++)
		strcpy(whole[mode], body(mode, input, sizeof(input) - 1, 0));
	for (size_t chunk = 1; chunk < sizeof(input); chunk++)
		for (int mode = 0; mode < 2; mode++)
			assert_string_equal(
			    body(mode, input, sizeof(input) - 1, chunk),
			    whole[mode]);
}

static void
test_many_trailing_lines_cost_no_memory(void **state)
{
	size_t lines = 1000000;
	char *input = malloc(lines * 2 + 3);

	(void)state;
	input[0] = 'a';
	for (size_t i = 0; i < lines; i++)
		memcpy(input + 1 + 2 * i, "\r\n", 2);
	input[1 + 2 * lines] = '\0';
	assert_string_equal(
	    body(CANON_SIMPLE, input, 1 + 2 * lines, 4096), "a\r\n");
	input[1 + 2 * lines] = 'b';
	assert_int_equal(
	    strlen(body(CANON_RELAXED, input, 2 + 2 * lines, 4096)),
	    2 * lines + 4);
	free(input);
}

static char *
header(enum canon_mode mode, const char *name, const char *value)
{
	static struct buffer out;

	buffer_reset(&out);
	canon_header(mode, name, value, &out);
	return out.data;
}

static void
test_headers(void **state)
{
	(void)state;
	/* RFC 6376 3.4.6: "A: X" and "B : Y<TAB><CRLF><TAB>Z  " */
	assert_string_equal(header(CANON_RELAXED, "A", " X"), "a:X\r\n");
	assert_string_equal(
	    header(CANON_RELAXED, "B ", " Y\t\r\n\tZ  "), "b:Y Z\r\n");
	assert_string_equal(header(CANON_SIMPLE, "B ", " Y\t\r\n\tZ  "),
	    "B : Y\t\r\n\tZ  \r\n");
	/* Postfix joins folded lines with a bare LF. */
	assert_string_equal(
	    header(CANON_SIMPLE, "Subject", " a\n b"), "Subject: a\r\n b\r\n");
	assert_string_equal(
	    header(CANON_RELAXED, "SUBject", " a\n\t b"), "subject:a b\r\n");
	assert_string_equal(header(CANON_RELAXED, "X", ""), "x:\r\n");
	assert_string_equal(header(CANON_RELAXED, "X", "  \t "), "x:\r\n");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc6376_example),
    cmocka_unit_test(test_empty_body),
    cmocka_unit_test(test_missing_final_crlf),
    cmocka_unit_test(test_inner_empty_lines_stay),
    cmocka_unit_test(test_relaxed_whitespace),
    cmocka_unit_test(test_bare_lf_is_a_line_end),
    cmocka_unit_test(test_chunking_does_not_matter),
    cmocka_unit_test(test_many_trailing_lines_cost_no_memory),
    cmocka_unit_test(test_headers),
};

UNIT_TEST_MAIN(tests)
