/*
 * NAME
 *	policy_request - one Postfix policy delegation request, parsed
 * SYNOPSIS
 *	#include "policy_request.h"
 *
 *	size_t policy_request_end(data, length)
 *	size_t policy_request_end_from(data, length, looked)
 *	bool policy_request_parse(block, length, request, error, error_size)
 *	const char *policy_request_value(request, attribute)
 *	const char *policy_attribute_name(attribute)
 * DESCRIPTION
 *	Postfix's SMTPD access policy delegation (SMTPD_POLICY_README):
 *	a request is "name=value" lines, each ending in a newline, and an
 *	empty line; a connection carries any number of them, one after the
 *	other.
 *
 *	policy_request_end() finds where the first request in data ends:
 *	the length up to and including its empty line, or 0 when the empty
 *	line has not arrived yet. A request starting with the empty line
 *	(no attributes) ends at 1. policy_request_end_from() is the same
 *	for a caller that already looked at data[0, looked) and found no
 *	end there: it looks only at what came since, so a request that
 *	arrives a byte at a time costs its length, not its length squared.
 *	Lines may also end in CR LF, as a person testing with telnet sends
 *	them (Postfix sends LF alone): "\r\n" is an empty line too, and the
 *	parser drops the CR before the LF.
 *
 *	policy_request_parse() parses one whole request, block[0, length)
 *	as policy_request_end() delimited it, in place (it writes NULs into
 *	block, which must outlive the request). It keeps the attributes
 *	named in policy_request.h, counts the others, and checks: the
 *	request is "smtpd_access_policy"; every line has a name, "=" and
 *	no NUL byte; recipient_count and size, when present, are decimal
 *	numbers up to POLICY_NUMBER_MAX. An attribute sent twice keeps its
 *	last value, as Postfix's own attribute reader does. The domains of
 *	sender and recipient are normalized where they lie (lower case, one
 *	trailing dot removed: lib/mail_domain.c), so that every check, limit
 *	and key after sees x@example.org. as the x@example.org that Postfix
 *	delivers it to. protocol_state and client_address are read once,
 *	into state and client, for every check after. On an error it
 *	returns false with the reason in error, and the caller closes the
 *	connection (Postfix then applies smtpd_policy_service_default_action).
 *
 *	Every request is parsed into a fresh struct, so nothing of an
 *	earlier request on the same connection (a sender, a user) can be
 *	taken for this one's.
 * SECURITY
 *	The input is the network's. Bounds: the caller reads at most
 *	POLICY_REQUEST_MAX bytes for a request; at most
 *	POLICY_ATTRIBUTES_MAX attributes. No allocation.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mail_domain.h"
#include "policy_request.h"

static const char *const names[POLICY_ATTRIBUTE_COUNT] = {
    [POLICY_REQUEST] = "request",
    [POLICY_PROTOCOL_STATE] = "protocol_state",
    [POLICY_PROTOCOL_NAME] = "protocol_name",
    [POLICY_INSTANCE] = "instance",
    [POLICY_QUEUE_ID] = "queue_id",
    [POLICY_SENDER] = "sender",
    [POLICY_RECIPIENT] = "recipient",
    [POLICY_RECIPIENT_COUNT] = "recipient_count",
    [POLICY_CLIENT_ADDRESS] = "client_address",
    [POLICY_CLIENT_NAME] = "client_name",
    [POLICY_SASL_METHOD] = "sasl_method",
    [POLICY_SASL_USERNAME] = "sasl_username",
    [POLICY_SIZE] = "size",
};

const char *
policy_attribute_name(enum policy_attribute attribute)
{
	return attribute < POLICY_ATTRIBUTE_COUNT ? names[attribute] : "?";
}

size_t
policy_request_end(const char *data, size_t length)
{
	return policy_request_end_from(data, length, 0);
}

size_t
policy_request_end_from(const char *data, size_t length, size_t looked)
{
	const char *at, *end = data + length;

	if (length > 0 && data[0] == '\n')
		return 1;
	if (length > 1 && data[0] == '\r' && data[1] == '\n')
		return 2;
	/* The empty line may start with the last newline already seen,
	 * and the CR after it. */
	looked = looked > 2 ? looked - 2 : 0;
	for (const char *p = data + looked; p + 1 < end; p = at + 1) {
		at = memchr(p, '\n', (size_t)(end - p) - 1);
		if (at == NULL)
			return 0;
		if (at[1] == '\n')
			return (size_t)(at - data) + 2;
		if (at[1] == '\r' && at + 2 < end && at[2] == '\n')
			return (size_t)(at - data) + 3;
	}
	return 0;
}

