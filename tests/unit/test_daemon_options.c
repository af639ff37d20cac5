/*
 * test_daemon_options.c - the shared command line: -c -f -n -v -h -V
 */
#include "config.h"

#include <string.h>

#include "daemon_options.h"
#include "unit_test.h"

static struct daemon_options options;
static char error[128];

#define PARSE(...)                                                             \
	parse((char *[]){"waypost-x", __VA_ARGS__, NULL},                      \
	    (int)(sizeof((char *[]){"waypost-x", __VA_ARGS__}) /               \
	          sizeof(char *)))

static bool
parse(char **argv, int argc)
{
	return daemon_options_parse(argc, argv, "/etc/waypost/waypost.conf",
	    &options, error, sizeof(error));
}

static void
test_defaults(void **state)
{
	char *argv[] = {"waypost-x", NULL};

	(void)state;
	assert_true(parse(argv, 1));
	assert_string_equal(options.config_path, "/etc/waypost/waypost.conf");
	assert_false(options.foreground);
	assert_false(options.check_only);
}

static void
test_flags(void **state)
{
	(void)state;
	assert_true(PARSE("-f", "-n", "-v", "-c", "/tmp/w.conf"));
	assert_true(options.foreground);
	assert_true(options.check_only);
	assert_true(options.verbose);
	assert_string_equal(options.config_path, "/tmp/w.conf");
	assert_true(PARSE("-fnc/tmp/x.conf"));
	assert_string_equal(options.config_path, "/tmp/x.conf");
	assert_true(PARSE("-V"));
	assert_true(options.show_version);
	assert_true(PARSE("-h"));
	assert_true(options.show_help);
}

static void
test_errors(void **state)
{
	(void)state;
	assert_false(PARSE("-c"));
	assert_string_equal(error, "-c needs a file");
	assert_false(PARSE("-c", ""));
	assert_string_equal(error, "-c needs a file");
	assert_false(PARSE("-x"));
	assert_string_equal(error, "unknown option -x");
	assert_false(PARSE("-f", "extra"));
	assert_string_equal(error, "unexpected argument \"extra\"");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults),
    cmocka_unit_test(test_flags),
    cmocka_unit_test(test_errors),
};

UNIT_TEST_MAIN(tests)
