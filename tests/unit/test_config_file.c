/*
 * test_config_file.c - loading the INI file: values, defaults, every error
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_schema.h"
#include "unit_test.h"
#include "assert_errors.h"

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
test_full_file_loads_every_type(void **state)
{
	struct test_config *config =
	    load("# comment\n"
	         "[log]\n"
	         "level = debug\n"
	         "facility = local3\n"
	         "[testd]\n"
	         "socket = inet:10025@127.0.0.1\n"
	         "socket_mode = 0600\n"
	         "user = nobody\n"
	         "socket_group = nogroup\n"
	         "pidfile = /run/testd.pid\n"
	         "stop_timeout = 1m\n"
	         "greeting = good morning ; inline comment\n"
	         "enabled = off\n"
	         "max_size = 64K\n"
	         "retries = 10\n"
	         "interval = 1d\n"
	         "on_error = accept\n"
	         "key_file = /etc/keys/a.pem\n"
	         "headers = From,To   Cc\n"
	         "networks = 10.0.0.0/8, 2001:db8::/32\n"
	         "[redis]\n"
	         "address = unix:/run/redis.sock\n"
	         "database = 2\n");
	(void)state;
	assert_non_null(config);
	assert_int_equal(config->log.level, 0);
	assert_int_equal(config->log.facility, 6);
	assert_int_equal(config->main.daemon.socket.kind, SOCKET_INET);
	assert_int_equal(config->main.daemon.socket.port, 10025);
	assert_int_equal(config->main.daemon.socket_mode, 0600);
	assert_string_equal(config->main.daemon.user, "nobody");
	assert_string_equal(config->main.daemon.socket_group, "nogroup");
	assert_string_equal(config->main.daemon.pidfile, "/run/testd.pid");
	assert_int_equal(config->main.daemon.stop_timeout, 60000);
	assert_string_equal(config->main.greeting, "good morning");
	assert_false(config->main.enabled);
	assert_int_equal(config->main.max_size, 65536);
	assert_int_equal(config->main.retries, 10);
	assert_int_equal(config->main.interval, 86400000LL);
	assert_int_equal(config->main.on_error, 1);
	assert_string_equal(config->main.key_file, "/etc/keys/a.pem");
	assert_int_equal(config->main.headers.count, 3);
	assert_string_equal(config->main.headers.items[2], "Cc");
	assert_int_equal(config->main.networks.count, 2);
	assert_int_equal(config->redis.address.kind, SOCKET_UNIX);
	assert_int_equal(config->redis.database, 2);
	config_free(&test_schema, config);
}

static void
test_defaults_apply_without_sections(void **state)
{
	struct test_config *config = load("");

	(void)state;
	assert_non_null(config);
	assert_int_equal(config->log.level, 1);
	assert_string_equal(config->main.daemon.socket.path, "/tmp/testd.sock");
	assert_int_equal(config->main.daemon.socket_mode, 0660);
	assert_null(config->main.daemon.user);
	assert_int_equal(config->main.daemon.stop_timeout, 10000);
	assert_string_equal(config->main.greeting, "hello");
	assert_int_equal(config->main.max_size, 10 * 1024 * 1024);
	assert_int_equal(config->main.networks.count, 2);
	assert_int_equal(config->redis.address.port, 6379);
	assert_string_equal(config->redis.prefix, "waypost:");
	assert_int_equal(config->widgets.count, 0);
	config_free(&test_schema, config);
}

static void
test_misspelt_key_names_file_line_and_key(void **state)
{
	(void)state;
	assert_fails_with("[testd]\n\ngreting = hi\n",
	    "test.conf:3: unknown key \"greting\" in [testd] (did you mean "
	    "\"greeting\"?)");
}

static void
test_unknown_key_far_from_any_has_no_hint(void **state)
{
	(void)state;
	assert_fails_with("[testd]\nzzzzzzzz = 1\n",
	    "test.conf:2: unknown key \"zzzzzzzz\" in [testd]");
	assert_null(strstr(errors.text[0], "did you mean"));
}

static void
test_unknown_section(void **state)
{
	(void)state;
	assert_fails_with("[tesd]\nx = 1\n",
	    "test.conf:1: unknown section [tesd] (did you mean \"testd\"?)");
	assert_int_equal(errors.count, 1);
}

static void
test_other_daemons_sections_are_skipped(void **state)
{
	struct test_config *config =
	    load("[dkim]\nanything = at all\n  continued\n[limit \"x\"]\n"
	         "foo = bar\n[testd]\ngreeting = mine\n");

	(void)state;
	assert_non_null(config);
	assert_string_equal(config->main.greeting, "mine");
	config_free(&test_schema, config);
}

static void
test_duplicate_key(void **state)
{
	(void)state;
	assert_fails_with("[testd]\nretries = 1\nretries = 2\n",
	    "test.conf:3: key \"retries\" appears twice in this section "
	    "(first on line 2)");
}

static void
test_duplicate_section(void **state)
{
	(void)state;
	assert_fails_with("[testd]\n[log]\n[testd]\n",
	    "test.conf:3: section [testd] appears twice (first on line 1)");
}

static void
test_named_sections(void **state)
{
	struct test_config *config =
	    load("[widget \"hourly\"]\nsubject = sender\ncount = 5\n"
	         "action = reject\n"
	         "[widget \"daily\"]\nsubject = sasl_username\nwindow = 1d\n");
	struct test_widget *first, *second;

	(void)state;
	assert_non_null(config);
	assert_int_equal(config->widgets.count, 2);
	first = config->widgets.items[0];
	second = config->widgets.items[1];
	assert_string_equal(first->name, "hourly");
	assert_string_equal(first->subject.items[0], "sender");
	assert_int_equal(first->count, 5);
	assert_int_equal(first->window, 3600000);
	assert_string_equal(second->name, "daily");
	assert_int_equal(second->window, 86400000);
	config_free(&test_schema, config);
}

static void
test_duplicate_named_section(void **state)
{
	(void)state;
	assert_fails_with("[widget \"a\"]\n[widget \"a\"]\n",
	    "test.conf:2: section [widget \"a\"] appears twice (first on line "
	    "1)");
}

static void
test_section_name_rules(void **state)
{
	(void)state;
	assert_fails_with("[widget]\n", "test.conf:1: section [widget] needs a "
	                                "name: [widget \"NAME\"]");
	assert_fails_with(
	    "[testd \"x\"]\n", "test.conf:1: section [testd] takes no name");
	assert_fails_with("[widget hourly]\n",
	    "test.conf:1: expected [widget \"NAME\"] with the name in double "
	    "quotes");
	assert_fails_with(
	    "[widget \"a b\"]\n", "test.conf:1: bad name \"a b\"");
	assert_fails_with("[widget \"abcdefghijklmnopqrstuvwxyz0123456789\"]\n",
	    "test.conf:1: bad name");
	assert_fails_with("[Te$td]\n", "test.conf:1: bad section name");
	assert_fails_with(
	    "[testd\n", "test.conf:1: section header without ']'");
	assert_fails_with(
	    "[testd] junk\n", "test.conf:1: unexpected text after ']'");
	assert_fails_with(
	    "[widget   \"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"]\n",
	    "test.conf:1: section header is too long");
}

static void
test_header_text_is_bounded(void **state)
{
	/* 49 characters between the brackets load; 50 do not. */
	struct test_config *config =
	    load("[widget         \"abcdefghijklmnopqrstuvwxyz012345\"]\n"
	         "subject = s\n");

	(void)state;
	assert_non_null(config);
	assert_int_equal(config->widgets.count, 1);
	config_free(&test_schema, config);
	assert_fails_with(
	    "[widget          \"abcdefghijklmnopqrstuvwxyz012345\"]\n",
	    "test.conf:1: section header is too long");
}

