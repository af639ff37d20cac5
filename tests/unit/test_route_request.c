/*
 * test_route_request.c - waypost-routed's input: socketmap netstrings
 * framed and split, replies made; a pool's schedule read into caps per
 * provider; the transport name of an address; the sources keys' tag;
 * a delivery event as settling reads it, and the pool and address of
 * the service that carried it
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "redis_keys.h"
#include "route_config.h"
#include "route_event.h"
#include "route_request.h"
#include "route_schedule.h"
#include "route_table.h"
#include "swap_slot.h"
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
	buffer_reset(&key);
	redis_key_append(
	    &key, "w:", REDIS_KEY_SOURCES_RESERVED, "shared", "20425");
	assert_string_equal(
	    buffer_text(&key), "w:sources-reserved:{shared}:20425");
	buffer_reset(&key);
	redis_key_append(&key, "w:", REDIS_KEY_SOURCES_SETTLED, "shared", NULL);
	assert_string_equal(buffer_text(&key), "w:sources-settled:{shared}");
	buffer_free(&key);
}

/* route_event_parse() of a whole string. */
static bool
parse_event(const char *text, struct route_event *event, char *error)
{
	return route_event_parse(text, strlen(text), event, error, 256);
}

static void
test_events(void **state)
{
	struct route_event event;
	char error[256];

	(void)state;
	assert_true(
	    parse_event("{\"type\": \"delivered\", \"queue_id\": "
	                "\"4F3A21\", \"recipient\": \"Ann@Gmail.TEST\", "
	                "\"service\": \"wp-192-0-2-10\"}",
	        &event, error));
	assert_true(event.reached);
	assert_string_equal(event.recipient, "ann@gmail.test");
	assert_string_equal(event.service, "wp-192-0-2-10");
	assert_string_equal(event.queue_id, "4F3A21");
	/* Bounced reached the provider; deferred did not, and needs no
	 * recipient. */
	assert_true(
	    parse_event("{\"type\": \"bounced\", \"recipient\": \"a@b.test\"}",
	        &event, error));
	assert_true(event.reached);
	assert_true(parse_event("{\"type\": \"deferred\"}", &event, error));
	assert_false(event.reached);
	assert_false(parse_event("{\"type\": \"delivered\"}", &event, error));
	assert_string_equal(error, "no \"recipient\"");
	assert_false(parse_event(
	    "{\"type\": \"delivered\", \"recipient\": 5}", &event, error));
	assert_false(event.reached);
	assert_false(parse_event("[1]", &event, error));
	assert_false(parse_event("{", &event, error));
	assert_false(parse_event("{}", &event, error));
	assert_string_equal(error, "no \"type\"");
}

static void
test_sources(void **state)
{
	static const char text[] =
	    "[redis]\naddress = 127.0.0.1:6379\n"
	    "[pool \"shared\"]\naddresses = 192.0.2.1, 192.0.2.10\n"
	    "tenants = *\nschedule = unlimited\n"
	    "[pool \"vip\"]\naddresses = 2001:db8::5\ntenants = vip.test\n"
	    "schedule = unlimited\n"
	    "[provider \"gmail\"]\ndomains = gmail.com\nshaped = yes\n"
	    "[provider \"outlook\"]\ndomains = outlook.com\n";
	struct config_errors errors = {0};
	struct route_config *config = config_load_buffer(
	    &route_schema, "t.conf", text, sizeof(text) - 1, &errors);
	struct swap_item *item;
	const struct route_table *table;
	size_t address = 99;

	(void)state;
	assert_non_null(config);
	item = route_table_build(config, &errors);
	assert_non_null(item);
	table = (const struct route_table *)item;
	assert_string_equal(
	    route_table_source(table, "wp-192-0-2-10", &address)->section->name,
	    "shared");
	assert_int_equal(address, 1);
	assert_string_equal(
	    route_table_source(table, "wp-192-0-2-1", &address)->section->name,
	    "shared");
	assert_int_equal(address, 0);
	/* A shaped provider's transport; not one that is not shaped. */
	assert_non_null(
	    route_table_source(table, "wp-192-0-2-1-gmail", &address));
	assert_int_equal(address, 0);
	assert_null(
	    route_table_source(table, "wp-192-0-2-1-outlook", &address));
	assert_string_equal(
	    route_table_source(table, "wp-2001-db8--5", &address)
	        ->section->name,
	    "vip");
	assert_null(route_table_source(table, "wp-192-0-2-100", &address));
	assert_null(route_table_source(table, "smtp", &address));
	assert_null(route_table_source(table, "", &address));
	assert_string_equal(
	    table->pools[0].reserved_key, "waypost:sources-reserved:{shared}:");
	swap_item_release(item);
	config_free(&route_schema, config);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_framing),
    cmocka_unit_test(test_split),
    cmocka_unit_test(test_reply),
    cmocka_unit_test(test_schedules),
    cmocka_unit_test(test_names),
    cmocka_unit_test(test_events),
    cmocka_unit_test(test_sources),
};

UNIT_TEST_MAIN(tests)
