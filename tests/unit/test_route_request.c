/*
 * test_route_request.c - waypost-routed's input: socketmap netstrings
 * framed and split, replies made; a pool's schedule read into caps per
 * provider; the transport name of an address; the sources key's tag
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "redis_keys.h"
#include "route_config.h"
#include "route_request.h"
#include "route_schedule.h"
#include "unit_test.h"

static void
test_framing(void **state)
{
	char error[256];

	(void)state;
	assert_int_equal(
	    route_request_end("14:route a@b.test,", 18, error, sizeof(error)),
	    18);
	assert_int_equal(
	    route_request_end("14:route a@b", 12, error, sizeof(error)), 0);
	assert_int_equal(route_request_end("13", 2, error, sizeof(error)), 0);
	assert_int_equal(
	    route_request_end("5:route;", 8, error, sizeof(error)), SIZE_MAX);
	assert_string_equal(error, "a netstring without its \",\"");
	assert_int_equal(
	    route_request_end("x:", 2, error, sizeof(error)), SIZE_MAX);
	assert_int_equal(
	    route_request_end("05:route,", 9, error, sizeof(error)), SIZE_MAX);
	assert_int_equal(
	    route_request_end("1025:", 5, error, sizeof(error)), SIZE_MAX);
	assert_string_equal(error, "a netstring over 1024 bytes");
}

static void
test_split(void **state)
{
	char good[] = "15:route a b@c.test,", bare[] = "5:route,",
	     control[] = "9:route a\tb,";
	struct route_request request;
	char error[256];

	(void)state;
	assert_true(route_request_parse(
	    good, strlen(good), &request, error, sizeof(error)));
	assert_string_equal(request.name, "route");
	assert_string_equal(request.key, "a b@c.test");
	assert_int_equal(request.key_length, 10);
	assert_false(route_request_parse(
	    bare, strlen(bare), &request, error, sizeof(error)));
	assert_false(route_request_parse(
	    control, strlen(control), &request, error, sizeof(error)));
}

static void
test_reply(void **state)
{
	struct buffer out = {0};

	(void)state;
	route_reply_append(&out, "NOTFOUND", "");
	route_reply_append(&out, "OK", "wp-127-0-0-2:");
	assert_string_equal(
	    buffer_text(&out), "9:NOTFOUND ,16:OK wp-127-0-0-2:,");
	buffer_free(&out);
}

static struct config_list
words(char **items, size_t count)
{
	struct config_list list = {count, items};

	return list;
}

static void
test_schedules(void **state)
{
	char *good[] = {
	    "100", "unlimited", "gmail:", "5", "10", "outlook:", "0"};
	char *twice[] = {"gmail:", "1", "gmail:", "2"};
	char *empty[] = {"gmail:", "yahoo:", "3"};
	char *bad[] = {"gmail:", "5", "lots"};
	struct config_list list = words(good, 7);
	struct route_schedules schedules;
	const struct route_schedule *one;
	char error[256];

	(void)state;
	assert_true(
	    route_schedules_parse(&list, &schedules, error, sizeof(error)));
	assert_int_equal(schedules.count, 3);
	one = route_schedules_find(&schedules, "gmail");
	assert_int_equal(one->count, 2);
	assert_int_equal(one->caps[1], 10);
	one = route_schedules_find(&schedules, "yahoo");
	assert_null(one->provider);
	assert_int_equal(one->caps[1], ROUTE_CAP_UNLIMITED);
	assert_int_equal(
	    route_schedules_find(&schedules, "outlook")->caps[0], 0);
	route_schedules_free(&schedules);

	list = words(twice, 4);
	assert_false(
	    route_schedules_parse(&list, &schedules, error, sizeof(error)));
	assert_string_equal(error, "provider gmail has two schedules");
	list = words(empty, 3);
	assert_false(
	    route_schedules_parse(&list, &schedules, error, sizeof(error)));
	list = words(bad, 3);
	assert_false(
	    route_schedules_parse(&list, &schedules, error, sizeof(error)));
	assert_non_null(strstr(error, "\"lots\" is neither a daily cap"));
	list = words(bad, 1);
	assert_false(
	    route_schedules_parse(&list, &schedules, error, sizeof(error)));
}

static void
test_names(void **state)
{
	char name[ROUTE_TRANSPORT_MAX];
	struct buffer key = {0};

	(void)state;
	route_transport_name("192.0.2.10", name, sizeof(name));
	assert_string_equal(name, "wp-192-0-2-10");
	route_transport_name("2001:db8::5", name, sizeof(name));
	assert_string_equal(name, "wp-2001-db8--5");
	redis_key_append(&key, "w:", REDIS_KEY_SOURCES, "shared", NULL);
	assert_string_equal(buffer_text(&key), "w:sources:{shared}");
	buffer_reset(&key);
	redis_key_append(
	    &key, "w:", REDIS_KEY_SOURCES_SUSPENDED, "shared", NULL);
	assert_string_equal(buffer_text(&key), "w:sources-suspended:{shared}");
	buffer_free(&key);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_framing),
    cmocka_unit_test(test_split),
    cmocka_unit_test(test_reply),
    cmocka_unit_test(test_schedules),
    cmocka_unit_test(test_names),
};

UNIT_TEST_MAIN(tests)