static void
test_key_name_is_bounded(void **state)
{
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "[testd]\n%049d = 1\n", 0);
	assert_fails_with(text, "test.conf:2: unknown key \"0000");
	snprintf(text, sizeof(text), "[testd]\n%050d = 1\n", 0);
	assert_fails_with(text,
	    "test.conf:2: key name in [testd] is longer than 49 characters");
	assert_int_equal(errors.count, 1);
}

static void
test_comments_and_blanks(void **state)
{
	struct test_config *config = load("[testd] # this daemon\n"
	                                  "  greeting = a;b ; a comment\n"
	                                  "headers\t=\tFrom\t;\n"
	                                  "[widget \"w\"] ; one widget\n"
	                                  "subject = a,\n"
	                                  "  b ; c\n");

	(void)state;
	assert_non_null(config);
	assert_string_equal(config->main.greeting, "a;b");
	assert_int_equal(config->main.headers.count, 1);
	/* A continuation line is value to its end, ';' included. */
	assert_int_equal(
	    ((struct test_widget *)config->widgets.items[0])->subject.count, 4);
	config_free(&test_schema, config);
}

static void
test_line_syntax_errors(void **state)
{
	(void)state;
	assert_fails_with("greeting = hi\n",
	    "test.conf:1: \"key = value\" before any [section]");
	assert_fails_with("[testd]\ngreeting hi\n",
	    "test.conf:2: expected \"key = value\", \"[section]\" or a comment");
	assert_fails_with(
	    "[testd]\ngreeting: hi\n", "test.conf:2: expected \"key = value\"");
	assert_fails_with(
	    "[testd]\n= hi\n", "test.conf:2: missing key name before '='");
	assert_fails_with("[testd]\ngreeting = a\001b\n",
	    "test.conf:2: control character 0x01 in line");
}

