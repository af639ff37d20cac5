/*
 * test_daemon_signal.c - signals arrive as events; SIGPIPE does not kill
 */
#include "config.h"

#include <poll.h>
#include <signal.h>

#include "daemon_signal.h"
#include "unit_test.h"

static int
setup(void **state)
{
	char error[128];

	(void)state;
	return daemon_signal_install(error, sizeof(error)) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	daemon_signal_uninstall();
	return 0;
}

static void
test_signals_become_events(void **state)
{
	struct pollfd ready;

	(void)state;
	assert_int_equal(daemon_signal_next(), 0);
	raise(SIGHUP);
	raise(SIGTERM);
	ready.fd = daemon_signal_fd();
	ready.events = POLLIN;
	assert_int_equal(poll(&ready, 1, 1000), 1);
	assert_int_equal(daemon_signal_next(), SIGHUP);
	assert_int_equal(daemon_signal_next(), SIGTERM);
	assert_int_equal(daemon_signal_next(), 0);
	raise(SIGINT);
	assert_int_equal(daemon_signal_next(), SIGINT);
}

static void
test_sigpipe_is_ignored(void **state)
{
	(void)state;
	raise(SIGPIPE);
	assert_int_equal(daemon_signal_next(), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(
        test_signals_become_events, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sigpipe_is_ignored, setup, teardown),
};

UNIT_TEST_MAIN(tests)
