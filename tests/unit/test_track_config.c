/*
 * test_track_config.c - [track]: a good file loads with its defaults, and
 * every bad value is refused with the file and line
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "track_config.h"
#include "unit_test.h"
#include "assert_errors.h"

static struct config_errors errors;

static struct track_config *
load(const char *text)
{
	memset(&errors, 0, sizeof(errors));
	return config_load_buffer(
	    &track_schema, "waypost.conf", text, strlen(text), &errors);
}

static void
test_good_file(void **state)
{
	struct track_config *config =
	    load("[log]\nlevel = debug\n"
	         "[policy]\nsocket = inet:10040@127.0.0.1\n"
	         "[track]\nlog_file = /var/log/postfix.log\nuser = nobody\n"
	         "pidfile = /run/waypost/trackd.pid\n");

	(void)state;
	if (config == NULL)
		fail_msg("%s", errors.text[0]);
	assert_string_equal(config->track.log_file, "/var/log/postfix.log");
	assert_string_equal(config->track.rules_file,
	    WAYPOST_SYSCONF_DIR "/bounce-classes.conf");
	assert_int_equal(config->track.max_open_messages, 1000000);
	assert_string_equal(config->track.daemon.user, "nobody");
	assert_int_equal(config->track.daemon.socket.kind, SOCKET_NONE);
	config_free(&track_schema, config);

	config = load("[track]\nlog_file = -\nrules_file = /etc/rules\n"
	              "max_open_messages = 100\n");
	if (config == NULL)
		fail_msg("%s", errors.text[0]);
	assert_string_equal(config->track.log_file, "-");
	assert_string_equal(config->track.rules_file, "/etc/rules");
	assert_int_equal(config->track.max_open_messages, 100);
	config_free(&track_schema, config);
}

static void
refused(const char *text, const char *expected)
{
	struct track_config *config = load(text);

	if (config != NULL) {
		config_free(&track_schema, config);
		fail_msg("accepted: %s", text);
	}
	assert_config_error(&errors, expected);
}

static void
test_bad_values(void **state)
{
	(void)state;
	refused("[track]\nuser = nobody\n",
	    "waypost.conf:1: [track] missing required key \"log_file\"");
	refused("[track]\n\nlog_file = postfix.log\n",
	    "waypost.conf:1: [track] log_file: \"postfix.log\" is neither");
	refused("[track]\nlog_file = -\nrules_file = rules.conf\n",
	    "waypost.conf:3: [track] rules_file: \"rules.conf\" is not an "
	    "absolute path");
	refused("[track]\nlog_file = -\nmax_open_messages = 99\n",
	    "waypost.conf:3: [track] max_open_messages: must be between 100 "
	    "and 100000000");
	refused("[track]\nlog_file = -\nmax_open_messages = 100000001\n",
	    "waypost.conf:3: [track] max_open_messages: must be between");
	refused("[track]\nlog_file = -\nmax_open_messages = many\n",
	    "waypost.conf:3: [track] max_open_messages: bad value \"many\"");
	refused("[track]\nlog_file = -\nlog_file = /var/log/mail.log\n",
	    "waypost.conf:3: key \"log_file\" appears twice");
	refused("[track]\nlog_file = -\nfollow = yes\n",
	    "waypost.conf:3: unknown key \"follow\"");
	refused("[track]\nlog_file = -\nuser = no-such-user-here\n",
	    "waypost.conf:3: [track] user: no such user");
}

/* waypost-trackd serves no socket: the socket keys are not its. */
static void
test_no_socket_keys(void **state)
{
	(void)state;
	refused("[track]\nlog_file = -\nsocket = unix:/run/t.sock\n",
	    "waypost.conf:3: unknown key \"socket\"");
	refused("[track]\nlog_file = -\nsocket_mode = 0660\n",
	    "waypost.conf:3: unknown key \"socket_mode\"");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good_file),
    cmocka_unit_test(test_bad_values),
    cmocka_unit_test(test_no_socket_keys),
};

UNIT_TEST_MAIN(tests)