static void
test_long_line_is_refused(void **state)
{
	struct test_config *config;
	char text[400];

	(void)state;
	snprintf(text, sizeof(text), "[testd]\ngreeting = %0300d\n", 0);
	assert_fails_with(
	    text, "test.conf:2: line is longer than 198 characters");
	/* 198 characters load, with a CR before the LF too; 199 do not. */
	snprintf(text, sizeof(text), "[testd]\ngreeting = %0187d\r\n", 0);
	config = load(text);
	assert_non_null(config);
	assert_int_equal(strlen(config->main.greeting), 187);
	config_free(&test_schema, config);
	snprintf(text, sizeof(text), "[testd]\ngreeting = %0188d\n", 0);
	assert_fails_with(
	    text, "test.conf:2: line is longer than 198 characters");
}

static void
test_continuation_lines_join(void **state)
{
	struct test_config *config =
	    load("[testd]\nnetworks = 10.0.0.0/8,\n    192.168.0.0/16\n"
	         "\t172.16.0.0/12\n  ; a comment between\ngreeting = a\n");

	(void)state;
	assert_non_null(config);
	assert_int_equal(config->main.networks.count, 3);
	assert_string_equal(config->main.greeting, "a");
	config_free(&test_schema, config);
}

static void
test_continuation_is_bounded(void **state)
{
	char *text = malloc(CONFIG_VALUE_MAX * 2);
	size_t used;

	(void)state;
	used = (size_t)sprintf(text, "[testd]\ngreeting = x\n");
	for (int i = 0; used < CONFIG_VALUE_MAX + 400; i++)
		used += (size_t)sprintf(text + used, "  %0100d\n", i);
	assert_fails_with(text, "value is longer than 8192 characters");
	free(text);
}

static void
test_bad_values_name_line_and_key(void **state)
{
	(void)state;
	assert_fails_with("[testd]\nenabled = maybe\n",
	    "test.conf:2: [testd] enabled: bad value \"maybe\": expected yes or "
	    "no");
	assert_fails_with("[testd]\n\ninterval = 5 minutes\n",
	    "test.conf:3: [testd] interval: bad value \"5 minutes\"");
	assert_fails_with("[testd]\nmax_size = 2G\n",
	    "test.conf:2: [testd] max_size: must be between 1 and 1G");
	assert_fails_with("[testd]\nretries = 11\n",
	    "[testd] retries: must be between 0 and 10");
	assert_fails_with("[testd]\non_error = reject\n",
	    "[testd] on_error: bad value \"reject\": expected one of tempfail, "
	    "accept");
	assert_fails_with("[testd]\nkey_file = keys/a.pem\n",
	    "[testd] key_file: \"keys/a.pem\" is not an absolute path");
	assert_fails_with(
	    "[testd]\nnetworks = 10.0.0.1/8\n", "did you mean 10.0.0.0/8?");
	assert_fails_with("[testd]\nsocket = tcp:25\n",
	    "[testd] socket: \"tcp:25\": expected unix:/path");
	assert_fails_with("[testd]\nsocket_mode = 0999\n",
	    "[testd] socket_mode: bad value \"0999\"");
	assert_fails_with("[testd]\nuser = no-such-user-here\n",
	    "[testd] user: no such user \"no-such-user-here\"");
	assert_fails_with("[testd]\nsocket_group = no-such-group\n",
	    "[testd] socket_group: no such group \"no-such-group\"");
	assert_fails_with("[widget \"w\"]\nwindow = 10ms\n",
	    "test.conf:2: [widget \"w\"] window: must be between 1s and 1w");
}

