/*
 * test_hook_event.c - an event is read from its JSON: id, type and the
 * message it belongs to filled in; refused when it is not one JSON
 * object, lacks a field every event has, repeats a name, has an id or a
 * type that could not go into a header or a key, or is over 64 KiB
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook_event.h"
#include "unit_test.h"

/* An event as waypost-trackd writes it (waypost-events(7)), field by field,
 * so a test can leave one out. */
static const char *const fields[] = {
    "\"id\":\"4F3A21C0B2.1796179352.1.2\"",
    "\"type\":\"bounced\"",
    "\"time\":\"2026-12-02T02:42:34Z\"",
    "\"queue_id\":\"4F3A21C0B2\"",
    "\"message_id\":\"id@app.example.com\"",
    "\"sender\":\"app@example.com\"",
    "\"tenant\":\"app@example.com\"",
    "\"recipient\":\"r@example.net\"",
    "\"dsn\":\"5.1.1\"",
    "\"reply\":\"host mx.example.net[192.0.2.2] said: 550 5.1.1 user "
    "unknown (in reply to RCPT TO command)\"",
    "\"class\":\"invalid-recipient\"",
    "\"relay\":\"mx.example.net[192.0.2.2]:25\"",
    "\"attempts\":2",
    "\"seq\":2",
    NULL,
};

static char error[256];
static struct hook_event event;

/* The event's JSON without the field that starts with "name": (none
 * left out when skip is NULL), with extra fields at the end. */
static char *
event_json(const char *skip, const char *extra)
{
	static char json[4096];
	char prefix[64];
	size_t used = 0;

	snprintf(prefix, sizeof(prefix), "\"%s\":", skip ? skip : "");
	json[used++] = '{';
	for (size_t i = 0; fields[i] != NULL; i++) {
		if (skip != NULL &&
		    strncmp(fields[i], prefix, strlen(prefix)) == 0)
			continue;
		used += (size_t)snprintf(json + used, sizeof(json) - used,
		    "%s%s", used > 1 ? "," : "", fields[i]);
	}
	if (extra != NULL)
		used += (size_t)snprintf(
		    json + used, sizeof(json) - used, ",%s", extra);
	snprintf(json + used, sizeof(json) - used, "}");
	return json;
}

static void
reads(const char *json)
{
	if (!hook_event_read(json, strlen(json), &event, error, sizeof(error)))
		fail_msg("refused (%s): %s", error, json);
}

