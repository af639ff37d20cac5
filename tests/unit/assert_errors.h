/*
 * assert_errors.h - check that a list of config errors says something
 *
 * assert_config_error() passes when one of the collected errors contains
 * the expected text, and otherwise prints every error and fails the
 * test. Include after unit_test.h and config_file.h.
 */
#ifndef WAYPOST_ASSERT_ERRORS_H
#define WAYPOST_ASSERT_ERRORS_H

#include <string.h>

static inline void
assert_config_error(const struct config_errors *errors, const char *expected)
{
	for (size_t i = 0; i < errors->count; i++)
		if (strstr(errors->text[i], expected) != NULL)
			return;
	for (size_t i = 0; i < errors->count; i++)
		print_message("error %zu: %s\n", i, errors->text[i]);
	fail_msg("no error contains \"%s\"", expected);
}

#endif
