/*
 * NAME
 *	ctl_audit - the audit stream of every change waypostctl makes
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	void ctl_audit_append(ctl, change)
 *	int ctl_audit(ctl, argc, argv)
 * DESCRIPTION
 *	ctl_audit_append() queues, inside the transaction of the change
 *	(ctl_redis.c), the XADD of its entry to the stream "audit"
 *	(lib/redis_keys.c), trimmed to about CTL_AUDIT_KEEP entries: the
 *	fields who (the login name of the user who ran waypostctl),
 *	command, subject, before, after and time (UTC, ISO 8601).
 *
 *	ctl_audit() is "waypostctl audit [--count N]": the newest N
 *	entries (CTL_AUDIT_COUNT unless given), newest first.
 * SECURITY
 *	who is the real user ID's name, not an environment variable: a
 *	sudo run records root. Entries are read as Redis holds them; a
 *	field that is missing is shown empty.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

static const char *const audit_fields[] = {
    "time", "who", "command", "subject", "before", "after"};
#define AUDIT_FIELDS (sizeof(audit_fields) / sizeof(audit_fields[0]))

void
ctl_audit_append(struct ctl *ctl, const struct ctl_change *change)
{
	struct buffer key = {0};
	char now[32];
	time_t seconds = time(NULL);
	struct tm utc;

	gmtime_r(&seconds, &utc);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &utc);
	ctl_key(ctl, &key, REDIS_KEY_AUDIT, "");
	ctl_append(ctl, 18,
	    (const char *[]){"XADD", buffer_text(&key), "MAXLEN", "~",
	        CTL_AUDIT_KEEP, "*", "who", ctl->who, "command",
	        change->command, "subject", change->subject, "before",
	        change->before, "after", change->after, "time", now},
	    NULL);
	buffer_free(&key);
}

/* The value of field in an entry's field list, "" when missing. */
static const char *
field_value(const redisReply *fields, const char *name)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0)
			return fields->element[i + 1]->str;
	return "";
}

static void
show_entry(struct ctl_list *list, const redisReply *entry)
{
	const char *cells[AUDIT_FIELDS];
	json_t *object = json_object();

	json_object_set_new(object, "id", json_string(entry->element[0]->str));
	for (size_t i = 0; i < AUDIT_FIELDS; i++) {
		cells[i] = field_value(entry->element[1], audit_fields[i]);
		json_object_set_new(
		    object, audit_fields[i], json_string(cells[i]));
	}
	ctl_list_add(list, object, cells);
}

static bool
entry_shaped(const redisReply *entry)
{
	return entry->type == REDIS_REPLY_ARRAY && entry->elements == 2 &&
	       entry->element[0]->type == REDIS_REPLY_STRING &&
	       entry->element[1]->type == REDIS_REPLY_ARRAY;
}

int
ctl_audit(struct ctl *ctl, int argc, char **argv)
{
	static const char *const headers[] = {
	    "TIME", "WHO", "COMMAND", "SUBJECT", "BEFORE", "AFTER"};
	char error[CTL_ERROR_MAX], count[24];
	long long entries = CTL_AUDIT_COUNT;
	struct buffer key = {0};
	struct ctl_list *list;
	redisReply *reply;
	int status;

	if (argc == 2 && strcmp(argv[0], "--count") == 0) {
		if (!ctl_parse_count(argv[1], CTL_AUDIT_COUNT_MAX, &entries,
		        error, sizeof(error)))
			return ctl_fail(EX_DATAERR, "audit: %s", error);
	} else if (argc != 0)
		return ctl_fail(
		    EX_USAGE, "usage: waypostctl audit [--count N]");
	if ((status = ctl_connect(ctl)) != EX_OK)
		return status;
	snprintf(count, sizeof(count), "%lld", entries);
	ctl_key(ctl, &key, REDIS_KEY_AUDIT, "");
	status = ctl_command(ctl, &reply, 6,
	    (const char *[]){
	        "XREVRANGE", buffer_text(&key), "+", "-", "COUNT", count},
	    NULL);
	buffer_free(&key);
	if (status != EX_OK)
		return status;
	list = ctl_list_new(ctl, AUDIT_FIELDS, headers);
	for (size_t i = 0;
	     reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++)
		if (entry_shaped(reply->element[i]))
			show_entry(list, reply->element[i]);
	ctl_list_end(list);
	freeReplyObject(reply);
	return EX_OK;
}
