/*
 * NAME
 *	ctl_webhook_attempts - waypostctl webhook attempts: every attempt
 *	to deliver a message's events
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_webhook_attempts(ctl, argc, argv)
 * DESCRIPTION
 *	webhook attempts MESSAGE reads the list waypost-hookd writes per
 *	message, "hook-attempts:QUEUEID.FIRSTSEEN", newest first as hookd
 *	pushes them, each a JSON object (time, webhook, event, type,
 *	status, latency_ms, error: see waypost-hookd(8)). The table shows
 *	time in ISO 8601, UTC; --json prints each object as hookd wrote
 *	it, one per line.
 *
 *	MESSAGE is QUEUEID.FIRSTSEEN, or an event's id; else a Message-ID
 *	(with or without its angle brackets) or a queue ID, whose records
 *	waypost-trackd's indexes name (ctl_message_find.c): the attempts
 *	of each record are shown, the newest record first. A Message-ID
 *	or queue ID with no record is EX_NOINPUT; a message with records
 *	but no attempt shows nothing.
 * SECURITY
 *	At most CTL_ATTEMPTS_MAX attempts are read per record. An entry
 *	that is no JSON object is shown as "?" (in JSON: {"line":
 *	ENTRY}).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char *
text_of(json_t *object, const char *name)
{
	const char *text = json_string_value(json_object_get(object, name));

	return text != NULL ? text : "?";
}

static void
add_attempt(struct ctl_list *list, const redisReply *line)
{
	json_t *object = json_loadb(line->str, line->len, 0, NULL);
	char when[24] = "?", status[24] = "?", latency[24] = "?";
	const char *cells[7];

	if (!json_is_object(object)) {
		json_decref(object);
		object = json_pack("{s:s%}", "line", line->str, line->len);
	}
	if (json_is_integer(json_object_get(object, "time")))
		ctl_format_time(
		    json_integer_value(json_object_get(object, "time")), when,
		    sizeof(when));
	if (json_is_integer(json_object_get(object, "status")))
		snprintf(status, sizeof(status), "%lld",
		    (long long)json_integer_value(
		        json_object_get(object, "status")));
	if (json_is_integer(json_object_get(object, "latency_ms")))
		snprintf(latency, sizeof(latency), "%lldms",
		    (long long)json_integer_value(
		        json_object_get(object, "latency_ms")));
	cells[0] = when;
	cells[1] = text_of(object, "webhook");
	cells[2] = text_of(object, "event");
	cells[3] = text_of(object, "type");
	cells[4] = status;
	cells[5] = latency;
	cells[6] = text_of(object, "error");
	ctl_list_add(list, object, cells);
}

/* The attempts of one message (QUEUEID.FIRSTSEEN) into list. */
static int
add_attempts(struct ctl *ctl, const char *message, struct ctl_list *list)
{
	char last[24];
	struct buffer key = {0};
	redisReply *reply;
	int status;

	ctl_key(ctl, &key, REDIS_KEY_HOOK_ATTEMPTS, message);
	snprintf(last, sizeof(last), "%d", CTL_ATTEMPTS_MAX - 1);
	status = ctl_command(ctl, &reply, 4,
	    (const char *[]){"LRANGE", buffer_text(&key), "0", last}, NULL);
	buffer_free(&key);
	if (status != EX_OK)
		return status;
	for (size_t i = 0;
	     reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			add_attempt(list, reply->element[i]);
	freeReplyObject(reply);
	return EX_OK;
}

/* The records of a Message-ID or queue ID, newest first, and theirs. */
static int
add_records_attempts(struct ctl *ctl, const struct ctl_message_ref *ref,
    const char *shown, struct ctl_list *list)
{
	struct ctl_records records = {{NULL}, 0};
	struct buffer relay = {0};
	char message[128];
	size_t found = 0;
	int status = ctl_message_find(ctl, ref, NULL, &records);

	for (size_t i = records.count; status == EX_OK && i > 0; i--)
		if (ctl_record_id(ctl, records.keys[i - 1], &relay, message,
		        sizeof(message))) {
			status = add_attempts(ctl, message, list);
			found++;
		}
	ctl_records_free(&records);
	buffer_free(&relay);
	if (status == EX_OK && found == 0)
		return ctl_fail(EX_NOINPUT,
		    "webhook attempts: no record of \"%.100s\" (never seen, "
		    "or older than waypost-trackd's record_ttl)",
		    shown);
	return status;
}

int
ctl_webhook_attempts(struct ctl *ctl, int argc, char **argv)
{
	static const char *const headers[] = {
	    "TIME", "WEBHOOK", "EVENT", "TYPE", "STATUS", "LATENCY", "ERROR"};
	char message[128], error[CTL_ERROR_MAX];
	struct ctl_message_ref ref;
	struct ctl_list *list;
	bool by_record;
	int status;

	if (argc != 1)
		return ctl_fail(EX_USAGE,
		    "usage: waypostctl webhook attempts "
		    "MESSAGE-ID|QUEUE-ID|QUEUEID.FIRSTSEEN");
	by_record = ctl_parse_message(
	    argv[0], message, sizeof(message), error, sizeof(error));
	if (!by_record &&
	    !ctl_parse_message_ref(argv[0], &ref, error, sizeof(error)))
		return ctl_fail(EX_DATAERR, "webhook attempts: %s", error);
	if ((status = ctl_connect(ctl)) != EX_OK)
		return status;
	list = ctl_list_new(ctl, 7, headers);
	if (by_record)
		status = add_attempts(ctl, message, list);
	else
		status = add_records_attempts(ctl, &ref, argv[0], list);
	ctl_list_end(list);
	return status;
}
