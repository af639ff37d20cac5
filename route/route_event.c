/*
 * NAME
 *	route_event - what settling reads of a delivery event
 * SYNOPSIS
 *	#include "route_event.h"
 *
 *	bool route_event_parse(json, length, event, error, error_size)
 * DESCRIPTION
 *	route_event_parse() reads one event of waypost-trackd's stream
 *	(waypost-events(7): a JSON object) as route_settle.c needs it:
 *	whether the recipient's mail reached its provider (type
 *	"delivered" or "bounced", a remote server's answer), the queue ID
 *	(for log lines), the Postfix service that carried it ("service",
 *	absent when not known) and the recipient, in lower case, as
 *	waypost-routed's lookups keep it. Any other type is read as not
 *	reached, with nothing else required.
 *
 *	It returns false, with the reason in error, for what is no such
 *	event: not JSON, not an object, longer than ROUTE_EVENT_MAX, a
 *	delivery without a recipient, a field that is no string or is
 *	longer than its array.
 * SECURITY
 *	The stream is Redis', written by waypost-trackd from Postfix's log;
 *	every field is checked for type and length before it is copied.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "route_event.h"
#include "text_copy.h"

/* Field name of object into out (size bytes): false when it is not a
 * string that fits; "" when absent and optional. */
static bool
field(json_t *object, const char *name, bool required, char *out, size_t size,
    char *error, size_t error_size)
{
	json_t *value = json_object_get(object, name);

	*out = '\0';
	if (value == NULL || json_is_null(value)) {
		if (required)
			snprintf(error, error_size, "no \"%s\"", name);
		return !required;
	}
	if (!json_is_string(value) || json_string_length(value) >= size ||
	    strlen(json_string_value(value)) != json_string_length(value)) {
		snprintf(error, error_size,
		    "\"%s\" is not a string of at most %zu bytes", name,
		    size - 1);
		return false;
	}
	text_copy(out, size, json_string_value(value));
	return true;
}

bool
route_event_parse(const char *json, size_t length, struct route_event *event,
    char *error, size_t error_size)
{
	json_error_t parse_error;
	json_t *root;
	char type[32];
	bool ok;

	memset(event, 0, sizeof(*event));
	if (length > ROUTE_EVENT_MAX) {
		snprintf(
		    error, error_size, "longer than %d bytes", ROUTE_EVENT_MAX);
		return false;
	}
	root = json_loadb(json, length, 0, &parse_error);
	if (root == NULL || !json_is_object(root)) {
		snprintf(error, error_size, "not a JSON object: %.100s",
		    root == NULL ? parse_error.text : "another value");
		json_decref(root);
		return false;
	}
	ok = field(root, "type", true, type, sizeof(type), error, error_size);
	event->reached = ok && (strcmp(type, "delivered") == 0 ||
	                           strcmp(type, "bounced") == 0);
	ok = ok && (!event->reached ||
	               (field(root, "queue_id", false, event->queue_id,
	                    sizeof(event->queue_id), error, error_size) &&
	                   field(root, "service", false, event->service,
	                       sizeof(event->service), error, error_size) &&
	                   field(root, "recipient", true, event->recipient,
	                       sizeof(event->recipient), error, error_size)));
	json_decref(root);
	for (char *c = event->recipient; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!ok)
		event->reached = false;
	return ok;
}
