/*
 * test_policy_request.c - Postfix policy delegation requests: where one
 * ends, what is kept, and every malformed case refused with its reason
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_request.h"
#include "unit_test.h"

/* What Postfix 3.7 sends at END-OF-MESSAGE (SMTPD_POLICY_README). */
#define EOM_REQUEST                                                            \
	"request=smtpd_access_policy\n"                                        \
	"protocol_state=END-OF-MESSAGE\n"                                      \
	"protocol_name=ESMTP\n"                                                \
	"client_address=127.0.0.2\n"                                           \
	"client_name=localhost\n"                                              \
	"reverse_client_name=localhost\n"                                      \
	"helo_name=app.example.com\n"                                          \
	"sender=Alice@Example.com\n"                                           \
	"recipient=\n"                                                         \
	"recipient_count=40\n"                                                 \
	"queue_id=4QabcD1xyz\n"                                                \
	"instance=3b1c.6761a3f2.9e5a2.0\n"                                     \
	"size=2048\n"                                                          \
	"sasl_method=PLAIN\n"                                                  \
	"sasl_username=alice@example.com\n"                                    \
	"sasl_sender=\n"                                                       \
	"ccert_subject=\n"                                                     \
	"encryption_protocol=\n"                                               \
	"policy_context=\n"                                                    \
	"server_address=127.0.0.1\n"                                           \
	"server_port=25\n"                                                     \
	"\n"

static char error[256];
static struct policy_request request;

/* Parse a copy of text; the copy stays alive until the next call. */
static bool
parse(const char *text)
{
	static char *copy;

	free(copy);
	copy = strdup(text);
	return policy_request_parse(
	    copy, strlen(copy), &request, error, sizeof(error));
}

