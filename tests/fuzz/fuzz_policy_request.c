/*
 * fuzz_policy_request.c - fuzz target: Postfix policy requests as a
 * connection delivers them
 *
 * The input is a connection's byte stream: each request that
 * policy_request_end() finds is copied out, parsed, and its kept values
 * read; the rest (a request never finished) is left, as the daemon
 * would close the connection. Checks: a request ends inside the data,
 * after a newline, and a parsed one has a request attribute.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "policy_request.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stream = (const char *)data;
	struct policy_request request;
	char error[256];
	size_t end;

	while ((end = policy_request_end(stream, size)) > 0) {
		char *block;

		if (end > size || stream[end - 1] != '\n')
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
			}
			free(block);
		}
		stream += end;
		size -= end;
	}
	return 0;
}
