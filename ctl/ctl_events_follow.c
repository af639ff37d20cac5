/*
 * NAME
 *	ctl_events_follow - waypostctl events follow: waypost-trackd's
 *	events as they come
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_events(ctl, argc, argv)
 * DESCRIPTION
 *	events follow [--tenant T] [--from ID | --since DURATION]
 *	[--count N] reads the stream of every tenant, "events", or with
 *	--tenant the tenant's own, "events:TENANT" (waypost-events(7)),
 *	with XREAD BLOCK, and prints a line per event: without --json its
 *	time, type, recipient, DSN, class and queue ID ("-" for what it
 *	lacks), with --json the event's JSON as the stream holds it.
 *
 *	It starts after the stream's last entry (the entries written
 *	from then on), after the entry ID with --from (0: every entry
 *	the stream keeps), or with the entries of the last DURATION
 *	with --since; the start is made an entry id before the first
 *	read, and each read goes on after the last entry printed, so no
 *	entry written while it runs is missed or printed twice. It ends
 *	after N events (--count), or at SIGINT or SIGTERM, with exit
 *	status 0.
 * SECURITY
 *	Each XREAD blocks for BLOCK_MS (a second), and its answer is
 *	awaited that long plus [redis] timeout: a signal ends the command
 *	within about a second, and a Redis that stops answering is seen. Texts are printed through
 *	ctl_output.c (control characters made harmless).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "ctl.h"

#define BLOCK_MS   1000LL
#define BLOCK_TEXT "1000"

static volatile sig_atomic_t stopping;

static void
on_signal(int signal_number)
{
	(void)signal_number;
	stopping = 1;
}

struct follow {
	struct buffer key;
	char after[CTL_STREAM_ID_MAX + 1]; /* the last entry read */
	long long count;                   /* 0: until stopped */
	long long printed;
};

/* The value of an entry's field "event", or NULL. */
static const redisReply *
event_of(const redisReply *fields)
{
	if (fields->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, "event") == 0)
			return fields->element[i + 1];
	return NULL;
}

static const char *
shown(const json_t *event, const char *name)
{
	const char *text = json_string_value(json_object_get(event, name));

	return text != NULL ? text : "-";
}

static void
print_event(const struct ctl *ctl, const redisReply *value)
{
	struct buffer line = {0};
	json_t *event;

	if (ctl->json) {
		buffer_append(&line, value->str, value->len);
		ctl_print_line(buffer_text(&line));
		buffer_free(&line);
		return;
	}
	event = json_loadb(value->str, value->len, 0, NULL);
	buffer_printf(&line, "%s  %-10s  %s  %s  %s  %s", shown(event, "time"),
	    shown(event, "type"), shown(event, "recipient"),
	    shown(event, "dsn"), shown(event, "class"),
	    shown(event, "queue_id"));
	ctl_print_line(buffer_text(&line));
	buffer_free(&line);
	json_decref(event);
}

/* One XREAD reply: [[key, [[id, [field, value, ...]], ...]]]. */
static void
print_entries(
    const struct ctl *ctl, const redisReply *reply, struct follow *follow)
{
	const redisReply *entries;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1 ||
	    reply->element[0]->type != REDIS_REPLY_ARRAY ||
	    reply->element[0]->elements != 2 ||
	    reply->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	entries = reply->element[0]->element[1];
	for (size_t i = 0; i < entries->elements; i++) {
		const redisReply *entry = entries->element[i];
		const redisReply *event;

		if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
		    entry->element[0]->type != REDIS_REPLY_STRING ||
		    entry->element[0]->len > CTL_STREAM_ID_MAX)
			continue;
		snprintf(follow->after, sizeof(follow->after), "%s",
		    entry->element[0]->str);
		if ((event = event_of(entry->element[1])) == NULL)
			continue;
		print_event(ctl, event);
		follow->printed++;
		if (follow->count > 0 && follow->printed >= follow->count)
			break;
	}
	fflush(stdout);
}

/* The stream's last entry id, "0-0" when it has none. */
static int
last_entry(struct ctl *ctl, struct follow *follow)
{
	redisReply *reply;
	int status = ctl_command(ctl, &reply, 6,
	    (const char *[]){
	        "XREVRANGE", buffer_text(&follow->key), "+", "-", "COUNT", "1"},
	    NULL);

	if (status != EX_OK)
		return status;
	snprintf(follow->after, sizeof(follow->after), "0-0");
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY &&
	    reply->element[0]->elements == 2 &&
	    reply->element[0]->element[0]->type == REDIS_REPLY_STRING &&
	    reply->element[0]->element[0]->len <= CTL_STREAM_ID_MAX)
		snprintf(follow->after, sizeof(follow->after), "%s",
		    reply->element[0]->element[0]->str);
	freeReplyObject(reply);
	return EX_OK;
}

