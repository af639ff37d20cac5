/*
 * test_daemon_socketless.c - a program that says no_socket runs through
 * daemon_main() with no socket key and none bound
 *
 * Each run is a child process (daemon_main() installs signal handlers and
 * drops root), its standard output and error in a file of the run's temp
 * dir. As root the configuration switches to the user nobody, as every
 * daemon must.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_common.h"
#include "daemon.h"
#include "unit_test.h"

#define RUN_STATUS 42

struct test_config {
	struct log_settings log;
	struct daemon_settings daemon;
};

static const struct config_section sections[] = {
    {"log", false, offsetof(struct test_config, log), 0, {{log_config_keys, 0}},
        NULL, NULL},
    {"testd", false, offsetof(struct test_config, daemon), 0,
        {{daemon_socketless_config_keys, 0}}, NULL, NULL},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

static const struct config_schema schema = {
    sizeof(struct test_config),
    sections,
    config_suite_sections,
};

static int
run(struct daemon *daemon)
{
	return daemon_listen_fd(daemon) == -1 ? RUN_STATUS : 1;
}

static const struct daemon_program program = {
    .name = "testd",
    .section = "testd",
    .schema = &schema,
    .settings_offset = offsetof(struct test_config, daemon),
    .log_offset = offsetof(struct test_config, log),
    .no_socket = true,
    .run = run,
};

static char directory[128], config_path[192], output_path[192];

static int
setup(void **state)
{
	(void)state;
	if (!unit_temp_path(
	        directory, sizeof(directory), "waypost-socketless-XXXXXX") ||
	    mkdtemp(directory) == NULL)
		return -1;
	snprintf(config_path, sizeof(config_path), "%s/w.conf", directory);
	snprintf(output_path, sizeof(output_path), "%s/out", directory);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(config_path);
	unlink(output_path);
	rmdir(directory);
	return 0;
}

static void
write_config(const char *extra)
{
	FILE *file = fopen(config_path, "w");

	assert_non_null(file);
	fprintf(file, "[testd]\n%s%s", geteuid() == 0 ? "user = nobody\n" : "",
	    extra);
	assert_int_equal(fclose(file), 0);
}

/* daemon_main() with these options in a child: its exit status. */
static int
run_daemon(const char *option)
{
	char *argv[] = {"testd", (char *)option, "-c", config_path, NULL};
	int status;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		int out = open(output_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
		_exit(daemon_main(&program, 4, argv));
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static bool
output_holds(const char *text)
{
	char data[8192];
	FILE *file = fopen(output_path, "r");
	size_t length;

	assert_non_null(file);
	length = fread(data, 1, sizeof(data) - 1, file);
	fclose(file);
	data[length] = '\0';
	if (strstr(data, text) == NULL) {
		print_message("output:\n%s\n", data);
		return false;
	}
	return true;
}

static void
test_runs_without_socket(void **state)
{
	(void)state;
	write_config("");
	assert_int_equal(run_daemon("-f"), RUN_STATUS);
	assert_true(output_holds("starting: no socket, configuration"));
}

static void
test_check_prints_no_socket_keys(void **state)
{
	(void)state;
	write_config("");
	assert_int_equal(run_daemon("-n"), 0);
	assert_true(output_holds("stop_timeout = 10s"));
	assert_false(output_holds("\nsocket"));
}

static void
test_socket_key_refused(void **state)
{
	(void)state;
	write_config("socket = unix:/run/testd.sock\n");
	assert_int_equal(run_daemon("-n"), 1);
	assert_true(output_holds("unknown key \"socket\""));
	assert_int_equal(run_daemon("-f"), 1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_runs_without_socket, setup, teardown),
    cmocka_unit_test_setup_teardown(
        test_check_prints_no_socket_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_socket_key_refused, setup, teardown),
};

UNIT_TEST_MAIN(tests)
