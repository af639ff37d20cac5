/*
 * unit_test.h - what every cmocka unit test includes
 *
 * cmocka needs these system headers before its own. UNIT_TEST_MAIN runs
 * one group and reports it as TAP, which automake's TAP driver counts
 * test by test.
 */
#ifndef WAYPOST_UNIT_TEST_H
#define WAYPOST_UNIT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define UNIT_TEST_MAIN(tests)                                                  \
	int main(void)                                                         \
	{                                                                      \
		cmocka_set_message_output(CM_OUTPUT_TAP);                      \
		return cmocka_run_group_tests(tests, NULL, NULL);              \
	}

#endif
