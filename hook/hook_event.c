/*
 * NAME
 *	hook_event - one event of a stream, checked before it is sent
 * SYNOPSIS
 *	#include "hook_event.h"
 *
 *	bool hook_event_read(json, length, event, error, error_size)
 * DESCRIPTION
 *	hook_event_read() reads what waypost-hookd needs of an event's JSON
 *	(waypost-events(7)) with Jansson, and refuses an event it could not
 *	deliver as the schema promises, so that it goes to the dead letters
 *	at once instead of being retried for a day: more than
 *	HOOK_EVENT_SIZE_MAX bytes, not one JSON object (duplicate names
 *	refused), or without the fields every event has (id, type, time,
 *	queue_id, tenant, recipient, seq; tenant and recipient may be
 *	null). The id must be of the schema's characters (letters, digits,
 *	".", "-", "_") and at most HOOK_EVENT_ID_MAX long, the type of
 *	lower-case letters and "-": both go into HTTP headers and Redis
 *	keys. A type this program does not know is kept: the schema may
 *	grow. event->message is the id up to its second ".", the message
 *	the event belongs to (QUEUEID.FIRSTSEEN).
 *
 *	The JSON itself is sent as it was stored, never re-encoded: the
 *	receiver checks the signature over those bytes.
 * SECURITY
 *	The text is a Redis entry's, written by waypost-trackd from peers'
 *	text: bounded, parsed by Jansson with its own limits (depth), and
 *	copied into fixed buffers only after its length is checked.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "hook_event.h"

static const char *const required[] = {
    "id", "type", "time", "queue_id", "tenant", "recipient", "seq", NULL};

static bool
id_valid(const char *id)
{
	size_t length = strlen(id);

	return length > 0 && length <= HOOK_EVENT_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                  "0123456789.-_") == length;
}

static bool
type_valid(const char *type)
{
	size_t length = strlen(type);

	return length > 0 && length <= HOOK_EVENT_TYPE_MAX &&
	       strspn(type, "abcdefghijklmnopqrstuvwxyz-") == length;
}

/* The id up to its second ".": QUEUEID.FIRSTSEEN. */
static void
message_of(const char *id, char *out, size_t size)
{
	const char *dot = strchr(id, '.');
	size_t length = strlen(id);

	if (dot != NULL && (dot = strchr(dot + 1, '.')) != NULL)
		length = (size_t)(dot - id);
	if (length >= size)
		length = size - 1;
	memcpy(out, id, length);
	out[length] = '\0';
}

static bool
fail(json_t *root, char *error, size_t error_size, const char *why,
    const char *detail)
{
	snprintf(error, error_size, "%s%s%.100s", why, detail[0] ? ": " : "",
	    detail);
	json_decref(root);
	return false;
}

bool
hook_event_read(const char *json, size_t length, struct hook_event *event,
    char *error, size_t error_size)
{
	json_error_t parse_error;
	json_t *root, *id, *type;

	memset(event, 0, sizeof(*event));
	if (length > HOOK_EVENT_SIZE_MAX)
		return fail(
		    NULL, error, error_size, "event larger than 64 KiB", "");
	root = json_loadb(json, length, JSON_REJECT_DUPLICATES, &parse_error);
	if (root == NULL)
		return fail(
		    NULL, error, error_size, "not JSON", parse_error.text);
	if (!json_is_object(root))
		return fail(root, error, error_size, "not a JSON object", "");
	for (size_t i = 0; required[i] != NULL; i++)
		if (json_object_get(root, required[i]) == NULL)
			return fail(root, error, error_size, "missing field",
			    required[i]);
	id = json_object_get(root, "id");
	type = json_object_get(root, "type");
	if (!json_is_string(id) || !id_valid(json_string_value(id)))
		return fail(root, error, error_size, "bad id", "");
	if (!json_is_string(type) || !type_valid(json_string_value(type)))
		return fail(root, error, error_size, "bad type", "");
	snprintf(event->id, sizeof(event->id), "%s", json_string_value(id));
	snprintf(
	    event->type, sizeof(event->type), "%s", json_string_value(type));
	message_of(event->id, event->message, sizeof(event->message));
	json_decref(root);
	return true;
}