static void
refused(const char *json, size_t length, const char *expected)
{
	error[0] = '\0';
	if (hook_event_read(json, length, &event, error, sizeof(error)))
		fail_msg("accepted: %.200s", json);
	if (strstr(error, expected) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", error, expected);
	/* Nothing of a refused event is kept. */
	assert_string_equal(event.id, "");
	assert_string_equal(event.type, "");
	assert_string_equal(event.message, "");
}

static void
refused_text(const char *json, const char *expected)
{
	refused(json, strlen(json), expected);
}

static void
test_full_event(void **state)
{
	(void)state;
	reads(event_json(NULL, NULL));
	assert_string_equal(event.id, "4F3A21C0B2.1796179352.1.2");
	assert_string_equal(event.type, "bounced");
	assert_string_equal(event.message, "4F3A21C0B2.1796179352");

	/* As the man page shows it, spread over lines, and with "\/" */
	reads(
	    "{\"id\": \"4F3A21C0B2.1796179352.1.2\", \"type\": \"bounced\",\n"
	    " \"time\": \"2026-12-02T02:42:34Z\",\n"
	    " \"queue_id\": \"4F3A21C0B2\", \"message_id\": \"a\\/b@x\",\n"
	    " \"sender\": \"app@example.com\", \"tenant\": \"app@example.com\",\n"
	    " \"recipient\": \"r@example.net\", \"seq\": 2}\n");
	assert_string_equal(event.id, "4F3A21C0B2.1796179352.1.2");
	assert_string_equal(event.message, "4F3A21C0B2.1796179352");
}

/* Only the fields every event has are needed; tenant and recipient may be
 * null (Postfix's own mail, an event of the whole message). */
static void
test_minimal_and_null_fields(void **state)
{
	(void)state;
	reads("{\"id\":\"4F3A21C0B2.1796179352.0.1\",\"type\":\"accepted\","
	      "\"time\":\"2026-12-02T02:42:30Z\",\"queue_id\":\"4F3A21C0B2\","
	      "\"tenant\":null,\"recipient\":null,\"seq\":1}");
	assert_string_equal(event.type, "accepted");
	assert_string_equal(event.message, "4F3A21C0B2.1796179352");
	/* The other required fields are only required to be there. */
	reads("{\"id\":\"a.b.c\",\"type\":\"guard\",\"time\":null,"
	      "\"queue_id\":null,\"tenant\":null,\"recipient\":null,"
	      "\"seq\":null}");
}

/* message is the id up to its second ".", or all of it. */
static void
test_message_of_id(void **state)
{
	static const struct {
		const char *id, *message;
	} ids[] = {
	    {"NOQUEUE.1796179352.5395.3f2a9c", "NOQUEUE.1796179352"},
	    {"4jfMHG4vxNz1bY6W.1796179352.12.1", "4jfMHG4vxNz1bY6W.1796179352"},
	    {"4F3A21C0B2.1796179352", "4F3A21C0B2.1796179352"},
	    {"4F3A21C0B2", "4F3A21C0B2"},
	    {"a..b", "a."},
	    {".x.y", ".x"},
	    {"..", "."},
	    {"-_", "-_"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char extra[256], json[512];

		snprintf(extra, sizeof(extra), "\"id\":\"%s\"", ids[i].id);
		snprintf(json, sizeof(json), "%s", event_json("id", extra));
		reads(json);
		assert_string_equal(event.id, ids[i].id);
		assert_string_equal(event.message, ids[i].message);
	}
}

/* A type this program does not know is kept: the schema may grow. */
static void
test_unknown_type_kept(void **state)
{
	(void)state;
	reads(event_json("type", "\"type\":\"opened-by-a-new-trackd\""));
	assert_string_equal(event.type, "opened-by-a-new-trackd");
	reads(event_json(
	    "type", "\"type\":\"abcdefghijklmnopqrstuvwxyz-abcde\""));
	assert_string_equal(event.type, "abcdefghijklmnopqrstuvwxyz-abcde");
}

static void
test_not_an_object(void **state)
{
	static const char cut[] = "{\"id\":\"x\",\"type\":\"bounced\"";

	(void)state;
	refused_text("", "not JSON");
	refused_text("event", "not JSON");
	refused_text("{\"id\":", "not JSON");
	refused(cut, sizeof(cut) - 1, "not JSON");
	refused_text("\"4F3A21C0B2.1796179352.1.2\"", "not JSON");
	refused_text("42", "not JSON");
	refused_text("null", "not JSON");
	refused_text("[]", "not a JSON object");
	refused_text(
	    "[{\"id\":\"4F3A21C0B2.1796179352.1.2\",\"type\":\"bounced\","
	    "\"time\":\"2026-12-02T02:42:34Z\",\"queue_id\":\"4F3A21C0B2\","
	    "\"tenant\":null,\"recipient\":null,\"seq\":2}]",
	    "not a JSON object");
	/* Two objects, or one with something after it */
	{
		char two[8192];

		snprintf(two, sizeof(two), "%s", event_json(NULL, NULL));
		strcat(two, event_json(NULL, NULL));
		refused_text(two, "not JSON");
	}
	refused_text("{\"id\":\"a\"} x", "not JSON");
	/* A NUL escaped in a string, or a raw one in the text */
	refused_text(
	    event_json("tenant", "\"tenant\":\"a\\u0000b\""), "not JSON");
	{
		static const char raw[] = "{\"id\":\"a\0\"}";

		refused(raw, sizeof(raw) - 1, "not JSON");
	}
}

/* The length given is the event's: what follows is not read. */
static void
test_length_is_the_events(void **state)
{
	char json[8192];
	size_t length;

	(void)state;
	snprintf(json, sizeof(json), "%s", event_json(NULL, NULL));
	length = strlen(json);
	strcat(json, "garbage after the event");
	if (!hook_event_read(json, length, &event, error, sizeof(error)))
		fail_msg("%s", error);
	assert_string_equal(event.type, "bounced");
	refused(json, length - 1, "not JSON");
}

static void
test_missing_field(void **state)
{
	static const char *const required[] = {
	    "id", "type", "time", "queue_id", "tenant", "recipient", "seq"};

	(void)state;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char expected[64];

		snprintf(expected, sizeof(expected), "missing field: %s",
		    required[i]);
		refused_text(event_json(required[i], NULL), expected);
	}
	/* The other fields are not needed. */
	reads(event_json("message_id", NULL));
	reads(event_json("class", NULL));
	refused_text("{}", "missing field: id");
}

static void
test_duplicate_names(void **state)
{
	(void)state;
	refused_text(event_json(NULL, "\"id\":\"4F3A21C0B2.1796179352.1.3\""),
	    "not JSON: duplicate object key");
	refused_text(event_json(NULL, "\"type\":\"delivered\""), "duplicate");
	refused_text(
	    event_json(NULL, "\"reply\":\"a second reply\""), "duplicate");
	/* Many names (compared another way): all distinct, or one twice */
	{
		char extra[1024];
		size_t used = 0;

		for (int i = 0; i < 40; i++)
			used +=
			    (size_t)snprintf(extra + used, sizeof(extra) - used,
			        "%s\"x%d\":%d", i ? "," : "", i, i);
		reads(event_json(NULL, extra));
		snprintf(extra + used, sizeof(extra) - used, ",\"x17\":0");
		refused_text(event_json(NULL, extra), "duplicate object key");
		snprintf(extra + used, sizeof(extra) - used, ",\"seq\":3");
		refused_text(event_json(NULL, extra), "duplicate object key");
	}
}

static void
test_bad_id(void **state)
{
	char id[HOOK_EVENT_ID_MAX + 2], extra[HOOK_EVENT_ID_MAX + 16];

	(void)state;
	refused_text(
	    event_json("id", "\"id\":\"4F3A21C0B2 1796179352.1.2\""), "bad id");
	refused_text(event_json("id", "\"id\":\"4F3A21C0B2\\n1796179352.1.2\""),
	    "bad id");
	refused_text(
	    event_json("id", "\"id\":\"4F3A21C0B2\\r\\n.1.2\""), "bad id");
	refused_text(event_json("id", "\"id\":\"a:b\""), "bad id");
	refused_text(event_json("id", "\"id\":\"a/b\""), "bad id");
	refused_text(event_json("id", "\"id\":\"\\u00e9\""), "bad id");
	refused_text(event_json("id", "\"id\":\"\""), "bad id");
	refused_text(event_json("id", "\"id\":42"), "bad id");
	refused_text(event_json("id", "\"id\":null"), "bad id");
	refused_text(event_json("id", "\"id\":[\"a\"]"), "bad id");

	/* 128 characters are taken, 129 are not. */
	memset(id, 'a', HOOK_EVENT_ID_MAX);
	id[3] = '.';
	id[HOOK_EVENT_ID_MAX] = '\0';
	snprintf(extra, sizeof(extra), "\"id\":\"%s\"", id);
	reads(event_json("id", extra));
	assert_string_equal(event.id, id);
	assert_string_equal(event.message, id);
	id[HOOK_EVENT_ID_MAX] = 'a';
	id[HOOK_EVENT_ID_MAX + 1] = '\0';
	snprintf(extra, sizeof(extra), "\"id\":\"%s\"", id);
	refused_text(event_json("id", extra), "bad id");
}

static void
test_bad_type(void **state)
{
	(void)state;
	refused_text(event_json("type", "\"type\":\"Bounced\""), "bad type");
	refused_text(event_json("type", "\"type\":\"BOUNCED\""), "bad type");
	refused_text(event_json("type", "\"type\":\"bounced \""), "bad type");
	refused_text(event_json("type", "\"type\":\"bounced\\n\""), "bad type");
	refused_text(
	    event_json("type", "\"type\":\"soft_bounce\""), "bad type");
	refused_text(event_json("type", "\"type\":\"v2\""), "bad type");
	refused_text(event_json("type", "\"type\":\"\""), "bad type");
	refused_text(event_json("type", "\"type\":1"), "bad type");
	refused_text(event_json("type", "\"type\":null"), "bad type");
	/* HOOK_EVENT_TYPE_MAX is 32 */
	refused_text(event_json("type",
	                 "\"type\":\"abcdefghijklmnopqrstuvwxyz-abcdef\""),
	    "bad type");
}

/* 64 KiB are taken, one byte more is not. */
static void
test_size(void **state)
{
	char *json = malloc(HOOK_EVENT_SIZE_MAX + 2);
	const char *head = event_json("reply", "\"reply\":\"");
	size_t length = strlen(head);

	(void)state;
	assert_non_null(json);
	/* event_json() closed the object after the opening quote: reopen */
	memcpy(json, head, length - 1);
	length--;
	memset(json + length, 'x', HOOK_EVENT_SIZE_MAX - length - 2);
	memcpy(json + HOOK_EVENT_SIZE_MAX - 2, "\"}", 3);
	assert_int_equal(strlen(json), HOOK_EVENT_SIZE_MAX);
	reads(json);
	assert_string_equal(event.type, "bounced");

	memcpy(json + HOOK_EVENT_SIZE_MAX - 2, "x\"}", 4);
	assert_int_equal(strlen(json), HOOK_EVENT_SIZE_MAX + 1);
	refused_text(json, "event larger than 64 KiB");
	free(json);
}

/* A parser's error is cut, so a long bad text does not fill the log. */
static void
test_error_is_bounded(void **state)
{
	char big[1024];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused_text(big, "not JSON");
	assert_true(strlen(error) < 120);
}

/* What the parse checks besides the fields: UTF-8, nesting, numbers of
 * any size, NULs in names, and repeated names only at the top level
 * (the names every event's fields are looked up by). */
/* A member "d" of arrays nested levels deep. */
static char *
nested(char *out, size_t size, int levels)
{
	size_t used = (size_t)snprintf(out, size, "\"d\":");

	for (int i = 0; i < levels && used + 2 < size; i++)
		out[used++] = '[';
	for (int i = 0; i < levels && used + 2 < size; i++)
		out[used++] = ']';
	out[used] = '\0';
	return out;
}

static void
test_grammar(void **state)
{
	char deep[256];

	(void)state;
	refused_text(
	    event_json("reply", "\"reply\":\"caf\xe9 latin-1\""), "not JSON");
	reads(event_json("reply", "\"reply\":\"caf\xc3\xa9 \\u00e9\""));
	reads(event_json(
	    NULL, "\"big\":123456789012345678901234567890,\"tiny\":1e-999"));
	refused_text(event_json(NULL, "\"n\":01"), "not JSON");
	refused_text(event_json(NULL, "\"n\":-"), "not JSON");
	refused_text(event_json(NULL, "\"t\":tru"), "not JSON");
	refused_text(event_json(NULL, "\"a\\u0000b\":1"), "not JSON");
	refused_text(event_json(NULL, "\"c\":\"tab\there\""), "not JSON");
	refused_text(event_json(NULL, "/* note */ \"c\":1"), "not JSON");
	/* Fields the schema may grow: nested values, their names free */
	reads(event_json(NULL, "\"more\":{\"id\":[1,{\"a\":1,\"a\":2}],"
	                       "\"type\":{}},\"list\":[]"));
	assert_string_equal(event.id, "4F3A21C0B2.1796179352.1.2");
	assert_string_equal(event.type, "bounced");
	/* An id or type given as a container is no id or type */
	refused_text(
	    event_json("id", "\"id\":[\"4F3A21C0B2.1.1.1\"]"), "bad id");
	refused_text(
	    event_json("type", "\"type\":{\"bounced\":1}"), "bad type");
	/* The event and 31 arrays in it are 32 levels: taken; 33 not */
	reads(event_json(NULL, nested(deep, sizeof(deep), 31)));
	refused_text(event_json(NULL, nested(deep, sizeof(deep), 32)),
	    "not JSON: nested too deep");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_full_event),
    cmocka_unit_test(test_minimal_and_null_fields),
    cmocka_unit_test(test_message_of_id),
    cmocka_unit_test(test_unknown_type_kept),
    cmocka_unit_test(test_not_an_object),
    cmocka_unit_test(test_length_is_the_events),
    cmocka_unit_test(test_missing_field),
    cmocka_unit_test(test_duplicate_names),
    cmocka_unit_test(test_bad_id),
    cmocka_unit_test(test_bad_type),
    cmocka_unit_test(test_size),
    cmocka_unit_test(test_error_is_bounded),
    cmocka_unit_test(test_grammar),
};

UNIT_TEST_MAIN(tests)
