/*
 * fuzz_policy_request.c - fuzz target: Postfix policy requests as a
 * connection delivers them
 *
 * The input is a connection's byte stream: each request that
 * policy_request_end() finds is copied out, parsed, and its kept values
 * read, its recipient noted as at RCPT, and its subject taken for a
 * limit with every subject part, per recipient domain noted too; the
 * rest (a request never finished) is left, as the daemon would close
 * the connection. Checks: a request ends inside the data, after a
 * newline, and where it ends when looked for in two reads
 * (policy_request_end_from()); a parsed one has a request attribute; a
 * subject is one line of printable ASCII.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "limit_subject.h"
#include "policy_request.h"
#include "recipient_domains.h"

/* One limit counting by every part there is. */
static const char every_part[] =
    "[limit \"all\"]\nsubject = sasl_username+sender+sender_domain+"
    "client_address+client_network+recipient_domain\nwindow = 1h\nmax = 1\n";

static void
check_subject(const struct policy_request *request, const char *recipient)
{
	static struct policy_config *config;
	static struct config_errors errors;
	struct buffer subject = {0};

	if (config == NULL)
		config = config_load_buffer(&policy_schema, "fuzz.conf",
		    every_part, sizeof(every_part) - 1, &errors);
	if (config == NULL)
		__builtin_trap();
	if (limit_subject(config->limits.items[0], &config->policy, request,
	        recipient, &subject))
		for (size_t i = 0; i < subject.length; i++)
			if (subject.data[i] <= ' ' || subject.data[i] >= 127)
				__builtin_trap();
	buffer_free(&subject);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stream = (const char *)data;
	struct policy_request request;
	char error[256];
	size_t end;
	struct recipient_domains seen = {0};

	while ((end = policy_request_end(stream, size)) > 0) {
		char *block;
		size_t half = end / 2;

		if (end > size || stream[end - 1] != '\n')
			__builtin_trap();
		/* Looked at in two reads, as the daemon does: the same end. */
		if (policy_request_end(stream, half) == 0 &&
		    policy_request_end_from(stream, size, half) != end)
			__builtin_trap();
		if (end <= POLICY_REQUEST_MAX) {
			block = malloc(end);
			memcpy(block, stream, end);
			if (policy_request_parse(
			        block, end, &request, error, sizeof(error))) {
				if (strcmp(policy_request_value(
				               &request, POLICY_REQUEST),
				        "smtpd_access_policy") != 0)
					__builtin_trap();
				for (int i = 0; i < POLICY_ATTRIBUTE_COUNT; i++)
					(void)strlen(
					    policy_request_value(&request,
					        (enum policy_attribute)i));
				check_subject(
				    &request, policy_request_value(
				                  &request, POLICY_RECIPIENT));
				recipient_domains_note(&seen, &request);
				if (recipient_domains_of(&seen, &request) !=
				    NULL)
					for (size_t i = 0; i < seen.count; i++)
						check_subject(&request,
						    seen.domains[i].name);
			}
			free(block);
		}
		stream += end;
		size -= end;
	}
	recipient_domains_free(&seen);
	return 0;
}
