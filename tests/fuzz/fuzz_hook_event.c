/*
 * fuzz_hook_event.c - fuzz target: an event as waypost-hookd reads it
 *
 * The input is a stream entry's event text, any bytes (written by
 * waypost-trackd from peers' text, so untrusted). It is read from an
 * exact-size copy (so a read past its end is a sanitizer report, in the
 * replay program too), whole and cut in half. Checks: an event taken has
 * an id of the schema's characters within HOOK_EVENT_ID_MAX and a type
 * of lower-case letters and "-" within HOOK_EVENT_TYPE_MAX (both go into
 * HTTP headers and Redis keys), and its message is the id up to its
 * second "."; a refused one leaves the event empty and says why, within
 * the error buffer, a small one too; over HOOK_EVENT_SIZE_MAX is always
 * refused; and the same text gives the same result. And against
 * Jansson, an independent parser: a text it reads as an object with
 * every field an event has, id and type strings, nested at most as deep
 * as hookd takes, is never refused by hookd as not JSON, not an object
 * or missing a field, and when taken has the same id and type (hookd
 * reads with yajl, which is not stricter than Jansson, only looser: it
 * takes numbers of any size, and checks UTF-8 less; Jansson takes a raw
 * NUL between tokens, which is no JSON: such texts are left out).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "hook_event.h"

/* hook_event.c's HOOK_EVENT_DEPTH_MAX: texts with as many brackets as
 * that are left out of the comparison (Jansson takes 2048 levels). */
#define DEPTH_MAX 32

static const char *const required[] = {
    "id", "type", "time", "queue_id", "tenant", "recipient", "seq", NULL};

static const char id_characters[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_";

static void
check_taken(const struct hook_event *event)
{
	size_t id_length = strnlen(event->id, sizeof(event->id));
	size_t type_length = strnlen(event->type, sizeof(event->type));
	size_t message_length = strnlen(event->message, sizeof(event->message));
	const char *dot;

	if (id_length == 0 || id_length > HOOK_EVENT_ID_MAX ||
	    strspn(event->id, id_characters) != id_length)
		__builtin_trap();
	if (type_length == 0 || type_length > HOOK_EVENT_TYPE_MAX ||
	    strspn(event->type, "abcdefghijklmnopqrstuvwxyz-") != type_length)
		__builtin_trap();
	/* message: the id up to its second ".", or the whole id */
	if (message_length > id_length ||
	    memcmp(event->message, event->id, message_length) != 0)
		__builtin_trap();
	dot = strchr(event->id, '.');
	if (dot != NULL)
		dot = strchr(dot + 1, '.');
	if (message_length !=
	    (dot != NULL ? (size_t)(dot - event->id) : id_length))
		__builtin_trap();
}

static void
check_refused(
    const struct hook_event *event, const char *error, size_t error_size)
{
	static const struct hook_event empty;

	if (memcmp(event, &empty, sizeof(empty)) != 0)
		__builtin_trap();
	if (error_size > 1 && error[0] == '\0')
		__builtin_trap();
	if (strnlen(error, error_size) >= error_size)
		__builtin_trap();
}

static bool
shallow(const char *data, size_t size)
{
	size_t open = 0;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '[' || data[i] == '{')
			open++;
	return open < DEPTH_MAX;
}

static void
compare_with_jansson(const char *data, size_t size, bool taken,
    const struct hook_event *event, const char *error)
{
	json_error_t parse_error;
	json_t *root, *id, *type;
	bool complete = true;

	if (size > HOOK_EVENT_SIZE_MAX || !shallow(data, size) ||
	    memchr(data, '\0', size) != NULL)
		return;
	root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &parse_error);
	if (root == NULL)
		return;
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	for (size_t i = 0; required[i] != NULL; i++)
		complete = complete && json_object_get(root, required[i]);
	id = json_object_get(root, "id");
	type = json_object_get(root, "type");
	if (complete && json_is_string(id) && json_is_string(type)) {
		if (!taken && (strncmp(error, "not JSON", 8) == 0 ||
		                  strncmp(error, "not a JSON", 10) == 0 ||
		                  strncmp(error, "missing", 7) == 0))
			__builtin_trap();
		if (taken &&
		    (strcmp(event->id, json_string_value(id)) != 0 ||
		        strcmp(event->type, json_string_value(type)) != 0))
			__builtin_trap();
	}
	json_decref(root);
}

static void
check(const char *data, size_t size)
{
	struct hook_event event, again;
	char error[256], small[8];
	bool taken;

	memset(error, 'x', sizeof(error));
	taken = hook_event_read(data, size, &event, error, sizeof(error));
	if (taken)
		check_taken(&event);
	else
		check_refused(&event, error, sizeof(error));
	compare_with_jansson(data, size, taken, &event, error);
	if (taken && size > HOOK_EVENT_SIZE_MAX)
		__builtin_trap();
	memset(small, 'x', sizeof(small));
	if (hook_event_read(data, size, &again, small, sizeof(small)) !=
	        taken ||
	    memcmp(&event, &again, sizeof(event)) != 0)
		__builtin_trap();
	if (!taken)
		check_refused(&again, small, sizeof(small));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	check(copy, size);
	check(copy, size / 2);
	free(copy);
	return 0;
}