static void
test_empty_values(void **state)
{
	struct test_config *config = load("[testd]\ngreeting =\nnetworks =\n");

	(void)state;
	assert_non_null(config);
	assert_null(config->main.greeting);
	assert_int_equal(config->main.networks.count, 0);
	config_free(&test_schema, config);
	assert_fails_with("[testd]\nretries =\n",
	    "test.conf:2: [testd] retries: needs a value");
	assert_fails_with("[testd]\nsocket =\n",
	    "test.conf:2: [testd] socket: needs a value");
}

static void
test_validate_hook(void **state)
{
	(void)state;
	assert_fails_with("\n[widget \"w\"]\nsubject = x\naction = reject\n",
	    "test.conf:2: [widget \"w\"] action reject needs a count above 0");
}

static void
test_missing_required_key(void **state)
{
	(void)state;
	assert_fails_with("[widget \"w\"]\ncount = 1\n",
	    "test.conf:1: [widget \"w\"] missing required key \"subject\"");
	assert_int_equal(errors.count, 1);
	assert_fails_with("[widget \"w\"]\nsubject =\n",
	    "test.conf:2: [widget \"w\"] subject: needs a value");
}

static void
test_sections_are_bounded(void **state)
{
	char *text = malloc(40 * (CONFIG_INSTANCES_MAX + 2));
	size_t used = 0;

	(void)state;
	for (int i = 0; i <= CONFIG_INSTANCES_MAX; i++)
		used += (size_t)sprintf(
		    text + used, "[widget \"w%d\"]\nsubject = s\n", i);
	assert_fails_with(text, "test.conf:2001: more than 1000 sections");
	assert_int_equal(errors.count, 1);
	free(text);
}

static void
test_every_error_is_reported(void **state)
{
	(void)state;
	assert_null(load("[testd]\nretries = x\nbogus = 1\n[nope]\n[log]\n"
	                 "level = loud\n"));
	assert_int_equal(errors.count, 4);
	assert_config_error(&errors, "test.conf:2:");
	assert_config_error(&errors, "test.conf:3:");
	assert_config_error(&errors, "test.conf:4:");
	assert_config_error(&errors, "test.conf:6:");
}

static void
test_errors_are_bounded(void **state)
{
	char text[8192];
	size_t used = (size_t)sprintf(text, "[testd]\n");

	(void)state;
	for (int i = 0; i < CONFIG_ERRORS_MAX + 10; i++)
		used += (size_t)sprintf(text + used, "bogus%d = 1\n", i);
	assert_null(load(text));
	assert_int_equal(errors.count, CONFIG_ERRORS_MAX);
	assert_int_equal(errors.dropped, 10);
}

static void
test_crlf_and_byte_order_mark(void **state)
{
	struct test_config *config =
	    load("\xef\xbb\xbf[testd]\r\ngreeting = windows\r\n");

	(void)state;
	assert_non_null(config);
	assert_string_equal(config->main.greeting, "windows");
	config_free(&test_schema, config);
}

static void
test_buffer_size_is_bounded(void **state)
{
	(void)state;
	memset(&errors, 0, sizeof(errors));
	assert_null(config_load_buffer(
	    &test_schema, "big.conf", "", CONFIG_FILE_SIZE_MAX + 1, &errors));
	assert_config_error(&errors, "big.conf: larger than 1048576 bytes");
}

/* Files: permissions, kinds and secrets. */
static char file_path[128];

static const char *
write_file(const char *text, mode_t mode)
{
	int fd;

	assert_true(unit_temp_path(
	    file_path, sizeof(file_path), "waypost-unit-XXXXXX"));
	fd = mkstemp(file_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(file_path, mode), 0);
	return file_path;
}

