/*
 * test_policy_config.c - [policy] and [limit "NAME"]: good files load with
 * their subjects split, and every wrong limit is an error naming it
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy_config.h"
#include "unit_test.h"
#include "assert_errors.h"

static struct config_errors errors;

static struct policy_config *
load(const char *text)
{
	memset(&errors, 0, sizeof(errors));
	return config_load_buffer(
	    &policy_schema, "waypost.conf", text, strlen(text), &errors);
}

static void
test_good_file(void **state)
{
	struct policy_config *config = load(
	    "[redis]\naddress = 127.0.0.1:6380\nfail_mode = open\n"
	    "[policy]\nsocket = inet:10040@127.0.0.1\n"
	    "[limit \"hourly\"]\nsubject = sasl_username\nwindow = 1h\n"
	    "max = 500\n"
	    "[limit \"per-domain\"]\n"
	    "subject = sasl_username+recipient_domain\ncount = recipients\n"
	    "window = 1d\nmax = 1000\naction = 450 4.7.1 slow down\n"
	    "exempt_networks = 10.0.0.0/8\nexempt_users = postmaster\n");
	const struct limit_section *hourly, *domain;

	(void)state;
	if (config == NULL)
		fail_msg("%s", errors.text[0]);
	assert_int_equal(config->policy.ipv4_network_prefix, 24);
	assert_int_equal(config->policy.ipv6_network_prefix, 64);
	assert_int_equal(config->redis.fail_mode, REDIS_FAIL_OPEN);
	assert_int_equal(config->limits.count, 2);
	hourly = config->limits.items[0];
	domain = config->limits.items[1];
	assert_string_equal(hourly->name, "hourly");
	assert_int_equal(hourly->count, COUNT_MESSAGES);
	assert_int_equal(hourly->window, 3600 * 1000);
	assert_int_equal(hourly->max, 500);
	assert_null(hourly->action);
	assert_int_equal(hourly->part_count, 1);
	assert_int_equal(hourly->parts[0], SUBJECT_SASL_USERNAME);
	assert_int_equal(domain->count, COUNT_RECIPIENTS);
	assert_int_equal(domain->part_count, 2);
	assert_int_equal(domain->parts[0], SUBJECT_SASL_USERNAME);
	assert_int_equal(domain->parts[1], SUBJECT_RECIPIENT_DOMAIN);
	assert_string_equal(
	    limit_subject_part_name(domain->parts[1]), "recipient_domain");
	assert_string_equal(domain->action, "450 4.7.1 slow down");
	assert_int_equal(domain->exempt_networks.count, 1);
	assert_int_equal(domain->exempt_users.count, 1);
	config_free(&policy_schema, config);
}

static void
test_bad_limits(void **state)
{
	static const struct {
		const char *limit, *error;
	} cases[] = {
	    {"subject = sender_address\nwindow = 1h\nmax = 1",
	        "\"sender_address\" is not a subject"},
	    {"subject = sender+sender\nwindow = 1h\nmax = 1", "sender twice"},
	    {"subject = global+sender\nwindow = 1h\nmax = 1",
	        "global counts the whole relay"},
	    {"subject = sender+\nwindow = 1h\nmax = 1",
	        "\"\" is not a subject"},
	    {"subject = sender\nwindow = 500ms\nmax = 1", "window"},
	    {"subject = sender\nwindow = 1h\nmax = -1", "max"},
	    {"subject = sender\nwindow = 1h", "max"},
	    {"window = 1h\nmax = 1", "subject"},
	    {"subject = sender\nwindow = 1h\nmax = 1\ncount = mails", "count"},
	    {"subject = sender\nwindow = 1h\nmax = 1\naction = BOUNCE now",
	        "\"BOUNCE\" is not DEFER_IF_PERMIT"},
	    {"subject = sender\nwindow = 1h\nmax = 1\naction = 250 ok",
	        "\"250\" is not"},
	    {"subject = sender\nwindow = 1h\nmax = 1\naction = REJECT caf\xc3\xa9",
	        "only printable ASCII"},
	    {"subject = sender\nwindow = 1h\nmax = 1\nexempt_networks = 10.0.0.0/33",
	        "exempt_networks"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text), "[limit \"l%zu\"]\n%s\n", i,
		    cases[i].limit);
		assert_null(load(text));
		assert_config_error(&errors, cases[i].error);
	}
	assert_null(load("[limit \"a b\"]\nsubject = sender\nwindow = 1h\n"
	                 "max = 1\n"));
	assert_config_error(&errors, "bad name \"a b\" in [limit]");
	assert_null(load("[policy]\nipv4_network_prefix = 33\n"));
	assert_config_error(&errors, "ipv4_network_prefix");
}

static void
test_actions(void **state)
{
	char error[256];

	(void)state;
	assert_true(
	    limit_action_valid("DEFER_IF_PERMIT", error, sizeof(error)));
	assert_true(limit_action_valid("REJECT", error, sizeof(error)));
	assert_true(limit_action_valid("HOLD quota", error, sizeof(error)));
	assert_true(limit_action_valid("550 5.7.1 no", error, sizeof(error)));
	assert_false(limit_action_valid("", error, sizeof(error)));
	assert_false(limit_action_valid("45 x", error, sizeof(error)));
	assert_false(limit_action_valid("REJECTED", error, sizeof(error)));
	assert_false(limit_action_valid("REJECT a\nb", error, sizeof(error)));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good_file),
    cmocka_unit_test(test_bad_limits),
    cmocka_unit_test(test_actions),
};

UNIT_TEST_MAIN(tests)
