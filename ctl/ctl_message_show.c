/*
 * NAME
 *	ctl_message_show - waypostctl message show: what happened to a
 *	message, from waypost-trackd's records
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_message(ctl, argc, argv)
 * DESCRIPTION
 *	message show MESSAGE [--relay RELAY] finds the records of the
 *	message (ctl_message_find.c: a Message-ID, with or without its
 *	angle brackets, or a queue ID, on RELAY or on every relay) and
 *	shows each, oldest first: its header (record id, relay, queue ID,
 *	Message-ID, sender, tenant, login, client, size, recipient count,
 *	when it was received, accepted and removed), then per recipient,
 *	in the order of their first outcome, its last status, attempts,
 *	first and last attempt, DSN, class, relay and reply, as the
 *	record's "r:ADDRESS" fields hold them (waypost-events(7)).
 *
 *	Without --json, a block per record: the header a field per line,
 *	then a table of the recipients. With --json, one object per
 *	record on a line of its own: record, relay, the header's fields
 *	(null when the record lacks them; times in ISO 8601, UTC) and
 *	recipients, a list of objects.
 *
 *	No record at all is EX_NOINPUT, with one line on stderr: the
 *	message was never seen, or its records expired (record_ttl).
 * SECURITY
 *	At most CTL_RECORDS_MAX records and CTL_RECIPIENTS_MAX
 *	recipients of each are shown; the count of those left out is
 *	said. A field that is not what waypost-trackd writes (no number,
 *	no JSON object) is shown as null, and every text goes through
 *	ctl_output.c, which makes control characters harmless.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

struct recipient {
	long long number; /* i: the order of its first outcome */
	json_t *object;
};

/* A hash field's value, or NULL. */
static const char *
field(const redisReply *hash, const char *name)
{
	for (size_t i = 0; i + 1 < hash->elements; i += 2)
		if (hash->element[i]->type == REDIS_REPLY_STRING &&
		    hash->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(hash->element[i]->str, name) == 0)
			return hash->element[i + 1]->str;
	return NULL;
}

static bool
number_of(const char *text, long long *number)
{
	char *end;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	*number = strtoll(text, &end, 10);
	return errno == 0 && *end == '\0';
}

static json_t *
text_json(const char *text)
{
	return text != NULL ? json_string(text) : json_null();
}

static json_t *
time_json(long long seconds, bool known)
{
	char when[24];

	if (!known)
		return json_null();
	ctl_format_time(seconds, when, sizeof(when));
	return json_string(when);
}

static json_t *
number_json(const char *text)
{
	long long number;

	return number_of(text, &number) ? json_integer(number) : json_null();
}

static json_t *
time_field_json(const char *text)
{
	long long seconds = 0;
	bool known = number_of(text, &seconds);

	return time_json(seconds, known);
}

/* One recipient's entry, as the record holds it, in the fields shown. */
static json_t *
recipient_json(const char *address, const redisReply *value, long long *number)
{
	static const char *const texts[] = {"recipient", "original", "status",
	    "relay", "dsn", "reply", "class", "reason"};
	json_t *entry = json_loadb(value->str, value->len, 0, NULL);
	json_t *object = json_object(), *got;

	*number = 0;
	json_object_set_new(object, "address", json_string(address));
	if (!json_is_object(entry)) {
		json_decref(entry);
		entry = json_object();
	}
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		got = json_object_get(entry, texts[i]);
		json_object_set_new(object, texts[i],
		    json_is_string(got) ? json_incref(got) : json_null());
	}
	got = json_object_get(entry, "attempts");
	json_object_set_new(object, "attempts",
	    json_is_integer(got) ? json_incref(got) : json_null());
	got = json_object_get(entry, "first");
	json_object_set_new(object, "first",
	    time_json(json_integer_value(got), json_is_integer(got)));
	got = json_object_get(entry, "last");
	json_object_set_new(object, "last",
	    time_json(json_integer_value(got), json_is_integer(got)));
	if (json_is_integer(json_object_get(entry, "i")))
		*number = json_integer_value(json_object_get(entry, "i"));
	json_decref(entry);
	return object;
}

static int
compare_recipients(const void *a, const void *b)
{
	const struct recipient *x = a, *y = b;

	return (x->number > y->number) - (x->number < y->number);
}

