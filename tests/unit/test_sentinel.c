/*
 * test_sentinel.c - [redis] sentinels: the keys, and what sentinels say
 *
 * The [redis] keys of a Sentinel set-up as a config file gives them (a
 * clear error for each bad line), the settings a client copies, and the
 * replies and messages of sentinels and ROLE as lib/sentinel_reply.c
 * reads them, good and bad.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_schema.h"
#include "unit_test.h"
#include "assert_errors.h"
#include "redis_settings.h"
#include "sentinel_reply.h"

static struct config_errors errors;

static struct test_config *
load(const char *text)
{
	memset(&errors, 0, sizeof(errors));
	return config_load_buffer(
	    &test_schema, "test.conf", text, strlen(text), &errors);
}

static void
assert_fails_with(const char *text, const char *expected)
{
	struct test_config *config = load(text);

	if (config != NULL) {
		config_free(&test_schema, config);
		fail_msg("loaded, expected error \"%s\"", expected);
	}
	assert_config_error(&errors, expected);
}

static void
test_sentinel_keys_load(void **state)
{
	struct test_config *config = load("[redis]\n"
	                                  "sentinels = 10.0.0.1:26379, "
	                                  "[2001:db8::1]:26380 s3.example:5\n"
	                                  "master_name = waypost-main_1.x\n");
	struct socket_spec at;

	(void)state;
	assert_non_null(config);
	assert_int_equal(config->redis.sentinels.count, 3);
	assert_string_equal(config->redis.master_name, "waypost-main_1.x");
	assert_null(config->redis.sentinel_password);
	assert_true(redis_settings_sentinel(&config->redis, 0, &at));
	assert_int_equal(at.kind, SOCKET_INET);
	assert_string_equal(at.host, "10.0.0.1");
	assert_int_equal(at.port, 26379);
	assert_true(redis_settings_sentinel(&config->redis, 1, &at));
	assert_int_equal(at.kind, SOCKET_INET6);
	assert_string_equal(at.host, "2001:db8::1");
	assert_true(redis_settings_sentinel(&config->redis, 2, &at));
	assert_string_equal(at.host, "s3.example");
	assert_false(redis_settings_sentinel(&config->redis, 3, &at));
	config_free(&test_schema, config);
}

static void
test_bad_sentinel_lines(void **state)
{
	(void)state;
	assert_fails_with("[redis]\nsentinels = 10.0.0.1:26379\n",
	    "sentinels needs master_name");
	assert_fails_with(
	    "[redis]\nmaster_name = waypost\n", "master_name needs sentinels");
	assert_fails_with("[redis]\nsentinel_password = x\n",
	    "sentinel_password needs sentinels");
	assert_fails_with("[redis]\nprefix = w{1}:\n",
	    "prefix: \"w{1}:\" holds \"{\" or \"}\"");
	assert_fails_with("[redis]\nsentinels = 10.0.0.1\nmaster_name = m\n",
	    "sentinels: \"10.0.0.1\"");
	assert_fails_with(
	    "[redis]\nsentinels = 10.0.0.1:99999\nmaster_name = m\n",
	    "sentinels: \"10.0.0.1:99999\"");
	assert_fails_with(
	    "[redis]\nsentinels = unix:/run/s.sock\nmaster_name = m\n",
	    "sentinels name the master by HOST:PORT");
	assert_fails_with(
	    "[redis]\nsentinels = 10.0.0.1:1\nmaster_name = a b\n",
	    "master_name: \"a b\" is not a name");
	assert_fails_with("[redis]\nsentinels = 10.0.0.1:1\nmaster_name = "
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaa\n",
	    "is not a name");
	assert_fails_with("[redis]\nmaster_name = m\nsentinels = 1.1.1.1:1 "
	                  "1.1.1.1:2 1.1.1.1:3 1.1.1.1:4 1.1.1.1:5 1.1.1.1:6 "
	                  "1.1.1.1:7 1.1.1.1:8 1.1.1.1:9 1.1.1.1:10 "
	                  "1.1.1.1:11 1.1.1.1:12 1.1.1.1:13 1.1.1.1:14 "
	                  "1.1.1.1:15 1.1.1.1:16 1.1.1.1:17\n",
	    "sentinels: at most 16, not 17");
}

static void
test_settings_copy_is_deep(void **state)
{
	struct test_config *config =
	    load("[redis]\nsentinels = 127.0.0.1:1 127.0.0.1:2\n"
	         "master_name = m\nsentinel_password = pw\nusername = u\n");
	struct redis_settings copy;

	(void)state;
	assert_non_null(config);
	redis_settings_copy(&copy, &config->redis);
	config_free(&test_schema, config);
	assert_int_equal(copy.sentinels.count, 2);
	assert_string_equal(copy.sentinels.items[1], "127.0.0.1:2");
	assert_string_equal(copy.master_name, "m");
	assert_string_equal(copy.sentinel_password, "pw");
	assert_string_equal(copy.username, "u");
	assert_string_equal(copy.prefix, "waypost:");
	redis_settings_free(&copy);
	assert_null(copy.master_name);
}

/* A reply as hiredis builds it, by hand. */
static redisReply strings[12];
static redisReply *elements[12];
static redisReply array;

