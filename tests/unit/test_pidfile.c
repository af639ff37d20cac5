/*
 * test_pidfile.c - the pidfile holds our PID and keeps a second copy out
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidfile.h"
#include "unit_test.h"

static char directory[64];
static char path[128];
static char error[256];

static int
setup(void **state)
{
	(void)state;
	if (!unit_temp_path(
	        directory, sizeof(directory), "waypost-pid-XXXXXX") ||
	    mkdtemp(directory) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/test.pid", directory);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pidfile_remove();
	unlink(path);
	rmdir(directory);
	return 0;
}

static void
test_holds_pid_and_is_removed(void **state)
{
	char text[32] = "";
	char expected[32];
	FILE *file;

	(void)state;
	assert_true(pidfile_create(path, error, sizeof(error)));
	file = fopen(path, "r");
	assert_non_null(file);
	assert_non_null(fgets(text, sizeof(text), file));
	fclose(file);
	snprintf(expected, sizeof(expected), "%ld\n", (long)getpid());
	assert_string_equal(text, expected);
	pidfile_remove();
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_second_instance_is_refused(void **state)
{
	int status;
	pid_t child;
	char expected[64], text[64] = "";
	FILE *file;

	(void)state;
	assert_true(pidfile_create(path, error, sizeof(error)));
	child = fork();
	if (child == 0)
		_exit(pidfile_create(path, error, sizeof(error)) ? 1
		      : strstr(error, "already running as PID")  ? 0
		                                                 : 2);
	waitpid(child, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The refused instance must not have clobbered our PID. */
	snprintf(expected, sizeof(expected), "%ld\n", (long)getpid());
	file = fopen(path, "r");
	assert_non_null(file);
	assert_non_null(fgets(text, sizeof(text), file));
	fclose(file);
	assert_string_equal(text, expected);
}

static void
test_stale_file_is_reused(void **state)
{
	FILE *file = fopen(path, "w");

	(void)state;
	fputs("99999\n", file);
	fclose(file);
	assert_true(pidfile_create(path, error, sizeof(error)));
}

static void
test_symlink_is_refused(void **state)
{
	char target[160];

	(void)state;
	snprintf(target, sizeof(target), "%s/elsewhere", directory);
	assert_int_equal(symlink(target, path), 0);
	assert_false(pidfile_create(path, error, sizeof(error)));
	assert_non_null(strstr(error, "cannot open pidfile"));
	assert_int_equal(access(target, F_OK), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(
        test_holds_pid_and_is_removed, setup, teardown),
    cmocka_unit_test_setup_teardown(
        test_second_instance_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stale_file_is_reused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_symlink_is_refused, setup, teardown),
};

UNIT_TEST_MAIN(tests)
