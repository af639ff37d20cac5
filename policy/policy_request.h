/*
 * policy_request.h - one Postfix policy delegation request, parsed
 */
#ifndef WAYPOST_POLICY_REQUEST_H
#define WAYPOST_POLICY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

#define POLICY_REQUEST_MAX    (64 * 1024) /* bytes, the empty line included */
#define POLICY_ATTRIBUTES_MAX 1000
#define POLICY_NUMBER_MAX     1000000000000000ULL /* 10^15: size, counts */

/* The attributes waypost-policyd reads; the others are counted only. */
enum policy_attribute {
	POLICY_REQUEST,
	POLICY_PROTOCOL_STATE,
	POLICY_PROTOCOL_NAME,
	POLICY_INSTANCE,
	POLICY_QUEUE_ID,
	POLICY_SENDER,
	POLICY_RECIPIENT,
	POLICY_RECIPIENT_COUNT,
	POLICY_CLIENT_ADDRESS,
	POLICY_CLIENT_NAME,
	POLICY_SASL_METHOD,
	POLICY_SASL_USERNAME,
	POLICY_SIZE,
	POLICY_ATTRIBUTE_COUNT
};

/* The stages of an SMTP session waypost-policyd answers; others DUNNO. */
enum policy_state {
	POLICY_STATE_OTHER,
	POLICY_STATE_MAIL,
	POLICY_STATE_RCPT,
	POLICY_STATE_DATA,
	POLICY_STATE_END_OF_MESSAGE,
};

struct policy_request {
	/* Values point into the parsed block; "" when absent. */
	const char *values[POLICY_ATTRIBUTE_COUNT];
	size_t attributes; /* all of them, known or not */
	unsigned long long recipient_count;
	unsigned long long size;
	enum policy_state state;  /* protocol_state */
	struct ip_address client; /* client_address; family 0: none */
};

size_t policy_request_end(const char *data, size_t length);
size_t policy_request_end_from(const char *data, size_t length, size_t looked);
bool policy_request_parse(char *block, size_t length,
    struct policy_request *request, char *error, size_t error_size);
const char *policy_request_value(
    const struct policy_request *request, enum policy_attribute attribute);
const char *policy_attribute_name(enum policy_attribute attribute);

#endif
