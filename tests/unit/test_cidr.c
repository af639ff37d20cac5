/*
 * test_cidr.c - networks: parse, refuse typos, match, lists
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "unit_test.h"

static void
test_parse_and_format(void **state)
{
	struct cidr network;
	char error[128], out[CIDR_TEXT_MAX];

	(void)state;
	assert_true(cidr_parse("192.0.2.0/24", &network, error, sizeof(error)));
	assert_int_equal(network.family, AF_INET);
	assert_int_equal(network.prefix, 24);
	cidr_format(&network, out, sizeof(out));
	assert_string_equal(out, "192.0.2.0/24");
	assert_true(cidr_parse("192.0.2.7", &network, error, sizeof(error)));
	assert_int_equal(network.prefix, 32);
	assert_true(
	    cidr_parse("2001:DB8::/32", &network, error, sizeof(error)));
	cidr_format(&network, out, sizeof(out));
	assert_string_equal(out, "2001:db8::/32");
	assert_true(cidr_parse("::1", &network, error, sizeof(error)));
	assert_int_equal(network.prefix, 128);
	assert_true(cidr_parse("0.0.0.0/0", &network, error, sizeof(error)));
}

static void
test_parse_errors(void **state)
{
	struct cidr network;
	char error[128];

	(void)state;
	assert_false(
	    cidr_parse("192.0.2.1/24", &network, error, sizeof(error)));
	assert_string_equal(error, "\"192.0.2.1/24\" has bits set after the "
	                           "prefix; did you mean 192.0.2.0/24?");
	assert_false(
	    cidr_parse("192.0.2.0/33", &network, error, sizeof(error)));
	assert_string_equal(
	    error, "\"192.0.2.0/33\": the prefix length must be 0 to 32");
	assert_false(
	    cidr_parse("2001:db8::/129", &network, error, sizeof(error)));
	assert_false(cidr_parse("192.0.2.0/", &network, error, sizeof(error)));
	assert_false(
	    cidr_parse("192.0.2.0/2a", &network, error, sizeof(error)));
	assert_false(cidr_parse("192.0.2/24", &network, error, sizeof(error)));
	assert_string_equal(error, "\"192.0.2\" is not an IP address");
	assert_false(cidr_parse("example.com", &network, error, sizeof(error)));
	assert_false(cidr_parse("/8", &network, error, sizeof(error)));
}

static bool
contains(const char *network_text, const char *address_text)
{
	struct cidr network;
	uint8_t address[16];
	char error[128];
	int family = strchr(address_text, ':') ? AF_INET6 : AF_INET;

	assert_true(cidr_parse(network_text, &network, error, sizeof(error)));
	assert_int_equal(inet_pton(family, address_text, address), 1);
	return cidr_contains(&network, family, address);
}

static void
test_contains(void **state)
{
	(void)state;
	assert_true(contains("10.0.0.0/8", "10.255.1.2"));
	assert_false(contains("10.0.0.0/8", "11.0.0.1"));
	assert_true(contains("192.168.4.0/22", "192.168.7.255"));
	assert_false(contains("192.168.4.0/22", "192.168.8.0"));
	assert_true(contains("0.0.0.0/0", "203.0.113.9"));
	assert_true(contains("2001:db8::/32", "2001:db8:1::5"));
	assert_false(contains("2001:db8::/32", "2001:db9::1"));
	assert_false(contains("10.0.0.0/8", "::1"));
	assert_true(contains("10.0.0.0/8", "::ffff:10.1.2.3"));
	assert_false(contains("::1/128", "127.0.0.1"));
}

static void
test_lists(void **state)
{
	struct cidr_list list;
	char error[128], text[CIDR_LIST_MAX * 20];
	size_t used = 0;

	(void)state;
	assert_true(cidr_list_parse(
	    "127.0.0.0/8, ::1\t10.0.0.0/8,", &list, error, sizeof(error)));
	assert_int_equal(list.count, 3);
	assert_true(cidr_list_match_text(&list, "127.0.0.1"));
	assert_true(cidr_list_match_text(&list, "::1"));
	assert_true(cidr_list_match_text(&list, "10.9.9.9"));
	assert_false(cidr_list_match_text(&list, "192.0.2.1"));
	assert_false(cidr_list_match_text(&list, "not an address"));
	{
		struct ip_address address;

		/* Parsed once, matched as often as needed. */
		assert_true(ip_address_parse("10.1.2.3", &address));
		assert_int_equal(address.family, AF_INET);
		assert_true(cidr_list_match(&list, &address));
		assert_true(ip_address_parse("::ffff:127.0.0.2", &address));
		assert_int_equal(address.family, AF_INET6);
		assert_true(cidr_list_match(&list, &address));
		assert_false(ip_address_parse("", &address));
		assert_int_equal(address.family, 0);
		assert_false(cidr_list_match(&list, &address));
	}
	cidr_list_free(&list);
	assert_true(cidr_list_parse("", &list, error, sizeof(error)));
	assert_int_equal(list.count, 0);
	assert_false(cidr_list_match_text(&list, "127.0.0.1"));
	assert_false(
	    cidr_list_parse("10.0.0.0/8 bogus", &list, error, sizeof(error)));
	assert_string_equal(error, "\"bogus\" is not an IP address");
	assert_null(list.networks);
	memset(text, 'a', 200);
	text[200] = '\0';
	assert_false(cidr_list_parse(text, &list, error, sizeof(error)));
	for (int i = 0; i <= CIDR_LIST_MAX; i++)
		used += (size_t)sprintf(
		    text + used, "10.%d.%d.0/24 ", i / 256, i % 256);
	assert_false(cidr_list_parse(text, &list, error, sizeof(error)));
	assert_string_equal(error, "more than 1024 networks in one list");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_and_format),
    cmocka_unit_test(test_parse_errors),
    cmocka_unit_test(test_contains),
    cmocka_unit_test(test_lists),
};

UNIT_TEST_MAIN(tests)
