/*
 * hook_attempt.h - one webhook attempt as the JSON line kept of it
 */
#ifndef WAYPOST_HOOK_ATTEMPT_H
#define WAYPOST_HOOK_ATTEMPT_H

#include <stdbool.h>

#include "buffer.h"

struct hook_attempt {
	long long time; /* Unix seconds */
	const char *webhook;
	const char *event_id;
	const char *type;
	long status; /* HTTP status; 0: no answer */
	long long latency_ms;
	const char *error; /* "" or NULL: none */
};

bool hook_attempt_line(const struct hook_attempt *attempt, struct buffer *out);

#endif
