/*
 * NAME
 *	hook_event - one event of a stream, checked before it is sent
 * SYNOPSIS
 *	#include "hook_event.h"
 *
 *	bool hook_event_read(json, length, event, error, error_size)
 * DESCRIPTION
 *	hook_event_read() reads what waypost-hookd needs of an event's JSON
 *	(waypost-events(7)), and refuses an event it could not deliver as
 *	the schema promises, so that it goes to the dead letters at once
 *	instead of being retried for a day: more than HOOK_EVENT_SIZE_MAX
 *	bytes, not one JSON object (a name repeated at its top level, a
 *	NUL in a string, or containers nested deeper than
 *	HOOK_EVENT_DEPTH_MAX refused too), or without the fields every
 *	event has (id, type, time, queue_id, tenant, recipient, seq; tenant
 *	and recipient may be null). The id must be of the schema's
 *	characters (letters, digits, ".", "-", "_") and at most
 *	HOOK_EVENT_ID_MAX long, the type of lower-case letters and "-":
 *	both go into HTTP headers and Redis keys. A type this program does
 *	not know is kept: the schema may grow. event->message is the id up
 *	to its second ".", the message the event belongs to
 *	(QUEUEID.FIRSTSEEN).
 *
 *	The JSON is read with yajl's event parser, which checks it whole
 *	(grammar, nothing after the value, strings' UTF-8 as yajl does: the
 *	shape of each sequence, so an overlong form or an encoded surrogate
 *	passes) without building a tree: every event is read once per
 *	webhook, and a tree of Jansson's cost eight times yajl's parse here
 *	(issue 22's benchmark). Numbers are taken as text: any size is
 *	valid JSON.
 *
 *	The JSON itself is sent as it was stored, never re-encoded: the
 *	receiver checks the signature over those bytes.
 * SECURITY
 *	The text is a Redis entry's, written by waypost-trackd from peers'
 *	text: bounded by HOOK_EVENT_SIZE_MAX, its nesting by
 *	HOOK_EVENT_DEPTH_MAX, and copied into fixed buffers only after its
 *	length is checked.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "buffer.h"
#include "hook_event.h"
#include "xmalloc.h"

/* Containers inside containers: an event is one flat object. */
#define HOOK_EVENT_DEPTH_MAX 32
/* Top-level names compared pair by pair; more are sorted first. */
#define NAMES_FEW 24

static const char *const required[] = {
    "id", "type", "time", "queue_id", "tenant", "recipient", "seq", NULL};
enum { MEMBER_ID = 0, MEMBER_TYPE = 1 }; /* their places in required[] */

enum root { ROOT_NONE, ROOT_OBJECT, ROOT_ARRAY, ROOT_SCALAR };

/* The top-level names: their texts one after the other, and where each
 * is (text points into it once the parse is over). */
struct name {
	size_t offset, length;
	const char *text;
};

struct names {
	struct buffer text;
	struct name *list;
	size_t count, capacity;
};

/* What the parse saw, filled by the callbacks below. */
struct scan {
	enum root root;
	int depth;
	const char *why; /* the callbacks' reason to stop, or NULL */
	/* The top-level member whose value comes next; -1: another. */
	int member;
	unsigned present; /* bit i: required[i] seen */
	unsigned strings; /* bit i: its value is a string */
	struct hook_event *event;
	bool id_fits, type_fits;
	struct names *names;
};

static bool
id_valid(const char *id, size_t length)
{
	return length > 0 && length <= HOOK_EVENT_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                  "0123456789.-_") == length;
}

