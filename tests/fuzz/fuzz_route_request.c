/*
 * fuzz_route_request.c - fuzz target: socketmap requests as a Postfix
 * connection delivers them to waypost-routed, and its configuration
 *
 * The first byte chooses. Even: the rest is a connection's byte stream;
 * each netstring route_request_end() finds is copied out and split by
 * route_request_parse(), and a reply made of its key. Checks: a request
 * ends inside the data, on ","; a parsed one has a name without a space
 * and a key without a control byte, both inside the request; the reply
 * is a netstring of the length it says. The stream stops at the first
 * refused request, as the daemon closes the connection. Odd: the rest
 * is a waypost.conf, loaded with waypost-routed's schema and checked
 * across sections, each pool's schedule parsed as the table does.
 * "j": the rest is an event of waypost-trackd's stream, read by
 * route_event_parse() as waypost-routed's settling reads it. Checks: a
 * delivery read has a recipient, without upper case, and each field
 * inside its array.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "fuzz.h"
#include "route_config.h"
#include "route_event.h"
#include "route_request.h"
#include "route_schedule.h"

static void
check_request(const char *data, size_t end)
{
	char *copy = malloc(end + 1);
	struct route_request request;
	struct buffer reply = {0};
	char error[256];
	size_t digits;

	memcpy(copy, data, end);
	copy[end] = '\0';
	if (copy[end - 1] != ',')
		__builtin_trap();
	if (route_request_parse(copy, end, &request, error, sizeof(error))) {
		if (request.name < copy ||
		    request.key + request.key_length > copy + end ||
		    strchr(request.name, ' ') != NULL ||
		    strlen(request.key) != request.key_length)
			__builtin_trap();
		for (size_t i = 0; i < request.key_length; i++)
			if ((unsigned char)request.key[i] < 32)
				__builtin_trap();
		route_reply_append(&reply, "OK", request.key);
		digits = strspn(reply.data, "0123456789");
		if (reply.data[digits] != ':' ||
		    (size_t)atol(reply.data) + digits + 2 != reply.length ||
		    reply.data[reply.length - 1] != ',')
			__builtin_trap();
		buffer_free(&reply);
	}
	free(copy);
}

static void
check_config(const char *text, size_t size)
{
	struct config_errors errors = {0};
	struct route_config *config =
	    config_load_buffer(&route_schema, "fuzz.conf", text, size, &errors);

	if (config == NULL)
		return;
	route_config_check(config, &errors);
	for (size_t i = 0; i < config->pools.count; i++) {
		const struct pool_section *pool = config->pools.items[i];
		struct route_schedules schedules;
		char error[256];

		if (!route_schedules_parse(
		        &pool->schedule, &schedules, error, sizeof(error)))
			__builtin_trap(); /* the load checked it */
		for (size_t j = 0; j < schedules.count; j++)
			if (schedules.items[j].count == 0)
				__builtin_trap();
		route_schedules_free(&schedules);
	}
	config_free(&route_schema, config);
}

static void
check_event(const char *text, size_t size)
{
	struct route_event event;
	char error[256];

	if (!route_event_parse(text, size, &event, error, sizeof(error))) {
		if (event.reached || strlen(error) == 0)
			__builtin_trap();
		return;
	}
	if (event.reached && event.recipient[0] == '\0')
		__builtin_trap();
	if (strlen(event.recipient) > ROUTE_EVENT_FIELD_MAX ||
	    strlen(event.service) > ROUTE_EVENT_SERVICE_MAX ||
	    strlen(event.queue_id) > ROUTE_EVENT_QUEUE_ID_MAX)
		__builtin_trap();
	for (const char *c = event.recipient; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stream = (const char *)data + 1;
	char error[256];
	size_t end;

	if (size == 0)
		return 0;
	if (data[0] == 'j') {
		check_event(stream, size - 1);
		return 0;
	}
	if (data[0] & 1) {
		check_config(stream, size - 1);
		return 0;
	}
	size--;
	while (size > 0) {
		end = route_request_end(stream, size, error, sizeof(error));
		if (end == 0 || end == SIZE_MAX)
			break;
		if (end > size)
			__builtin_trap();
		check_request(stream, end);
		stream += end;
		size -= end;
	}
	return 0;
}