/* The "r:ADDRESS" fields, in the order of their first outcome. */
static void
add_recipients(json_t *record, const redisReply *hash)
{
	struct recipient *recipients = NULL;
	size_t count = 0, left_out = 0;
	json_t *list = json_array();

	for (size_t i = 0; i + 1 < hash->elements; i += 2) {
		const redisReply *name = hash->element[i];
		const redisReply *value = hash->element[i + 1];

		if (name->type != REDIS_REPLY_STRING ||
		    value->type != REDIS_REPLY_STRING ||
		    strncmp(name->str, "r:", 2) != 0)
			continue;
		if (count >= CTL_RECIPIENTS_MAX) {
			left_out++;
			continue;
		}
		recipients =
		    xreallocarray(recipients, count + 1, sizeof(*recipients));
		recipients[count].object = recipient_json(
		    name->str + 2, value, &recipients[count].number);
		count++;
	}
	if (count > 0)
		qsort(
		    recipients, count, sizeof(*recipients), compare_recipients);
	for (size_t i = 0; i < count; i++)
		json_array_append_new(list, recipients[i].object);
	free(recipients);
	json_object_set_new(record, "recipients", list);
	json_object_set_new(
	    record, "recipients_left_out", json_integer((json_int_t)left_out));
}

static json_t *
record_json(const char *id, const char *relay, const redisReply *hash)
{
	static const char *const texts[] = {"queue_id", "message_id", "sender",
	    "tenant", "user", "client", "origin", "notification_of", "ended"};
	json_t *record = json_object();

	json_object_set_new(record, "record", json_string(id));
	json_object_set_new(record, "relay", json_string(relay));
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		json_object_set_new(
		    record, texts[i], text_json(field(hash, texts[i])));
	json_object_set_new(record, "size", number_json(field(hash, "size")));
	json_object_set_new(
	    record, "recipient_count", number_json(field(hash, "recipients")));
	json_object_set_new(
	    record, "received", time_field_json(field(hash, "first_seen")));
	json_object_set_new(
	    record, "accepted", time_field_json(field(hash, "accepted")));
	json_object_set_new(
	    record, "removed", time_field_json(field(hash, "removed")));
	add_recipients(record, hash);
	return record;
}

/* A text of the record's JSON, "-" when null. */
static const char *
shown(const json_t *object, const char *name)
{
	const char *text = json_string_value(json_object_get(object, name));

	return text != NULL ? text : "-";
}

static void
header_line(const char *name, const char *value)
{
	struct buffer line = {0};

	buffer_printf(&line, "  %-12s%s", name, value);
	ctl_print_line(buffer_text(&line));
	buffer_free(&line);
}

static void
show_header(const json_t *record)
{
	struct buffer text = {0};
	const char *value;

	buffer_printf(&text, "message %s on relay %s", shown(record, "record"),
	    shown(record, "relay"));
	ctl_print_line(buffer_text(&text));
	buffer_reset(&text);
	value = json_string_value(json_object_get(record, "message_id"));
	if (value != NULL)
		buffer_printf(&text, "<%s>", value);
	header_line("Message-ID", value != NULL ? buffer_text(&text) : "-");
	header_line("queue ID", shown(record, "queue_id"));
	header_line(
	    "sender", json_is_null(json_object_get(record, "sender")) &&
	                      !json_is_null(json_object_get(record, "accepted"))
	                  ? "<>"
	                  : shown(record, "sender"));
	header_line("tenant", shown(record, "tenant"));
	buffer_reset(&text);
	buffer_printf(&text, "%s%s%s", shown(record, "client"),
	    json_is_string(json_object_get(record, "user")) ? ", login " : "",
	    json_is_string(json_object_get(record, "user"))
	        ? shown(record, "user")
	        : "");
	header_line("client", buffer_text(&text));
	buffer_reset(&text);
	if (json_is_integer(json_object_get(record, "size")))
		buffer_printf(&text, "%lld bytes",
		    (long long)json_integer_value(
		        json_object_get(record, "size")));
	else
		buffer_append_text(&text, "-");
	if (json_is_integer(json_object_get(record, "recipient_count"))) {
		long long count = json_integer_value(
		    json_object_get(record, "recipient_count"));

		buffer_printf(
		    &text, ", %lld recipient%s", count, count == 1 ? "" : "s");
	}
	header_line("size", buffer_text(&text));
	header_line("received", shown(record, "received"));
	header_line("accepted", shown(record, "accepted"));
	if (json_is_string(json_object_get(record, "removed")))
		header_line("removed", shown(record, "removed"));
	if (json_is_string(json_object_get(record, "ended")))
		header_line("ended", shown(record, "ended"));
	buffer_free(&text);
}

