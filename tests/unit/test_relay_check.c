/*
 * test_relay_check.c - local domains, trusted clients, relay attempts
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_list.h"
#include "relay_check.h"
#include "unit_test.h"

static struct policy_config *config;
static struct policy_request request;
static char block[4096];

static const struct policy_section *
policy_with(const char *policy)
{
	struct config_errors errors = {0};
	char text[512];

	if (config != NULL)
		config_free(&policy_schema, config);
	snprintf(text, sizeof(text), "[policy]\n%s\n", policy);
	config = config_load_buffer(
	    &policy_schema, "t.conf", text, strlen(text), &errors);
	if (config == NULL)
		fail_msg("%s", errors.text[0]);
	return &config->policy;
}

static void
request_at(const char *state, const char *lines)
{
	char error[256];
	int length = snprintf(block, sizeof(block),
	    "request=smtpd_access_policy\nprotocol_state=%s\n%s\n", state,
	    lines);

	if (!policy_request_parse(
	        block, (size_t)length, &request, error, sizeof(error)))
		fail_msg("%s", error);
}

static void
request_with(const char *lines)
{
	request_at("RCPT", lines);
}

static void
test_local_domains(void **state)
{
	const struct policy_section *policy =
	    policy_with("local_domains = example.net, .example.org");

	(void)state;
	assert_true(recipient_local(policy, "a@example.net"));
	assert_true(recipient_local(policy, "a@EXAMPLE.Net"));
	assert_false(recipient_local(policy, "a@sub.example.net"));
	assert_false(recipient_local(policy, "a@xexample.net"));
	assert_true(recipient_local(policy, "a@mx.example.org"));
	assert_true(recipient_local(policy, "a@a.b.example.org"));
	assert_false(recipient_local(policy, "a@example.org"));
	assert_false(recipient_local(policy, "a@xexample.org"));
	assert_true(recipient_local(policy, "postmaster"));
	assert_false(recipient_local(policy, "a%b.com"));
	assert_false(recipient_local(policy, "a%b.com@example.net"));
	assert_false(recipient_local(policy, "a!b.com@example.net"));
	assert_false(recipient_local(policy, "a@b.com@example.net"));
	assert_false(recipient_local(policy, "a@"));
	assert_false(recipient_local(policy, "a@example.net."));
}

static void
test_domain_names(void **state)
{
	char error[128];

	(void)state;
	assert_true(domain_name_valid("example.com", false, error, 128));
	assert_true(domain_name_valid("_dmarc.a-b.example", false, error, 128));
	assert_true(domain_name_valid(".example.com", true, error, 128));
	assert_false(domain_name_valid(".example.com", false, error, 128));
	assert_false(domain_name_valid("example..com", false, error, 128));
	assert_false(domain_name_valid("example.com.", false, error, 128));
	assert_false(domain_name_valid("a@example.com", false, error, 128));
	assert_false(domain_name_valid("", false, error, 128));
	assert_false(domain_name_valid(".", true, error, 128));
	assert_false(domain_name_valid(
	    "a234567890123456789012345678901234567890123456789012345678901234"
	    ".com",
	    false, error, 128));
	assert_non_null(strstr(error, "label"));
}

static void
test_relay_denied(void **state)
{
	const struct policy_section *policy = policy_with(
	    "local_domains = example.net\ntrusted_networks = 10.0.0.0/8");

	(void)state;
	request_with("client_address=192.0.2.1\nrecipient=a@example.com\n");
	assert_true(relay_denied(policy, &request));
	request_with("client_address=192.0.2.1\nrecipient=a@example.net\n");
	assert_false(relay_denied(policy, &request));
	request_with("client_address=10.1.2.3\nrecipient=a@example.com\n");
	assert_false(relay_denied(policy, &request));
	request_with("client_address=192.0.2.1\nrecipient=a@example.com\n"
	             "sasl_username=alice\n");
	assert_false(relay_denied(policy, &request));
	request_with("client_address=\nrecipient=a@example.com\n");
	assert_true(relay_denied(policy, &request));
	/* Only at RCPT, and only when asked to. */
	request_at(
	    "DATA", "client_address=192.0.2.1\nrecipient=a@example.com\n");
	assert_false(relay_denied(policy, &request));
	policy = policy_with("check_relay = no");
	request_with("client_address=192.0.2.1\nrecipient=a@example.com\n");
	assert_false(relay_denied(policy, &request));
	/* The default trusts the loopback host only. */
	policy = policy_with("");
	request_with("client_address=127.0.0.1\nrecipient=a@example.com\n");
	assert_false(relay_denied(policy, &request));
	request_with("client_address=::1\nrecipient=a@example.com\n");
	assert_false(relay_denied(policy, &request));
	request_with("client_address=127.0.0.2\nrecipient=a@example.com\n");
	assert_true(relay_denied(policy, &request));
}

static int
teardown(void **state)
{
	(void)state;
	if (config != NULL)
		config_free(&policy_schema, config);
	return 0;
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_local_domains),
    cmocka_unit_test(test_domain_names),
    cmocka_unit_test(test_relay_denied),
};

int
main(void)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
