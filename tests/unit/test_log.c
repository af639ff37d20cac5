/*
 * test_log.c - Postfix-style lines, queue ID first, levels, no forged lines
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/util.h>

#include "event_log.h"
#include "log.h"
#include "unit_test.h"

static char captured[8192];
static int saved_stderr = -1;
static char capture_path[128];

static void
capture_start(void)
{
	int fd;

	assert_true(unit_temp_path(
	    capture_path, sizeof(capture_path), "waypost-log-XXXXXX"));
	fd = mkstemp(capture_path);
	assert_true(fd >= 0);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static const char *
capture_stop(void)
{
	int fd;
	ssize_t got;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fd = open(capture_path, O_RDONLY);
	got = read(fd, captured, sizeof(captured) - 1);
	close(fd);
	unlink(capture_path);
	captured[got > 0 ? got : 0] = '\0';
	return captured;
}

static int
setup(void **state)
{
	(void)state;
	log_open("waypost-test", LOG_TO_STDERR, 0);
	log_set_level(LOG_LEVEL_INFO);
	return 0;
}

static void
test_line_shape(void **state)
{
	char expected[256];

	(void)state;
	capture_start();
	log_event(LOG_LEVEL_INFO, "4F1A2B3C4D", "signed with %s", "s1");
	log_info("started");
	log_event(LOG_LEVEL_WARNING, "4F1A2B3C4D", "key is %d bits", 1024);
	log_warning("no queue id");
	capture_stop();
	snprintf(expected, sizeof(expected),
	    "waypost-test[%ld]: 4F1A2B3C4D: signed with s1\n"
	    "waypost-test[%ld]: started\n"
	    "waypost-test[%ld]: 4F1A2B3C4D: warning: key is 1024 bits\n"
	    "waypost-test[%ld]: warning: no queue id\n",
	    (long)getpid(), (long)getpid(), (long)getpid(), (long)getpid());
	assert_string_equal(captured, expected);
}

static void
test_levels_filter(void **state)
{
	(void)state;
	capture_start();
	log_debug("hidden");
	log_set_level(LOG_LEVEL_WARNING);
	log_info("hidden too");
	log_error("shown");
	log_set_level(LOG_LEVEL_DEBUG);
	assert_true(log_enabled(LOG_LEVEL_DEBUG));
	log_debug("now shown");
	log_set_level(LOG_LEVEL_INFO);
	capture_stop();
	assert_null(strstr(captured, "hidden"));
	assert_non_null(strstr(captured, "error: shown\n"));
	assert_non_null(strstr(captured, "debug: now shown\n"));
}

static void
test_input_cannot_forge_a_line(void **state)
{
	const char *from = "a@example.com\nwaypost-dkim[1]: ABC: signed\r";

	(void)state;
	capture_start();
	log_event(LOG_LEVEL_INFO, "Q\nID", "from=<%s>", from);
	capture_stop();
	/* One line only, the injected newline and CR shown escaped. */
	assert_int_equal(
	    strchr(captured, '\n') - captured + 1, (long)strlen(captured));
	assert_non_null(strstr(captured,
	    "Q\\nID: from=<a@example.com\\nwaypost-dkim[1]: ABC: signed\\r>"));
}

static void
test_long_lines_are_cut(void **state)
{
	char *text = malloc(LOG_LINE_MAX * 3);

	(void)state;
	memset(text, 'x', LOG_LINE_MAX * 3 - 1);
	text[LOG_LINE_MAX * 3 - 1] = '\0';
	capture_start();
	log_info("%s", text);
	capture_stop();
	free(text);
	assert_true(strlen(captured) < LOG_LINE_MAX + 64);
	assert_non_null(strstr(captured, "xxx...\n"));
}

static void
test_fatal_exits_with_status_1(void **state)
{
	int status;
	pid_t child;

	(void)state;
	capture_start();
	child = fork();
	if (child == 0)
		log_fatal("bad configuration");
	waitpid(child, &status, 0);
	capture_stop();
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(strstr(captured, "fatal: bad configuration\n"));
}

static void
test_panic_aborts(void **state)
{
	int status;
	pid_t child;

	(void)state;
	capture_start();
	child = fork();
	if (child == 0)
		log_panic("a bug");
	waitpid(child, &status, 0);
	capture_stop();
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(captured, "panic: a bug\n"));
}

/* libevent's own warnings come through the logger, not to stderr
 * with no program name. */
static void
test_libevent_messages_are_ours(void **state)
{
	const char *out;

	(void)state;
	event_log_route();
	capture_start();
	/* libevent warns of a bad descriptor itself. */
	assert_int_equal(evutil_make_socket_nonblocking(-1), -1);
	out = capture_stop();
	assert_non_null(strstr(out, "waypost-test["));
	assert_non_null(strstr(out, "]: warning: libevent: fcntl(-1, "));
	assert_null(strstr(out, "[warn]"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_line_shape, setup),
    cmocka_unit_test_setup(test_levels_filter, setup),
    cmocka_unit_test_setup(test_input_cannot_forge_a_line, setup),
    cmocka_unit_test_setup(test_long_lines_are_cut, setup),
    cmocka_unit_test_setup(test_fatal_exits_with_status_1, setup),
    cmocka_unit_test_setup(test_panic_aborts, setup),
    cmocka_unit_test_setup(test_libevent_messages_are_ours, setup),
};

UNIT_TEST_MAIN(tests)