static redisReply *
make_array(size_t count, const char *const *texts)
{
	memset(&array, 0, sizeof(array));
	array.type = REDIS_REPLY_ARRAY;
	array.elements = count;
	array.element = elements;
	for (size_t i = 0; i < count; i++) {
		memset(&strings[i], 0, sizeof(strings[i]));
		strings[i].type = REDIS_REPLY_STRING;
		strings[i].str = (char *)texts[i];
		strings[i].len = strlen(texts[i]);
		elements[i] = &strings[i];
	}
	return &array;
}

static void
test_master_address_reply(void **state)
{
	struct socket_spec master;
	char why[256];
	redisReply other = {0};

	(void)state;
	assert_true(sentinel_reply_master(
	    make_array(2, (const char *[]){"127.0.0.1", "6380"}), &master, why,
	    sizeof(why)));
	assert_int_equal(master.kind, SOCKET_INET);
	assert_string_equal(master.host, "127.0.0.1");
	assert_int_equal(master.port, 6380);
	assert_true(sentinel_reply_master(
	    make_array(2, (const char *[]){"::1", "7000"}), &master, why,
	    sizeof(why)));
	assert_int_equal(master.kind, SOCKET_INET6);
	assert_string_equal(master.host, "::1");
	other.type = REDIS_REPLY_NIL;
	assert_false(sentinel_reply_master(&other, &master, why, sizeof(why)));
	assert_string_equal(why, "does not know the master");
	other.type = REDIS_REPLY_ERROR;
	other.str = "NOAUTH Authentication required.";
	assert_false(sentinel_reply_master(&other, &master, why, sizeof(why)));
	assert_string_equal(why, "NOAUTH Authentication required.");
	assert_false(sentinel_reply_master(NULL, &master, why, sizeof(why)));
	static const char *const bad[][2] = {
	    {"127.0.0.1", "0"},
	    {"127.0.0.1", "65536"},
	    {"127.0.0.1", "63a"},
	    {"127.0.0.1", ""},
	    {"", "6379"},
	    {"bad host", "6379"},
	    {"unix", "/x"},
	    {"127.0.0.1", "123456"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sentinel_reply_master(
		    make_array(2, bad[i]), &master, why, sizeof(why)));
	assert_string_equal(why, "an answer that is no address");
	assert_false(sentinel_reply_master(
	    make_array(3, (const char *[]){"127.0.0.1", "1", "x"}), &master,
	    why, sizeof(why)));
	make_array(2, (const char *[]){"127.0.0.1", "1"});
	strings[0].type = REDIS_REPLY_INTEGER;
	assert_false(sentinel_reply_master(&array, &master, why, sizeof(why)));
}

/* SENTINEL MASTER: fields in any order; the epoch a number. */
static void
test_master_state_reply(void **state)
{
	struct socket_spec master;
	long long epoch = -1;
	char why[256];

	(void)state;
	assert_true(sentinel_reply_master_state(
	    make_array(
	        10, (const char *[]){"name", "waypost", "config-epoch", "7",
	                "ip", "127.0.0.1", "flags", "master", "port", "6381"}),
	    &master, &epoch, why, sizeof(why)));
	assert_string_equal(master.host, "127.0.0.1");
	assert_int_equal(master.port, 6381);
	assert_int_equal(epoch, 7);
	assert_false(sentinel_reply_master_state(
	    make_array(4, (const char *[]){"ip", "127.0.0.1", "port", "6381"}),
	    &master, &epoch, why, sizeof(why)));
	assert_string_equal(why, "an answer with no config-epoch");
	assert_false(sentinel_reply_master_state(
	    make_array(6, (const char *[]){"ip", "127.0.0.1", "port", "6381",
	                      "config-epoch", "-1"}),
	    &master, &epoch, why, sizeof(why)));
	assert_string_equal(why, "a config-epoch that is no number");
	assert_false(sentinel_reply_master_state(
	    make_array(6, (const char *[]){"ip", "127.0.0.1", "port", "6381",
	                      "config-epoch", "1234567890123456789"}),
	    &master, &epoch, why, sizeof(why)));
	assert_false(sentinel_reply_master_state(
	    make_array(
	        4, (const char *[]){"port", "6381", "config-epoch", "1"}),
	    &master, &epoch, why, sizeof(why)));
	assert_string_equal(why, "an answer that names no master");
	assert_false(sentinel_reply_master_state(
	    make_array(5, (const char *[]){"ip", "127.0.0.1", "port", "6381",
	                      "config-epoch"}),
	    &master, &epoch, why, sizeof(why)));
	assert_false(sentinel_reply_master_state(
	    NULL, &master, &epoch, why, sizeof(why)));
}

static bool
switch_parse(const char *text, struct socket_spec *master)
{
	return sentinel_switch_parse(text, strlen(text), "waypost", master);
}

static void
test_switch_master_message(void **state)
{
	struct socket_spec master;

	(void)state;
	assert_true(
	    switch_parse("waypost 127.0.0.1 6379 127.0.0.1 6380", &master));
	assert_string_equal(master.host, "127.0.0.1");
	assert_int_equal(master.port, 6380);
	assert_true(switch_parse("waypost ::1 6379 ::2 6381", &master));
	assert_int_equal(master.kind, SOCKET_INET6);
	assert_string_equal(master.host, "::2");
	assert_false(switch_parse("other 127.0.0.1 1 127.0.0.1 2", &master));
	assert_false(switch_parse("waypostx 127.0.0.1 1 127.0.0.1 2", &master));
	assert_false(switch_parse("waypos 127.0.0.1 1 127.0.0.1 2", &master));
	assert_false(switch_parse("waypost 127.0.0.1 1 127.0.0.1", &master));
	assert_false(
	    switch_parse("waypost 127.0.0.1 1 127.0.0.1 2 3", &master));
	assert_false(switch_parse("waypost 127.0.0.1 1 127.0.0.1 0", &master));
	assert_false(switch_parse("", &master));
	/* A NUL inside is not a word's end. */
	assert_false(sentinel_switch_parse(
	    "waypost 1.1.1.1 1 1.1.\0.1 2", 27, "waypost", &master));
	/* Not NUL-terminated: only length bytes are read. */
	assert_true(sentinel_switch_parse(
	    "waypost 1.1.1.1 1 1.1.1.2 25XYZ", 28, "waypost", &master));
	assert_int_equal(master.port, 25);
}

static void
test_role_and_addresses(void **state)
{
	struct socket_spec one = {0}, other = {0};
	redisReply error = {0};

	(void)state;
	assert_true(sentinel_role_is_master(
	    make_array(3, (const char *[]){"master", "0", "x"})));
	assert_false(sentinel_role_is_master(
	    make_array(3, (const char *[]){"slave", "127.0.0.1", "1"})));
	assert_false(sentinel_role_is_master(
	    make_array(1, (const char *[]){"masterx"})));
	assert_false(sentinel_role_is_master(make_array(0, NULL)));
	error.type = REDIS_REPLY_ERROR;
	error.str = "ERR";
	assert_false(sentinel_role_is_master(&error));
	assert_false(sentinel_role_is_master(NULL));
	one.kind = other.kind = SOCKET_INET;
	strcpy(one.host, "127.0.0.1");
	strcpy(other.host, "127.0.0.1");
	one.port = other.port = 6379;
	assert_true(sentinel_same_address(&one, &other));
	other.port = 6380;
	assert_false(sentinel_same_address(&one, &other));
	other.port = 6379;
	strcpy(other.host, "127.0.0.2");
	assert_false(sentinel_same_address(&one, &other));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sentinel_keys_load),
    cmocka_unit_test(test_bad_sentinel_lines),
    cmocka_unit_test(test_settings_copy_is_deep),
    cmocka_unit_test(test_master_address_reply),
    cmocka_unit_test(test_master_state_reply),
    cmocka_unit_test(test_switch_master_message),
    cmocka_unit_test(test_role_and_addresses),
};

UNIT_TEST_MAIN(tests)