static void
show_human(const struct ctl *ctl, const json_t *record)
{
	static const char *const headers[] = {"RECIPIENT", "STATUS", "ATTEMPTS",
	    "FIRST", "LAST", "DSN", "CLASS", "RELAY", "REPLY"};
	static const char *const names[] = {"recipient", "status", NULL,
	    "first", "last", "dsn", "class", "relay", "reply"};
	const json_t *list = json_object_get(record, "recipients");
	struct ctl_list *table = ctl_list_new(ctl, 9, headers);
	long long left_out =
	    json_integer_value(json_object_get(record, "recipients_left_out"));

	show_header(record);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *entry = json_array_get(list, i);
		const char *cells[9];
		char attempts[24] = "-";

		for (size_t c = 0; c < 9; c++)
			cells[c] = names[c] != NULL ? shown(entry, names[c])
			                            : attempts;
		if (json_is_null(json_object_get(entry, "recipient")))
			cells[0] = shown(entry, "address");
		if (json_is_null(json_object_get(entry, "reply")) &&
		    json_is_string(json_object_get(entry, "reason")))
			cells[8] = shown(entry, "reason");
		if (json_is_integer(json_object_get(entry, "attempts")))
			snprintf(attempts, sizeof(attempts), "%lld",
			    (long long)json_integer_value(
			        json_object_get(entry, "attempts")));
		ctl_list_add(table, NULL, cells);
	}
	if (json_array_size(list) == 0)
		ctl_print_line("  no recipient outcome yet");
	ctl_list_end(table);
	if (left_out > 0) {
		char more[64];

		snprintf(more, sizeof(more),
		    "  (%lld more recipients not shown)", left_out);
		ctl_print_line(more);
	}
}

/* One record: shown, or skipped when it expired since its index was
 * read (*shown_count unchanged). */
static int
show_record(struct ctl *ctl, const char *key, size_t *shown_count)
{
	char id[128];
	struct buffer relay = {0};
	redisReply *hash;
	json_t *record;
	int status;

	if (!ctl_record_id(ctl, key, &relay, id, sizeof(id))) {
		buffer_free(&relay);
		return EX_OK;
	}
	status =
	    ctl_command(ctl, &hash, 2, (const char *[]){"HGETALL", key}, NULL);
	if (status != EX_OK || hash->type != REDIS_REPLY_ARRAY ||
	    hash->elements == 0) {
		freeReplyObject(hash);
		buffer_free(&relay);
		return status;
	}
	record = record_json(id, buffer_text(&relay), hash);
	freeReplyObject(hash);
	buffer_free(&relay);
	if (!ctl->json && *shown_count > 0)
		ctl_print_line("");
	if (ctl->json)
		ctl_result(ctl, record, "");
	else {
		show_human(ctl, record);
		json_decref(record);
	}
	(*shown_count)++;
	return EX_OK;
}

static int
usage(void)
{
	return ctl_fail(EX_USAGE, "usage: waypostctl message show "
	                          "MESSAGE-ID|QUEUE-ID [--relay RELAY]");
}

int
ctl_message(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_message_ref ref;
	struct ctl_records records = {{NULL}, 0};
	char relay[CTL_RELAY_MAX + 1], error[CTL_ERROR_MAX];
	bool relay_given = argc == 4;
	size_t shown_count = 0;
	int status;

	if (argc < 2 || strcmp(argv[0], "show") != 0 ||
	    (argc != 2 && argc != 4) ||
	    (relay_given && strcmp(argv[2], "--relay") != 0))
		return usage();
	if (!ctl_parse_message_ref(argv[1], &ref, error, sizeof(error)) ||
	    (relay_given && !ctl_parse_relay(argv[3], relay, sizeof(relay),
	                        error, sizeof(error))))
		return ctl_fail(EX_DATAERR, "message show: %s", error);
	if ((status = ctl_connect(ctl)) != EX_OK)
		return status;
	status =
	    ctl_message_find(ctl, &ref, relay_given ? relay : NULL, &records);
	for (size_t i = 0; status == EX_OK && i < records.count; i++)
		status = show_record(ctl, records.keys[i], &shown_count);
	ctl_records_free(&records);
	fflush(stdout);
	if (status == EX_OK && shown_count == 0)
		return ctl_fail(EX_NOINPUT,
		    "message show: no record of \"%.100s\" (never seen, or "
		    "older than waypost-trackd's record_ttl)",
		    argv[1]);
	return status;
}