/* A decimal number within POLICY_NUMBER_MAX; "" counts as absent (0). */
static bool
number(const char *text, unsigned long long *value)
{
	*value = 0;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return false;
		*value = *value * 10 + (unsigned long long)(*text - '0');
		if (*value > POLICY_NUMBER_MAX)
			return false;
	}
	return true;
}

static bool __attribute__((format(printf, 3, 4)))
fail(char *error, size_t error_size, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(error, error_size, format, arguments);
	va_end(arguments);
	return false;
}

/* An empty line ends the request: "\n", or "\r\n" from a client that
 * writes CR LF (a person testing with telnet; Postfix never does). */
static bool
empty_line(const char *line, const char *end)
{
	return line[0] == '\n' ||
	       (line[0] == '\r' && line + 1 < end && line[1] == '\n');
}

/* An address's domain in its one form (lib/mail_domain.c), in the
 * block, where the value lies: every check and key after sees only it. */
static void
normalize(struct policy_request *request, enum policy_attribute attribute)
{
	char *value = (char *)request->values[attribute];

	mail_address_normalize(value, strlen(value));
}

static enum policy_state
state_of(const char *text)
{
	static const struct {
		const char *name;
		enum policy_state state;
	} states[] = {
	    {"MAIL", POLICY_STATE_MAIL},
	    {"RCPT", POLICY_STATE_RCPT},
	    {"DATA", POLICY_STATE_DATA},
	    {"END-OF-MESSAGE", POLICY_STATE_END_OF_MESSAGE},
	};

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(text, states[i].name) == 0)
			return states[i].state;
	return POLICY_STATE_OTHER;
}

static void
keep(struct policy_request *request, const char *name, const char *value)
{
	for (int i = 0; i < POLICY_ATTRIBUTE_COUNT; i++)
		if (strcmp(name, names[i]) == 0) {
			request->values[i] = value;
			return;
		}
}

bool
policy_request_parse(char *block, size_t length, struct policy_request *request,
    char *error, size_t error_size)
{
	char *line = block, *end, *newline, *equals;
	size_t number_of_line = 0;

	memset(request, 0, sizeof(*request));
	for (int i = 0; i < POLICY_ATTRIBUTE_COUNT; i++)
		request->values[i] = "";
	if (length == 0 || length > POLICY_REQUEST_MAX ||
	    block[length - 1] != '\n')
		return fail(
		    error, error_size, "%zu bytes: not one request", length);
	end = block + length;
	if (memchr(block, '\0', length) != NULL)
		return fail(error, error_size, "a NUL byte in the request");
	for (; line < end && !empty_line(line, end); line = newline + 1) {
		newline = memchr(line, '\n', (size_t)(end - line));
		number_of_line++;
		*newline = '\0';
		if (newline > line && newline[-1] == '\r')
			newline[-1] = '\0';
		equals = strchr(line, '=');
		if (equals == NULL || equals == line)
			return fail(error, error_size,
			    "line %zu: expected name=value", number_of_line);
		if (++request->attributes > POLICY_ATTRIBUTES_MAX)
			return fail(error, error_size,
			    "more than %d attributes", POLICY_ATTRIBUTES_MAX);
		*equals = '\0';
		keep(request, line, equals + 1);
	}
	if (line + (*line == '\r' ? 2 : 1) != end)
		return fail(error, error_size,
		    "the request does not end with one empty line");
	if (strcmp(request->values[POLICY_REQUEST], "smtpd_access_policy") != 0)
		return fail(error, error_size,
		    "not a policy request (request=%.100s)",
		    request->values[POLICY_REQUEST]);
	if (!number(request->values[POLICY_RECIPIENT_COUNT],
	        &request->recipient_count))
		return fail(error, error_size, "bad recipient_count \"%.40s\"",
		    request->values[POLICY_RECIPIENT_COUNT]);
	if (!number(request->values[POLICY_SIZE], &request->size))
		return fail(error, error_size, "bad size \"%.40s\"",
		    request->values[POLICY_SIZE]);
	normalize(request, POLICY_SENDER);
	normalize(request, POLICY_RECIPIENT);
	request->state = state_of(request->values[POLICY_PROTOCOL_STATE]);
	ip_address_parse(
	    request->values[POLICY_CLIENT_ADDRESS], &request->client);
	return true;
}

const char *
policy_request_value(
    const struct policy_request *request, enum policy_attribute attribute)
{
	return attribute < POLICY_ATTRIBUTE_COUNT ? request->values[attribute]
	                                          : "";
}
