/*
 * test_hook_attempt.c - an attempt's line: every field in its order,
 * texts escaped as JSON, a text not in UTF-8 replaced by a note
 */
#include "config.h"

#include <string.h>

#include "hook_attempt.h"
#include "unit_test.h"

static const char *
line_of(const struct hook_attempt *attempt)
{
	static struct buffer line;

	if (!hook_attempt_line(attempt, &line))
		fail_msg("no line");
	return buffer_text(&line);
}

static void
test_delivered(void **state)
{
	const struct hook_attempt attempt = {
	    .time = 1796179352,
	    .webhook = "app",
	    .event_id = "4F3A21C0B2.1796179352.1.2",
	    .type = "bounced",
	    .status = 200,
	    .latency_ms = 12,
	};

	(void)state;
	assert_string_equal(line_of(&attempt),
	    "{\"time\":1796179352,\"webhook\":\"app\","
	    "\"event\":\"4F3A21C0B2.1796179352.1.2\",\"type\":\"bounced\","
	    "\"status\":200,\"latency_ms\":12,\"error\":\"\"}");
}

static void
test_texts_escaped(void **state)
{
	const struct hook_attempt attempt = {
	    .time = 1,
	    .webhook = "say \"hi\"\\",
	    .event_id = "a.b.1.1",
	    .type = "delivered",
	    .status = 0,
	    .latency_ms = 5000,
	    .error = "Timeout was reached\n\tafter 5 s: caf\xc3\xa9 /",
	};

	(void)state;
	assert_string_equal(line_of(&attempt),
	    "{\"time\":1,\"webhook\":\"say \\\"hi\\\"\\\\\","
	    "\"event\":\"a.b.1.1\",\"type\":\"delivered\",\"status\":0,"
	    "\"latency_ms\":5000,"
	    "\"error\":\"Timeout was reached\\n\\tafter 5 s: caf\xc3\xa9 /\"}");
}

static void
test_not_utf8(void **state)
{
	const struct hook_attempt attempt = {
	    .time = 1,
	    .webhook = "app",
	    .event_id = "a.b.1.1",
	    .type = "delivered",
	    .status = 500,
	    .latency_ms = 3,
	    .error = "HTTP 500: caf\xe9",
	};

	(void)state;
	assert_string_equal(line_of(&attempt),
	    "{\"time\":1,\"webhook\":\"app\",\"event\":\"a.b.1.1\","
	    "\"type\":\"delivered\",\"status\":500,\"latency_ms\":3,"
	    "\"error\":\"(text not in UTF-8)\"}");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_delivered),
    cmocka_unit_test(test_texts_escaped),
    cmocka_unit_test(test_not_utf8),
};

UNIT_TEST_MAIN(tests)
