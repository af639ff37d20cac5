/*
 * unit_test.h - what every cmocka unit test includes
 *
 * cmocka needs these system headers before its own. UNIT_TEST_MAIN runs
 * one group and reports it as TAP, which automake's TAP driver counts
 * test by test. unit_temp_path() names a file or directory in the run's
 * own temp dir: make check gives each test one in TMPDIR
 * (tests/with-own-tmpdir.sh), so nothing goes to /tmp itself.
 */
#ifndef WAYPOST_UNIT_TEST_H
#define WAYPOST_UNIT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

/* $TMPDIR/name (/tmp/name if TMPDIR is unset) in path, for mkstemp() or
 * mkdtemp(); false if it does not fit. */
static inline bool
unit_temp_path(char *path, size_t size, const char *name)
{
	const char *directory = getenv("TMPDIR");
	int length;

	if (directory == NULL || directory[0] == '\0')
		directory = "/tmp";
	length = snprintf(path, size, "%s/%s", directory, name);
	return length > 0 && (size_t)length < size;
}

#define UNIT_TEST_MAIN(tests)                                                  \
	int main(void)                                                         \
	{                                                                      \
		cmocka_set_message_output(CM_OUTPUT_TAP);                      \
		return cmocka_run_group_tests(tests, NULL, NULL);              \
	}

#endif
