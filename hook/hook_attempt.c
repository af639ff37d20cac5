/*
 * NAME
 *	hook_attempt - one webhook attempt as the JSON line kept of it
 * SYNOPSIS
 *	#include "hook_attempt.h"
 *
 *	bool hook_attempt_line(attempt, out)
 * DESCRIPTION
 *	hook_attempt_line() writes attempt into out (emptied first) as one
 *	compact JSON object, the line waypost-hookd keeps under the
 *	event's message (waypost-hookd(8), hook-attempts:) and waypostctl
 *	webhook attempts prints: time, webhook, event, type, status,
 *	latency_ms, error; in that order, always all of them. It uses
 *	yajl's generator, which escapes as JSON requires and builds no
 *	tree: a line is written per attempt, on the delivery path. A text
 *	that is not UTF-8 (an error from a peer) is replaced by a note
 *	saying so. False when out of memory.
 * SECURITY
 *	The texts are the configuration's and a peer's: escaped, never
 *	copied raw.
 */
#include "config.h"

#include <string.h>

#include <yajl/yajl_gen.h>

#include "hook_attempt.h"

#define NOT_UTF8 "(text not in UTF-8)"

static bool
text(yajl_gen gen, const char *value)
{
	yajl_gen_status status;

	if (value == NULL)
		value = "";
	status =
	    yajl_gen_string(gen, (const unsigned char *)value, strlen(value));
	if (status == yajl_gen_invalid_string)
		status = yajl_gen_string(
		    gen, (const unsigned char *)NOT_UTF8, sizeof(NOT_UTF8) - 1);
	return status == yajl_gen_status_ok;
}

static bool
member(yajl_gen gen, const char *name, const char *value)
{
	return text(gen, name) && text(gen, value);
}

static bool
number(yajl_gen gen, const char *name, long long value)
{
	return text(gen, name) &&
	       yajl_gen_integer(gen, value) == yajl_gen_status_ok;
}

bool
hook_attempt_line(const struct hook_attempt *attempt, struct buffer *out)
{
	/* One generator for the daemon's life, cleared for each line: a
	 * line is written per attempt, and the daemon has one thread. */
	static yajl_gen gen;
	const unsigned char *line;
	size_t length;
	bool written;

	buffer_reset(out);
	if (gen == NULL) {
		if ((gen = yajl_gen_alloc(NULL)) == NULL)
			return false;
		yajl_gen_config(gen, yajl_gen_validate_utf8, 1);
	}
	yajl_gen_reset(gen, NULL);
	yajl_gen_clear(gen);
	written = yajl_gen_map_open(gen) == yajl_gen_status_ok &&
	          number(gen, "time", attempt->time) &&
	          member(gen, "webhook", attempt->webhook) &&
	          member(gen, "event", attempt->event_id) &&
	          member(gen, "type", attempt->type) &&
	          number(gen, "status", attempt->status) &&
	          number(gen, "latency_ms", attempt->latency_ms) &&
	          member(gen, "error", attempt->error) &&
	          yajl_gen_map_close(gen) == yajl_gen_status_ok &&
	          yajl_gen_get_buf(gen, &line, &length) == yajl_gen_status_ok;
	if (written)
		buffer_append(out, line, length);
	return written;
}