static void
assert_refused(const char *text, const char *reason)
{
	if (parse(text))
		fail_msg("accepted: %s", text);
	if (strstr(error, reason) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", error, reason);
}

static void
test_end(void **state)
{
	const char *two = "request=smtpd_access_policy\n\n"
	                  "request=smtpd_access_policy\n\n";

	(void)state;
	assert_int_equal(policy_request_end("", 0), 0);
	assert_int_equal(policy_request_end("a=b", 3), 0);
	assert_int_equal(policy_request_end("a=b\n", 4), 0);
	assert_int_equal(policy_request_end("a=b\n\n", 5), 5);
	assert_int_equal(policy_request_end("\n", 1), 1);
	/* Two requests in one read: the first ends after its empty line. */
	assert_int_equal(policy_request_end(two, strlen(two)), 29);
	assert_int_equal(policy_request_end(EOM_REQUEST, strlen(EOM_REQUEST)),
	    strlen(EOM_REQUEST));
	/* Only the bytes given count. */
	assert_int_equal(policy_request_end("a=b\n\n", 4), 0);
}

static void
test_parse(void **state)
{
	(void)state;
	assert_true(parse(EOM_REQUEST));
	assert_int_equal(request.attributes, 21);
	assert_string_equal(
	    policy_request_value(&request, POLICY_PROTOCOL_STATE),
	    "END-OF-MESSAGE");
	/* The domain in its one form (lib/mail_domain.c), the local part
	 * as sent. */
	assert_string_equal(
	    policy_request_value(&request, POLICY_SENDER), "Alice@example.com");
	assert_string_equal(
	    policy_request_value(&request, POLICY_SASL_USERNAME),
	    "alice@example.com");
	assert_string_equal(policy_request_value(&request, POLICY_INSTANCE),
	    "3b1c.6761a3f2.9e5a2.0");
	assert_string_equal(
	    policy_request_value(&request, POLICY_RECIPIENT), "");
	assert_int_equal(request.recipient_count, 40);
	assert_int_equal(request.size, 2048);
	/* Values may hold "=" and spaces; the last of a repeated name wins. */
	assert_true(
	    parse("request=smtpd_access_policy\nsender=a=b c@x\n"
	          "client_address=1.2.3.4\nclient_address=5.6.7.8\n\n"));
	assert_string_equal(
	    policy_request_value(&request, POLICY_SENDER), "a=b c@x");
	assert_string_equal(
	    policy_request_value(&request, POLICY_CLIENT_ADDRESS), "5.6.7.8");
	/* Absent attributes are "", and numbers 0. */
	assert_true(parse("request=smtpd_access_policy\n\n"));
	assert_string_equal(
	    policy_request_value(&request, POLICY_SASL_USERNAME), "");
	assert_int_equal(request.size, 0);
	assert_string_equal(policy_attribute_name(POLICY_SIZE), "size");
}

/* CR LF lines, as telnet sends them: the request ends at "\r\n", and
 * no value keeps the CR. */
static void
test_crlf(void **state)
{
	const char *crlf = "request=smtpd_access_policy\r\n"
	                   "protocol_state=RCPT\r\nsender=a@b.example\r\n"
	                   "\r\nrequest=smtpd_access_policy\n\n";
	size_t length =
	    strlen(crlf) - strlen("request=smtpd_access_policy\n\n");
	char *copy = strdup(crlf);

	(void)state;
	assert_int_equal(policy_request_end("\r\n", 2), 2);
	assert_int_equal(policy_request_end("a=b\r\n\r", 6), 0);
	assert_int_equal(policy_request_end("a=b\r\n\r\n", 7), 7);
	assert_int_equal(policy_request_end("a=b\r\n\n", 6), 6);
	assert_int_equal(policy_request_end(crlf, strlen(crlf)), length);
	/* Arriving a byte at a time, the end is found where it completes. */
	for (size_t n = 1, looked = 0; n <= length; n++) {
		size_t end = policy_request_end_from(crlf, n, looked);

		assert_int_equal(end, n == length ? length : 0);
		looked = n;
	}
	assert_true(
	    policy_request_parse(copy, length, &request, error, sizeof(error)));
	assert_string_equal(
	    policy_request_value(&request, POLICY_PROTOCOL_STATE), "RCPT");
	assert_string_equal(
	    policy_request_value(&request, POLICY_SENDER), "a@b.example");
	free(copy);
	assert_refused(
	    "request=smtpd_access_policy\r\n\r\nx=y\n\n", "does not end with");
}

/* Every domain of an address in one form: lower case, one trailing dot
 * removed where Postfix removes it; the local part as sent. */
static void
test_domains_normalized(void **state)
{
	(void)state;
	assert_true(parse("request=smtpd_access_policy\n"
	                  "sender=Bob@Example.ORG.\n"
	                  "recipient=x@GMAIL.test.\n\n"));
	assert_string_equal(
	    policy_request_value(&request, POLICY_SENDER), "Bob@example.org");
	assert_string_equal(
	    policy_request_value(&request, POLICY_RECIPIENT), "x@gmail.test");
	assert_true(parse("request=smtpd_access_policy\n"
	                  "sender=a@example.org..\nrecipient=b@.\n\n"));
	assert_string_equal(
	    policy_request_value(&request, POLICY_SENDER), "a@example.org..");
	assert_string_equal(
	    policy_request_value(&request, POLICY_RECIPIENT), "b@.");
	assert_true(parse("request=smtpd_access_policy\n"
	                  "sender=\nrecipient=Postmaster\n\n"));
	assert_string_equal(policy_request_value(&request, POLICY_SENDER), "");
	assert_string_equal(
	    policy_request_value(&request, POLICY_RECIPIENT), "Postmaster");
}

/* protocol_state and client_address are read once, for every check. */
static void
test_state_and_client(void **state)
{
	static const struct {
		const char *text;
		enum policy_state state;
	} states[] = {
	    {"MAIL", POLICY_STATE_MAIL},
	    {"RCPT", POLICY_STATE_RCPT},
	    {"DATA", POLICY_STATE_DATA},
	    {"END-OF-MESSAGE", POLICY_STATE_END_OF_MESSAGE},
	    {"CONNECT", POLICY_STATE_OTHER},
	    {"rcpt", POLICY_STATE_OTHER},
	    {"", POLICY_STATE_OTHER},
	};
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		snprintf(text, sizeof(text),
		    "request=smtpd_access_policy\nprotocol_state=%s\n\n",
		    states[i].text);
		assert_true(parse(text));
		assert_int_equal(request.state, states[i].state);
	}
	assert_int_equal(request.client.family, 0);
	assert_true(parse("request=smtpd_access_policy\n"
	                  "client_address=192.0.2.7\n\n"));
	assert_int_equal(request.client.family, AF_INET);
	assert_memory_equal(request.client.bytes, "\xc0\x00\x02\x07", 4);
	assert_true(parse("request=smtpd_access_policy\n"
	                  "client_address=2001:db8::1\n\n"));
	assert_int_equal(request.client.family, AF_INET6);
	assert_true(parse("request=smtpd_access_policy\n"
	                  "client_address=unknown\n\n"));
	assert_int_equal(request.client.family, 0);
}