static bool
type_valid(const char *type, size_t length)
{
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

/* A value begins at the current depth: the root's kind, or a member's. */
static void
value_begins(struct scan *scan, enum root kind)
{
	if (scan->depth == 0 && scan->root == ROOT_NONE)
		scan->root = kind;
	if (scan->depth == 1 && scan->member >= 0)
		scan->present |= 1u << scan->member;
	scan->member = -1;
}

static int
stop(struct scan *scan, const char *why)
{
	scan->why = why;
	return 0;
}

static int
on_scalar(void *context)
{
	value_begins(context, ROOT_SCALAR);
	return 1;
}

static int
on_boolean(void *context, int value)
{
	(void)value;
	return on_scalar(context);
}

static int
on_number(void *context, const char *text, size_t length)
{
	(void)text;
	(void)length;
	return on_scalar(context);
}

/* A string member: id and type kept when they fit their buffers (the
 * checks come after the parse, as for a missing field). */
static int
on_string(void *context, const unsigned char *text, size_t length)
{
	struct scan *scan = context;
	int member = scan->member;
	char *out = NULL;
	size_t size = 0;
	bool *fits = NULL;

	if (memchr(text, '\0', length) != NULL)
		return stop(scan, "NUL in a string");
	if (scan->depth == 1 && member >= 0) {
		scan->strings |= 1u << member;
		if (member == MEMBER_ID) {
			out = scan->event->id;
			size = sizeof(scan->event->id);
			fits = &scan->id_fits;
		} else if (member == MEMBER_TYPE) {
			out = scan->event->type;
			size = sizeof(scan->event->type);
			fits = &scan->type_fits;
		}
	}
	if (out != NULL && length < size) {
		memcpy(out, text, length);
		out[length] = '\0';
		*fits = true;
	}
	return on_scalar(context);
}

static int
on_container(struct scan *scan, enum root kind)
{
	value_begins(scan, kind);
	if (++scan->depth > HOOK_EVENT_DEPTH_MAX)
		return stop(scan, "nested too deep");
	return 1;
}

static int
on_start_map(void *context)
{
	return on_container(context, ROOT_OBJECT);
}

static int
on_start_array(void *context)
{
	return on_container(context, ROOT_ARRAY);
}

static int
on_end(void *context)
{
	struct scan *scan = context;

	scan->depth--;
	return 1;
}

/* A member's name: at the top level, kept for the duplicate check and
 * matched against the required ones. */
static int
on_key(void *context, const unsigned char *name, size_t length)
{
	struct scan *scan = context;
	struct names *names = scan->names;

	if (memchr(name, '\0', length) != NULL)
		return stop(scan, "NUL in a string");
	scan->member = -1;
	if (scan->depth != 1)
		return 1;
	if (names->count == names->capacity) {
		names->capacity = names->capacity ? 2 * names->capacity : 32;
		names->list = xreallocarray(
		    names->list, names->capacity, sizeof(*names->list));
	}
	names->list[names->count].offset = names->text.length;
	names->list[names->count].length = length;
	names->count++;
	buffer_append(&names->text, name, length);
	for (int i = 0; required[i] != NULL; i++)
		if (strlen(required[i]) == length &&
		    memcmp(required[i], name, length) == 0)
			scan->member = i;
	return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_scalar,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

static int
name_compare(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	size_t shorter = x->length < y->length ? x->length : y->length;
	int order = memcmp(x->text, y->text, shorter);

	if (order != 0)
		return order;
	return (x->length > y->length) - (x->length < y->length);
}

/* Whether a top-level name comes twice: side by side once sorted, or
 * each against the others when there are few (an event has about 15). */
static bool
names_repeat(struct names *names)
{
	struct name *list = names->list;
	size_t count = names->count;

	for (size_t i = 0; i < count; i++)
		list[i].text = buffer_text(&names->text) + list[i].offset;
	if (count <= NAMES_FEW) {
		for (size_t i = 1; i < count; i++)
			for (size_t j = 0; j < i; j++)
				if (name_compare(&list[i], &list[j]) == 0)
					return true;
		return false;
	}
	qsort(list, count, sizeof(*list), name_compare);
	for (size_t i = 1; i < count; i++)
		if (name_compare(&list[i - 1], &list[i]) == 0)
			return true;
	return false;
}

static bool
fail(struct hook_event *event, char *error, size_t error_size, const char *why,
    const char *detail)
{
	memset(event, 0, sizeof(*event));
	snprintf(error, error_size, "%s%s%.100s", why, detail[0] ? ": " : "",
	    detail);
	return false;
}

/* The parse itself: "" when the text is one JSON value, else why not. */
static void
parse(struct scan *scan, const char *json, size_t length, char *why,
    size_t why_size)
{
	yajl_handle parser = yajl_alloc(&callbacks, NULL, scan);
	yajl_status status;

	why[0] = '\0';
	if (parser == NULL) {
		snprintf(why, why_size, "out of memory");
		return;
	}
	status = yajl_parse(parser, (const unsigned char *)json, length);
	if (status == yajl_status_ok)
		status = yajl_complete_parse(parser);
	if (status != yajl_status_ok) {
		unsigned char *text = NULL;

		if (scan->why == NULL)
			text = yajl_get_error(
			    parser, 0, (const unsigned char *)json, length);
		snprintf(why, why_size, "%s",
		    scan->why != NULL ? scan->why
		    : text != NULL    ? (const char *)text
		                      : "invalid");
		if (text != NULL)
			yajl_free_error(parser, text);
		why[strcspn(why, "\n")] = '\0';
	}
	yajl_free(parser);
}

bool
hook_event_read(const char *json, size_t length, struct hook_event *event,
    char *error, size_t error_size)
{
	/* The names' storage, reused: an event is read per webhook. */
	static struct names names;
	struct scan scan = {.member = -1, .event = event, .names = &names};
	char why[160];

	memset(event, 0, sizeof(*event));
	if (length > HOOK_EVENT_SIZE_MAX)
		return fail(
		    event, error, error_size, "event larger than 64 KiB", "");
	buffer_reset(&names.text);
	names.count = 0;
	parse(&scan, json, length, why, sizeof(why));
	if (why[0] == '\0' && scan.root == ROOT_SCALAR)
		snprintf(why, sizeof(why), "'[' or '{' expected");
	if (why[0] == '\0' && names_repeat(&names))
		snprintf(why, sizeof(why), "duplicate object key");
	if (why[0] != '\0')
		return fail(event, error, error_size, "not JSON", why);
	if (scan.root != ROOT_OBJECT)
		return fail(event, error, error_size, "not a JSON object", "");
	for (int i = 0; required[i] != NULL; i++)
		if (!(scan.present & (1u << i)))
			return fail(event, error, error_size, "missing field",
			    required[i]);
	if (!(scan.strings & (1u << MEMBER_ID)) || !scan.id_fits ||
	    !id_valid(event->id, strlen(event->id)))
		return fail(event, error, error_size, "bad id", "");
	if (!(scan.strings & (1u << MEMBER_TYPE)) || !scan.type_fits ||
	    !type_valid(event->type, strlen(event->type)))
		return fail(event, error, error_size, "bad type", "");
	message_of(event->id, event->message, sizeof(event->message));
	return true;
}