static struct test_config *
load_path(const char *path)
{
	memset(&errors, 0, sizeof(errors));
	return config_load_file(&test_schema, path, &errors);
}

static void
test_file_loads(void **state)
{
	struct test_config *config =
	    load_path(write_file("[testd]\ngreeting = from file\n", 0644));

	(void)state;
	assert_non_null(config);
	assert_string_equal(config->main.greeting, "from file");
	config_free(&test_schema, config);
	unlink(file_path);
}

static void
test_missing_file(void **state)
{
	(void)state;
	assert_null(load_path("/nonexistent/waypost.conf"));
	assert_config_error(&errors,
	    "/nonexistent/waypost.conf: cannot open: No such file or "
	    "directory");
}

static void
test_directory_is_not_a_file(void **state)
{
	(void)state;
	assert_null(load_path("/tmp"));
	assert_config_error(&errors, "/tmp: not a regular file");
}

static void
test_world_writable_file_is_refused(void **state)
{
	(void)state;
	assert_null(load_path(write_file("[testd]\n", 0666)));
	assert_config_error(&errors, "writable by other users: chmod o-w");
	unlink(file_path);
}

static void
test_secret_in_world_readable_file_is_refused(void **state)
{
	struct test_config *config;

	(void)state;
	assert_null(
	    load_path(write_file("[redis]\npassword = s3cret\n", 0644)));
	assert_config_error(&errors, ":2: password is a secret, but");
	assert_config_error(&errors, "is readable by other users: chmod o-r");
	unlink(file_path);
	config = load_path(write_file("[redis]\npassword = s3cret\n", 0640));
	assert_non_null(config);
	assert_string_equal(config->redis.password, "s3cret");
	config_free(&test_schema, config);
	unlink(file_path);
}

static void
test_oversized_file_is_refused(void **state)
{
	char *text = malloc(CONFIG_FILE_SIZE_MAX + 2);

	(void)state;
	memset(text, '#', CONFIG_FILE_SIZE_MAX + 1);
	text[CONFIG_FILE_SIZE_MAX + 1] = '\0';
	assert_null(load_path(write_file(text, 0644)));
	assert_config_error(&errors, "larger than 1048576 bytes");
	unlink(file_path);
	free(text);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_full_file_loads_every_type),
    cmocka_unit_test(test_defaults_apply_without_sections),
    cmocka_unit_test(test_misspelt_key_names_file_line_and_key),
    cmocka_unit_test(test_unknown_key_far_from_any_has_no_hint),
    cmocka_unit_test(test_unknown_section),
    cmocka_unit_test(test_other_daemons_sections_are_skipped),
    cmocka_unit_test(test_duplicate_key),
    cmocka_unit_test(test_duplicate_section),
    cmocka_unit_test(test_named_sections),
    cmocka_unit_test(test_duplicate_named_section),
    cmocka_unit_test(test_section_name_rules),
    cmocka_unit_test(test_header_text_is_bounded),
    cmocka_unit_test(test_key_name_is_bounded),
    cmocka_unit_test(test_comments_and_blanks),
    cmocka_unit_test(test_line_syntax_errors),
    cmocka_unit_test(test_long_line_is_refused),
    cmocka_unit_test(test_continuation_lines_join),
    cmocka_unit_test(test_continuation_is_bounded),
    cmocka_unit_test(test_bad_values_name_line_and_key),
    cmocka_unit_test(test_empty_values),
    cmocka_unit_test(test_validate_hook),
    cmocka_unit_test(test_missing_required_key),
    cmocka_unit_test(test_sections_are_bounded),
    cmocka_unit_test(test_every_error_is_reported),
    cmocka_unit_test(test_errors_are_bounded),
    cmocka_unit_test(test_crlf_and_byte_order_mark),
    cmocka_unit_test(test_buffer_size_is_bounded),
    cmocka_unit_test(test_file_loads),
    cmocka_unit_test(test_missing_file),
    cmocka_unit_test(test_directory_is_not_a_file),
    cmocka_unit_test(test_world_writable_file_is_refused),
    cmocka_unit_test(test_secret_in_world_readable_file_is_refused),
    cmocka_unit_test(test_oversized_file_is_refused),
};

UNIT_TEST_MAIN(tests)