/* A request parsed after another keeps nothing of it. */
static void
test_no_state_between_requests(void **state)
{
	(void)state;
	assert_true(parse(EOM_REQUEST));
	assert_true(parse("request=smtpd_access_policy\n"
	                  "protocol_state=RCPT\nsender=bob@example.org\n\n"));
	assert_string_equal(
	    policy_request_value(&request, POLICY_SASL_USERNAME), "");
	assert_int_equal(request.recipient_count, 0);
	assert_string_equal(
	    policy_request_value(&request, POLICY_QUEUE_ID), "");
}

static void
test_malformed(void **state)
{
	struct buffer_like {
		char *data;
		size_t length;
	} big;

	(void)state;
	assert_refused("sender=a@b\n\n", "not a policy request (request=)");
	assert_refused(
	    "request=junk\n\n", "not a policy request (request=junk)");
	assert_refused("request=smtpd_access_policy\nno equals sign\n\n",
	    "line 2: expected name=value");
	assert_refused("request=smtpd_access_policy\n=value\n\n",
	    "line 2: expected name=value");
	assert_refused(
	    "request=smtpd_access_policy\nsize=12k\n\n", "bad size \"12k\"");
	assert_refused("request=smtpd_access_policy\nsize=-1\n\n", "bad size");
	assert_refused(
	    "request=smtpd_access_policy\nsize=10000000000000000\n\n",
	    "bad size");
	assert_refused("request=smtpd_access_policy\nrecipient_count=1 \n\n",
	    "bad recipient_count");
	assert_refused("request=smtpd_access_policy\n", "does not end with");
	assert_refused(
	    "request=smtpd_access_policy\n\nsender=x\n\n", "does not end with");
	assert_refused("request=smtpd_access_policy", "not one request");
	assert_false(
	    policy_request_parse(NULL, 0, &request, error, sizeof(error)));
	{
		char with_nul[] =
		    "request=smtpd_access_policy\nsender=a\0b\n\n";

		assert_false(policy_request_parse(with_nul,
		    sizeof(with_nul) - 1, &request, error, sizeof(error)));
		assert_string_equal(error, "a NUL byte in the request");
	}
	/* 1,000 attributes pass, 1,001 do not. */
	big.data = malloc(POLICY_REQUEST_MAX + 1);
	for (int attributes = 1000; attributes <= 1001; attributes++) {
		big.length = (size_t)snprintf(big.data, POLICY_REQUEST_MAX,
		    "request=smtpd_access_policy\n");
		for (int i = 1; i < attributes; i++)
			big.length += (size_t)snprintf(big.data + big.length,
			    POLICY_REQUEST_MAX - big.length, "x%d=%d\n", i, i);
		big.data[big.length++] = '\n';
		assert_int_equal(policy_request_parse(big.data, big.length,
		                     &request, error, sizeof(error)),
		    attributes == 1000);
	}
	assert_string_equal(error, "more than 1000 attributes");
	/* Over 64 KiB: refused whatever it holds. */
	memset(big.data, 'a', POLICY_REQUEST_MAX + 1);
	memcpy(big.data, "request=smtpd_access_policy\nx=", 30);
	big.data[POLICY_REQUEST_MAX - 1] = '\n';
	big.data[POLICY_REQUEST_MAX] = '\n';
	assert_false(policy_request_parse(
	    big.data, POLICY_REQUEST_MAX + 1, &request, error, sizeof(error)));
	assert_string_equal(error, "65537 bytes: not one request");
	free(big.data);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_end),
    cmocka_unit_test(test_parse),
    cmocka_unit_test(test_crlf),
    cmocka_unit_test(test_domains_normalized),
    cmocka_unit_test(test_state_and_client),
    cmocka_unit_test(test_no_state_between_requests),
    cmocka_unit_test(test_malformed),
};

UNIT_TEST_MAIN(tests)
