/*
 * test_config_print.c - "-n" output: complete, masked, and loadable again
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_schema.h"
#include "unit_test.h"

static char *
print_to_string(const struct test_config *config)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	config_print(&test_schema, config, out);
	fclose(out);
	return text;
}

static struct test_config *
load(const char *text)
{
	struct config_errors errors;
	struct test_config *config;

	memset(&errors, 0, sizeof(errors));
	config = config_load_buffer(
	    &test_schema, "t.conf", text, strlen(text), &errors);
	for (size_t i = 0; i < errors.count; i++)
		print_message("%s\n", errors.text[i]);
	assert_non_null(config);
	return config;
}

static void
test_prints_every_key_with_defaults(void **state)
{
	struct test_config *config =
	    load("[widget \"w1\"]\nsubject = sender\ncount = 7\n");
	char *text = print_to_string(config);

	(void)state;
	assert_non_null(strstr(text, "[log]\nlevel = info\nfacility = mail\n"));
	assert_non_null(strstr(text, "[testd]\nsocket = unix:/tmp/testd.sock\n"
	                             "socket_mode = 0660\nsocket_group =\n"));
	assert_non_null(strstr(text, "stop_timeout = 10s\n"));
	assert_non_null(strstr(text, "max_size = 10M\n"));
	assert_non_null(strstr(text, "interval = 90s\n"));
	assert_non_null(strstr(text, "networks = 127.0.0.0/8, ::1/128\n"));
	assert_non_null(strstr(text, "headers = From, To, Subject\n"));
	assert_non_null(strstr(text, "[widget \"w1\"]\nsubject = sender\n"
	                             "count = 7\nwindow = 1h\n"
	                             "action = defer\n"));
	assert_non_null(strstr(text, "[redis]\naddress = 127.0.0.1:6379\n"));
	free(text);
	config_free(&test_schema, config);
}

static void
test_secret_is_masked(void **state)
{
	struct test_config *config = load("[redis]\npassword = hunter2\n");
	char *text = print_to_string(config);

	(void)state;
	assert_null(strstr(text, "hunter2"));
	assert_non_null(strstr(text, "password = ********\n"));
	free(text);
	config_free(&test_schema, config);
}

static void
test_output_loads_to_the_same_configuration(void **state)
{
	char input[16384];
	size_t used;
	struct test_config *first, *second;
	char *printed, *reprinted;

	(void)state;
	used =
	    (size_t)sprintf(input, "[testd]\nsocket = inet6:25@::1\n"
	                           "interval = 1500ms\nnetworks = 10.0.0.0/8");
	/* A list far longer than one line: printing must fold it. */
	for (int i = 0; i < 60; i++)
		used +=
		    (size_t)sprintf(input + used, ",\n  10.%d.0.0/16", i + 1);
	sprintf(input + used,
	    "\n[widget \"a\"]\nsubject = a\ncount = 1\naction = reject\n"
	    "[widget \"b\"]\nsubject = b\nwindow = 1w\n");
	first = load(input);
	printed = print_to_string(first);
	for (char *line = printed; *line; line = strchr(line, '\n') + 1)
		assert_true(strcspn(line, "\n") < 198);
	second = load(printed);
	reprinted = print_to_string(second);
	assert_string_equal(printed, reprinted);
	assert_int_equal(second->main.networks.count, 61);
	assert_int_equal(second->main.interval, 1500);
	assert_int_equal(second->widgets.count, 2);
	free(printed);
	free(reprinted);
	config_free(&test_schema, first);
	config_free(&test_schema, second);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_prints_every_key_with_defaults),
    cmocka_unit_test(test_secret_is_masked),
    cmocka_unit_test(test_output_loads_to_the_same_configuration),
};

UNIT_TEST_MAIN(tests)
