/*
 * test_config_value.c - the typed value parsers and their canonical forms
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "config_value.h"
#include "socket_spec.h"
#include "unit_test.h"

static void
test_durations(void **state)
{
	long long ms;

	(void)state;
	assert_true(config_parse_duration("90s", &ms));
	assert_int_equal(ms, 90000);
	assert_true(config_parse_duration("15m", &ms));
	assert_int_equal(ms, 900000);
	assert_true(config_parse_duration("1h", &ms));
	assert_int_equal(ms, 3600000);
	assert_true(config_parse_duration("1d", &ms));
	assert_int_equal(ms, 86400000);
	assert_true(config_parse_duration("2w", &ms));
	assert_int_equal(ms, 14LL * 86400000);
	assert_true(config_parse_duration("250ms", &ms));
	assert_int_equal(ms, 250);
	assert_true(config_parse_duration("30", &ms));
	assert_int_equal(ms, 30000);
	assert_true(config_parse_duration("0", &ms));
	assert_int_equal(ms, 0);
	assert_false(config_parse_duration("", &ms));
	assert_false(config_parse_duration("h", &ms));
	assert_false(config_parse_duration("-1s", &ms));
	assert_false(config_parse_duration("1.5h", &ms));
	assert_false(config_parse_duration("1 h", &ms));
	assert_false(config_parse_duration("1H", &ms));
	assert_false(config_parse_duration("1y", &ms));
	assert_false(config_parse_duration("99999999999999999999s", &ms));
	assert_false(config_parse_duration("9223372036854775w", &ms));
}

static void
test_duration_format(void **state)
{
	char out[32];

	(void)state;
	config_format_duration(90000, out, sizeof(out));
	assert_string_equal(out, "90s");
	config_format_duration(900000, out, sizeof(out));
	assert_string_equal(out, "15m");
	config_format_duration(86400000, out, sizeof(out));
	assert_string_equal(out, "1d");
	config_format_duration(1500, out, sizeof(out));
	assert_string_equal(out, "1500ms");
	config_format_duration(0, out, sizeof(out));
	assert_string_equal(out, "0s");
}

static void
test_sizes(void **state)
{
	long long bytes;
	char out[32];

	(void)state;
	assert_true(config_parse_size("10M", &bytes));
	assert_int_equal(bytes, 10 * 1024 * 1024);
	assert_true(config_parse_size("64k", &bytes));
	assert_int_equal(bytes, 65536);
	assert_true(config_parse_size("1G", &bytes));
	assert_int_equal(bytes, 1024LL * 1024 * 1024);
	assert_true(config_parse_size("512", &bytes));
	assert_int_equal(bytes, 512);
	assert_false(config_parse_size("10MB", &bytes));
	assert_false(config_parse_size("M", &bytes));
	assert_false(config_parse_size("10T", &bytes));
	assert_false(config_parse_size("99999999999999G", &bytes));
	config_format_size(10 * 1024 * 1024, out, sizeof(out));
	assert_string_equal(out, "10M");
	config_format_size(1536, out, sizeof(out));
	assert_string_equal(out, "1536");
	config_format_size(0, out, sizeof(out));
	assert_string_equal(out, "0");
}

static void
test_booleans(void **state)
{
	bool value;

	(void)state;
	for (const char *const *t =
	         (const char *const[]){"yes", "YES", "true", "on", "1", NULL};
	     *t; t++) {
		value = false;
		assert_true(config_parse_bool(*t, &value));
		assert_true(value);
	}
	for (const char *const *f =
	         (const char *const[]){"no", "False", "off", "0", NULL};
	     *f; f++) {
		value = true;
		assert_true(config_parse_bool(*f, &value));
		assert_false(value);
	}
	assert_false(config_parse_bool("", &value));
	assert_false(config_parse_bool("y", &value));
	assert_false(config_parse_bool("yess", &value));
}

static bool
parse(const struct config_key *key, const char *text, void *target, char *error)
{
	return config_value_parse(key, text, target, error, 256);
}

static void
test_integers_and_bounds(void **state)
{
	struct config_key key = {
	    "n", CONFIG_INTEGER, 0, NULL, 0, -5, 100, NULL};
	long long value;
	char error[256];

	(void)state;
	assert_true(parse(&key, "100", &value, error));
	assert_int_equal(value, 100);
	assert_true(parse(&key, "-5", &value, error));
	assert_int_equal(value, -5);
	assert_false(parse(&key, "101", &value, error));
	assert_string_equal(error, "must be between -5 and 100");
	assert_false(parse(&key, "12abc", &value, error));
	assert_string_equal(
	    error, "bad value \"12abc\": expected a whole number");
	assert_false(parse(&key, "", &value, error));
	assert_false(parse(&key, "+3", &value, error));
	assert_false(parse(&key, "99999999999999999999", &value, error));
}

static void
test_modes(void **state)
{
	struct config_key key = {"m", CONFIG_MODE, 0, NULL, 0, 0, 0777, NULL};
	unsigned mode;
	char error[256], out[16];

	(void)state;
	assert_true(parse(&key, "0660", &mode, error));
	assert_int_equal(mode, 0660);
	assert_true(parse(&key, "600", &mode, error));
	assert_int_equal(mode, 0600);
	config_value_format(&key, &mode, out, sizeof(out));
	assert_string_equal(out, "0600");
	assert_false(parse(&key, "4755", &mode, error));
	assert_string_equal(error, "must be between 0000 and 0777");
	assert_false(parse(&key, "0680", &mode, error));
	assert_false(parse(&key, "06600", &mode, error));
}

static void
test_choices(void **state)
{
	static const char *const choices[] = {"tempfail", "accept", NULL};
	struct config_key key = {"c", CONFIG_CHOICE, 0, NULL, 0, 0, 0, choices};
	int value;
	char error[256];

	(void)state;
	assert_true(parse(&key, "accept", &value, error));
	assert_int_equal(value, 1);
	assert_false(parse(&key, "Accept", &value, error));
	assert_string_equal(
	    error, "bad value \"Accept\": expected one of tempfail, accept");
}

static void
test_lists(void **state)
{
	struct config_key key = {"l", CONFIG_LIST, 0, NULL, 0, 0, 0, NULL};
	struct config_list list;
	char error[256], out[256], text[4096];
	size_t used = 0;

	(void)state;
	assert_true(parse(&key, " From,To ,\tCc  Subject, ", &list, error));
	assert_int_equal(list.count, 4);
	assert_string_equal(list.items[0], "From");
	assert_string_equal(list.items[3], "Subject");
	config_value_format(&key, &list, out, sizeof(out));
	assert_string_equal(out, "From, To, Cc, Subject");
	config_value_free(&key, &list);
	assert_int_equal(list.count, 0);
	for (int i = 0; i < 257; i++)
		used += (size_t)sprintf(text + used, "h%d ", i);
	assert_false(parse(&key, text, &list, error));
	assert_string_equal(error, "more than 256 items");
	assert_int_equal(list.count, 0);
}

static void
test_paths_and_accounts(void **state)
{
	struct config_key path = {"p", CONFIG_PATH, 0, NULL, 0, 0, 0, NULL};
	struct config_key user = {"u", CONFIG_USER, 0, NULL, 0, 0, 0, NULL};
	struct config_key group = {"g", CONFIG_GROUP, 0, NULL, 0, 0, 0, NULL};
	char *value = NULL;
	char error[256];

	(void)state;
	assert_true(parse(&path, "/etc/waypost/keys", &value, error));
	config_value_free(&path, &value);
	assert_null(value);
	assert_false(parse(&path, "etc/keys", &value, error));
	assert_true(parse(&user, "root", &value, error));
	assert_string_equal(value, "root");
	config_value_free(&user, &value);
	assert_false(parse(&user, "root;rm", &value, error));
	assert_string_equal(error, "bad user name \"root;rm\"");
	assert_false(parse(&user, "-root", &value, error));
	assert_true(parse(&group, "root", &value, error));
	config_value_free(&group, &value);
	assert_false(parse(&group, "waypost-no-such-group", &value, error));
	assert_string_equal(error, "no such group \"waypost-no-such-group\"");
}

static void
test_is_set(void **state)
{
	struct config_key string = {"s", CONFIG_STRING, 0, NULL, 0, 0, 0, NULL};
	struct config_key socket = {"s", CONFIG_SOCKET, 0, NULL, 0, 0, 0, NULL};
	struct config_key flag = {"b", CONFIG_BOOL, 0, NULL, 0, 0, 0, NULL};
	char *text = NULL;
	struct socket_spec spec;
	bool value = false;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	assert_false(config_value_is_set(&string, &text));
	assert_false(config_value_is_set(&socket, &spec));
	assert_true(config_value_is_set(&flag, &value));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_durations),
    cmocka_unit_test(test_duration_format),
    cmocka_unit_test(test_sizes),
    cmocka_unit_test(test_booleans),
    cmocka_unit_test(test_integers_and_bounds),
    cmocka_unit_test(test_modes),
    cmocka_unit_test(test_choices),
    cmocka_unit_test(test_lists),
    cmocka_unit_test(test_paths_and_accounts),
    cmocka_unit_test(test_is_set),
};

UNIT_TEST_MAIN(tests)
