/*
 * test_socket_spec.c - unix:, local:, inet: and inet6: socket addresses
 */
#include "config.h"

#include <string.h>

#include "socket_spec.h"
#include "unit_test.h"

static struct socket_spec spec;
static char error[256];

static bool
parse(const char *text)
{
	return socket_spec_parse(text, &spec, error, sizeof(error));
}

static void
assert_round_trip(const char *text, const char *canonical)
{
	char out[SOCKET_SPEC_TEXT_MAX];

	assert_true(parse(text));
	socket_spec_format(&spec, out, sizeof(out));
	assert_string_equal(out, canonical);
}

static void
test_valid(void **state)
{
	(void)state;
	assert_round_trip(
	    "unix:/run/waypost/dkim.sock", "unix:/run/waypost/dkim.sock");
	assert_int_equal(spec.kind, SOCKET_UNIX);
	assert_round_trip("local:/run/x.sock", "unix:/run/x.sock");
	assert_round_trip("inet:8891@127.0.0.1", "inet:8891@127.0.0.1");
	assert_int_equal(spec.kind, SOCKET_INET);
	assert_int_equal(spec.port, 8891);
	assert_string_equal(spec.host, "127.0.0.1");
	assert_round_trip("inet:1@localhost", "inet:1@localhost");
	assert_round_trip(
	    "inet:65535@relay.example.com", "inet:65535@relay.example.com");
	assert_round_trip("inet6:8891@::1", "inet6:8891@::1");
	assert_int_equal(spec.kind, SOCKET_INET6);
	assert_round_trip("inet6:25@[2001:db8::1]", "inet6:25@2001:db8::1");
}

/* A server address as Redis users write it. */
static void
test_address(void **state)
{
	char out[SOCKET_SPEC_TEXT_MAX];
	static const char *const good[][2] = {
	    {"127.0.0.1:6379", "inet:6379@127.0.0.1"},
	    {"redis.example:6380", "inet:6380@redis.example"},
	    {"[::1]:6379", "inet6:6379@::1"},
	    {"unix:/run/redis/redis.sock", "unix:/run/redis/redis.sock"},
	    {"inet:6379@10.0.0.1", "inet:6379@10.0.0.1"},
	};
	static const char *const bad[] = {"127.0.0.1", "::1:6379", "[::1]6379",
	    "host:0", "host:99999", ":6379", "[::1:6379", "bad host:6379",
	    "[]:6379", "unix:relative"};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!socket_spec_parse_address(
		        good[i][0], &spec, error, sizeof(error)))
			fail_msg("%s: %s", good[i][0], error);
		socket_spec_format(&spec, out, sizeof(out));
		assert_string_equal(out, good[i][1]);
		socket_spec_format_address(&spec, out, sizeof(out));
		assert_true(socket_spec_parse_address(
		    out, &spec, error, sizeof(error)));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (socket_spec_parse_address(
		        bad[i], &spec, error, sizeof(error)))
			fail_msg("%s was accepted", bad[i]);
	/* A daemon's own socket keeps the milter syntax only. */
	assert_false(parse("127.0.0.1:6379"));
}

static void
test_invalid(void **state)
{
	char path[200];

	(void)state;
	assert_false(parse("unix:run/x.sock"));
	assert_string_equal(
	    error, "unix socket path \"run/x.sock\" must be absolute");
	memset(path, 'a', sizeof(path));
	memcpy(path, "unix:/", 6);
	path[sizeof(path) - 1] = '\0';
	assert_false(parse(path));
	assert_string_equal(error, "unix socket path is longer than 107 bytes");
	assert_false(parse("inet:8891"));
	assert_string_equal(
	    error, "\"8891\": expected PORT@HOST, e.g. 10025@127.0.0.1");
	assert_false(parse("inet:0@127.0.0.1"));
	assert_string_equal(error, "bad port \"0\": expected 1 to 65535");
	assert_false(parse("inet:65536@127.0.0.1"));
	assert_false(parse("inet:http@127.0.0.1"));
	assert_false(parse("inet:@127.0.0.1"));
	assert_false(parse("inet:25@"));
	assert_string_equal(error, "missing or too long host after '@'");
	assert_false(parse("inet:25@bad host"));
	assert_string_equal(error, "bad host \"bad host\"");
	assert_false(parse("inet:25@-x.example"));
	assert_false(parse("inet:25@a..b"));
	assert_false(parse("inet:25@::1"));
	assert_string_equal(error, "\"::1\" is an IPv6 address: use inet6:");
	assert_false(parse("inet6:25@127.0.0.1"));
	assert_string_equal(
	    error, "\"127.0.0.1\" is an IPv4 address: use inet:");
	assert_false(parse("tcp:25@127.0.0.1"));
	assert_false(parse(""));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid),
    cmocka_unit_test(test_invalid),
    cmocka_unit_test(test_address),
};

UNIT_TEST_MAIN(tests)
