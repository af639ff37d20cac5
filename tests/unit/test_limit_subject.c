/*
 * test_limit_subject.c - the subject a limit counts a request under
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit_subject.h"
#include "unit_test.h"

static struct policy_config *config;
static struct policy_request request;
static char block[4096];

/* A configuration whose one limit has this subject. */
static const struct limit_section *
limit_for(const char *subject, const char *policy)
{
	struct config_errors errors = {0};
	char text[512];

	if (config != NULL)
		config_free(&policy_schema, config);
	snprintf(text, sizeof(text),
	    "[policy]\n%s\n[limit \"l\"]\nsubject = %s\nwindow = 1h\nmax = 1\n",
	    policy, subject);
	config = config_load_buffer(
	    &policy_schema, "t.conf", text, strlen(text), &errors);
	if (config == NULL)
		fail_msg("%s", errors.text[0]);
	return config->limits.items[0];
}

/* A request with these extra lines ("name=value\n"...). */
static void
request_with(const char *lines)
{
	char error[256];
	int length = snprintf(block, sizeof(block),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n%s\n", lines);

	if (!policy_request_parse(
	        block, (size_t)length, &request, error, sizeof(error)))
		fail_msg("%s", error);
}

/* The subject, or "(none)" when the request is not counted. */
static const char *
subject_of(const char *subject, const char *policy, const char *recipient)
{
	static struct buffer out;
	const struct limit_section *limit = limit_for(subject, policy);

	if (!limit_subject(limit, &config->policy, &request, recipient, &out))
		return "(none)";
	return out.data;
}

static void
test_parts(void **state)
{
	(void)state;
	request_with("sasl_username=Alice@Example.COM\n"
	             "sender=Alice@Example.COM\nclient_address=192.0.2.77\n"
	             "recipient=Bob@Example.NET\n");
	assert_string_equal(
	    subject_of("sasl_username", "", ""), "alice@example.com");
	assert_string_equal(subject_of("sender", "", ""), "alice@example.com");
	assert_string_equal(subject_of("sender_domain", "", ""), "example.com");
	assert_string_equal(subject_of("client_address", "", ""), "192.0.2.77");
	assert_string_equal(
	    subject_of("client_network", "", ""), "192.0.2.0/24");
	assert_string_equal(
	    subject_of("client_network", "ipv4_network_prefix = 20", ""),
	    "192.0.0.0/20");
	assert_string_equal(
	    subject_of("recipient_domain", "", "Bob@Example.NET"),
	    "example.net");
	assert_string_equal(subject_of("global", "", ""), "*");
	/* In the order written: the order names the key. */
	assert_string_equal(
	    subject_of("sasl_username+recipient_domain", "", "bob@example.net"),
	    "alice@example.com|example.net");
	assert_string_equal(
	    subject_of("recipient_domain+sasl_username", "", "bob@example.net"),
	    "example.net|alice@example.com");
}

static void
test_ipv6(void **state)
{
	(void)state;
	request_with("client_address=2001:DB8:0:0:1::FF\n");
	assert_string_equal(
	    subject_of("client_address", "", ""), "2001:db8::1:0:0:ff");
	assert_string_equal(
	    subject_of("client_network", "", ""), "2001:db8::/64");
	assert_string_equal(
	    subject_of("client_network", "ipv6_network_prefix = 24", ""),
	    "2001:d00::/24");
	assert_string_equal(
	    subject_of("client_network", "ipv6_network_prefix = 20", ""),
	    "2001::/20");
	/* IPv4 mapped into IPv6 is the IPv4 client. */
	request_with("client_address=::FFFF:192.0.2.77\n");
	assert_string_equal(subject_of("client_address", "", ""), "192.0.2.77");
	assert_string_equal(
	    subject_of("client_network", "", ""), "192.0.2.0/24");
}

/* An empty part: the limit does not count the request. */
static void
test_not_counted(void **state)
{
	static const char *const empty[] = {"sasl_username", "sender",
	    "sender_domain", "client_address", "client_network",
	    "recipient_domain"};

	(void)state;
	request_with("sender=\nclient_address=unknown\n");
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
		assert_string_equal(subject_of(empty[i], "", ""), "(none)");
	assert_string_equal(subject_of("global", "", ""), "*");
	request_with("sasl_username=alice\nsender=no-domain\n");
	assert_string_equal(subject_of("sender_domain", "", ""), "(none)");
	assert_string_equal(
	    subject_of("sasl_username+sender_domain", "", ""), "(none)");
}

/* Two different requests never share a subject. */
static void
test_escaping(void **state)
{
	(void)state;
	request_with("sasl_username=a|b\nsender=x@c\n");
	assert_string_equal(
	    subject_of("sasl_username+sender_domain", "", ""), "a%7Cb|c");
	request_with("sasl_username=a\nsender=x@b|c\n");
	assert_string_equal(
	    subject_of("sasl_username+sender_domain", "", ""), "a|b%7Cc");
	request_with("sender=\"a b%\"@\xc3\xa9.example\n");
	assert_string_equal(
	    subject_of("sender", "", ""), "\"a%20b%25\"@%C3%A9.example");
}

/* An operator's text for a limit: its subject as the request's would
 * be, or "(none)" when it does not fit. */
static const char *
parsed(const char *subject, const char *policy, const char *text)
{
	static struct buffer out;
	const struct limit_section *limit = limit_for(subject, policy);

	if (!limit_subject_parse(limit, &config->policy, text, &out))
		return "(none)";
	return out.data;
}

/* The way back: what an operator writes names the key a request does. */
static void
test_parse(void **state)
{
	char long_text[LIMIT_SUBJECT_TEXT_MAX + 2];

	(void)state;
	assert_string_equal(parsed("sasl_username", "", "Alice@Example.COM"),
	    "alice@example.com");
	assert_string_equal(
	    parsed("sender", "", "Alice@Example.COM."), "alice@example.com");
	assert_string_equal(
	    parsed("sender_domain", "", "Example.COM."), "example.com");
	assert_string_equal(
	    parsed("sender_domain", "", "a@example.com"), "(none)");
	assert_string_equal(
	    parsed("recipient_domain", "", "Example.NET"), "example.net");
	assert_string_equal(
	    parsed("client_address", "", "::FFFF:192.0.2.77"), "192.0.2.77");
	assert_string_equal(parsed("client_address", "", "2001:DB8:0:0:1::FF"),
	    "2001:db8::1:0:0:ff");
	assert_string_equal(parsed("client_address", "", "alice"), "(none)");
	assert_string_equal(
	    parsed("client_network", "", "192.0.2.77/24"), "192.0.2.0/24");
	assert_string_equal(
	    parsed("client_network", "", "192.0.2.0/20"), "(none)");
	assert_string_equal(
	    parsed("client_network", "", "192.0.2.0"), "(none)");
	assert_string_equal(parsed("client_network", "ipv4_network_prefix = 20",
	                        "192.0.2.0/20"),
	    "192.0.0.0/20");
	assert_string_equal(
	    parsed("client_network", "", "2001:db8::5/64"), "2001:db8::/64");
	assert_string_equal(parsed("global", "", "*"), "*");
	assert_string_equal(parsed("global", "", "x"), "(none)");
	assert_string_equal(parsed("sasl_username+recipient_domain", "",
	                        "A@x.example|Y.EXAMPLE."),
	    "a@x.example|y.example");
	assert_string_equal(
	    parsed("sasl_username+recipient_domain", "", "a@x.example"),
	    "(none)");
	assert_string_equal(parsed("sasl_username", "", "a|b"), "(none)");
	assert_string_equal(parsed("sasl_username", "", ""), "(none)");
	/* As the log shows it: %XX decoded, then written again. */
	assert_string_equal(
	    parsed("sasl_username+sender_domain", "", "a%7Cb|c"), "a%7Cb|c");
	assert_string_equal(parsed("sender", "", "\"a%20b%25\"@%C3%A9.example"),
	    "\"a%20b%25\"@%C3%A9.example");
	assert_string_equal(parsed("sasl_username", "", "a%zz"), "(none)");
	assert_string_equal(parsed("sasl_username", "", "a%2"), "(none)");
	assert_string_equal(parsed("sasl_username", "", "a%00b"), "(none)");
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	assert_string_equal(parsed("sasl_username", "", long_text), "(none)");
	long_text[LIMIT_SUBJECT_TEXT_MAX] = '\0';
	assert_int_equal(strlen(parsed("sasl_username", "", long_text)),
	    LIMIT_SUBJECT_TEXT_MAX);
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
    cmocka_unit_test(test_parts),
    cmocka_unit_test(test_ipv6),
    cmocka_unit_test(test_not_counted),
    cmocka_unit_test(test_escaping),
    cmocka_unit_test(test_parse),
};

int
main(void)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