static int
follow_stream(struct ctl *ctl, struct follow *follow)
{
	struct sigaction action;
	int status = EX_OK;

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	while (!stopping &&
	       (follow->count == 0 || follow->printed < follow->count)) {
		char batch[24];
		long long left = follow->count - follow->printed;
		redisReply *reply;

		snprintf(batch, sizeof(batch), "%lld",
		    follow->count > 0 && left < CTL_FOLLOW_BATCH
		        ? left
		        : (long long)CTL_FOLLOW_BATCH);
		status = ctl_command(ctl, &reply, 8,
		    (const char *[]){"XREAD", "COUNT", batch, "BLOCK",
		        BLOCK_TEXT, "STREAMS", buffer_text(&follow->key),
		        follow->after},
		    NULL);
		if (status != EX_OK)
			break;
		print_entries(ctl, reply, follow);
		freeReplyObject(reply);
		if (ferror(stdout))
			return EX_IOERR;
	}
	return status;
}

/* The options; EX_OK, or the status of a failure said. */
static int
options(struct ctl *ctl, int argc, char **argv, struct follow *follow)
{
	char tenant[IDENTITY_USER_MAX + 1], error[CTL_ERROR_MAX];
	bool tenant_given = false, start_given = false;

	for (int i = 0; i < argc; i += 2) {
		bool ok = true;

		if (strcmp(argv[i], "--tenant") != 0 &&
		    strcmp(argv[i], "--from") != 0 &&
		    strcmp(argv[i], "--since") != 0 &&
		    strcmp(argv[i], "--count") != 0)
			return ctl_fail(EX_USAGE,
			    "events follow: unknown option \"%.100s\"",
			    argv[i]);
		if (i + 1 >= argc)
			return ctl_fail(EX_USAGE,
			    "events follow: %s needs a value", argv[i]);
		if (strcmp(argv[i], "--tenant") == 0) {
			if (tenant_given)
				return ctl_fail(EX_USAGE,
				    "events follow: --tenant given twice");
			tenant_given = true;
			ok = ctl_parse_user(argv[i + 1], tenant, sizeof(tenant),
			    error, sizeof(error));
		} else if (strcmp(argv[i], "--count") == 0)
			ok = ctl_parse_count(argv[i + 1], CTL_FOLLOW_MAX,
			    &follow->count, error, sizeof(error));
		else if (start_given)
			return ctl_fail(EX_USAGE,
			    "events follow: give --from or --since, once");
		else if (strcmp(argv[i], "--from") == 0) {
			start_given = true;
			ok = ctl_parse_stream_id(argv[i + 1], follow->after,
			    sizeof(follow->after), error, sizeof(error));
		} else {
			long long milliseconds = 0;
			struct timeval now;

			start_given = true;
			ok = ctl_parse_for(
			    argv[i + 1], &milliseconds, error, sizeof(error));
			gettimeofday(&now, NULL);
			snprintf(follow->after, sizeof(follow->after), "%lld-0",
			    (long long)now.tv_sec * 1000 + now.tv_usec / 1000 -
			        milliseconds);
		}
		if (!ok)
			return ctl_fail(EX_DATAERR, "events follow: %s", error);
	}
	if (tenant_given)
		ctl_key(ctl, &follow->key, REDIS_KEY_TENANT_EVENTS, tenant);
	else
		ctl_key(ctl, &follow->key, REDIS_KEY_EVENTS, "");
	return EX_OK;
}

int
ctl_events(struct ctl *ctl, int argc, char **argv)
{
	struct follow follow = {{0}, "", 0, 0};
	long long wait_ms;
	int status;

	if (argc < 1 || strcmp(argv[0], "follow") != 0)
		return ctl_fail(EX_USAGE,
		    "usage: waypostctl events follow [--tenant TENANT] "
		    "[--from ID|--since DURATION] [--count N]");
	status = options(ctl, argc - 1, argv + 1, &follow);
	if (status == EX_OK)
		status = ctl_connect(ctl);
	if (status == EX_OK && follow.after[0] == '\0')
		status = last_entry(ctl, &follow);
	if (status == EX_OK) {
		wait_ms = BLOCK_MS + ctl->redis->timeout;
		redisSetTimeout(
		    ctl->connection, (struct timeval){(time_t)(wait_ms / 1000),
		                         (suseconds_t)(wait_ms % 1000 * 1000)});
		status = follow_stream(ctl, &follow);
	}
	buffer_free(&follow.key);
	return status;
}
