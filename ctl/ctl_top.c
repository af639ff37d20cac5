/*
 * NAME
 *	ctl_top - waypostctl top senders: who sent the most, lately
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_top(ctl, argc, argv)
 * DESCRIPTION
 *	top senders [--window DURATION] [--by messages|recipients|refusals]
 *	[--count N] lists the tenants (the user who logged in, else the
 *	sender) with the most messages charged, recipients charged or
 *	requests refused, most first, from waypost-policyd's hourly
 *	activity counts: per kind and hour of Redis' time a hash of tenant
 *	to count, "activity:sent:HOUR" (messages and recipients in one
 *	integer, split by policy/script_call.c) and "activity:refusals:HOUR"
 *	(policy/decide_script.lua writes them, lib/redis_keys.c names
 *	them). The window, whole hours from 1h to CTL_TOP_HOURS_MAX (24h,
 *	how long the counts are kept; 1h by default), sums every hour it
 *	overlaps: the current one and those before it, so up to an hour
 *	more than the window, as the limits count. The hours are read with
 *	HGETALL in one round trip and summed here. Ties are in name order.
 *	--count: CTL_TOP_COUNT by default.
 * SECURITY
 *	Read only. At most CTL_SCAN_MAX counts are read; --count is bounded
 *	by ctl_args.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "script_call.h"
#include "xmalloc.h"

struct top {
	const char *by; /* messages, recipients, refusals */
	long long hours;
	long long count;
};

struct sender {
	char *name;
	long long total;
};

struct senders {
	struct sender *items;
	size_t count;
};

static int
usage(void)
{
	return ctl_fail(EX_USAGE,
	    "usage: waypostctl top senders [--window 1h|24h] [--by "
	    "messages|recipients|refusals] [--count N]");
}

static int
read_options(int argc, char **argv, struct top *top)
{
	static const char *const kinds[] = {
	    "messages", "recipients", "refusals"};
	char error[CTL_ERROR_MAX];

	if (argc < 1 || strcmp(argv[0], "senders") != 0)
		return usage();
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--window") == 0) {
			if (!ctl_parse_window(
			        argv[i + 1], &top->hours, error, sizeof(error)))
				return ctl_fail(EX_DATAERR, "top: %s", error);
		} else if (strcmp(argv[i], "--count") == 0) {
			if (!ctl_parse_count(argv[i + 1], CTL_TOP_COUNT_MAX,
			        &top->count, error, sizeof(error)))
				return ctl_fail(EX_DATAERR, "top: %s", error);
		} else if (strcmp(argv[i], "--by") == 0) {
			top->by = NULL;
			for (size_t k = 0; k < 3; k++)
				if (strcmp(argv[i + 1], kinds[k]) == 0)
					top->by = kinds[k];
			if (top->by == NULL)
				return ctl_fail(EX_DATAERR,
				    "top: --by \"%.100s\": expected messages, "
				    "recipients or refusals",
				    argv[i + 1]);
		} else
			return usage();
	}
	return EX_OK;
}

/* One hour's counts, of the kind --by asks, into senders. */
static void
add_hour(const struct top *top, const redisReply *hash, struct senders *senders)
{
	for (size_t i = 0;
	     i + 1 < hash->elements && senders->count < CTL_SCAN_MAX; i += 2) {
		const redisReply *name = hash->element[i];
		const redisReply *value = hash->element[i + 1];
		long long count, messages, recipients;

		if (name->type != REDIS_REPLY_STRING ||
		    value->type != REDIS_REPLY_STRING)
			continue;
		count = strtoll(value->str, NULL, 10);
		if (strcmp(top->by, "refusals") != 0) {
			script_activity_split(count, &messages, &recipients);
			count = strcmp(top->by, "messages") == 0 ? messages
			                                         : recipients;
		}
		senders->items = xreallocarray(senders->items,
		    senders->count + 1, sizeof(*senders->items));
		senders->items[senders->count++] =
		    (struct sender){xstrdup(name->str), count};
	}
}

/* HGETALL of the hours hour - hours .. hour, in one round trip. */
static int
read_hours(struct ctl *ctl, const struct top *top, long long hour,
    struct senders *senders)
{
	const char *kind =
	    strcmp(top->by, "refusals") == 0 ? "refusals" : "sent";
	struct buffer key = {0};
	int status = EX_OK;

	for (long long i = 0; i <= top->hours; i++) {
		char name[24];

		snprintf(name, sizeof(name), "%lld", hour - i);
		ctl_key_pair(ctl, &key, REDIS_KEY_ACTIVITY, kind, name);
		redisAppendCommand(
		    ctl->connection, "HGETALL %b", key.data, key.length);
	}
	buffer_free(&key);
	for (long long i = 0; i <= top->hours; i++) {
		redisReply *reply = NULL;

		if (redisGetReply(ctl->connection, (void **)&reply) !=
		        REDIS_OK ||
		    reply == NULL) {
			freeReplyObject(reply);
			return ctl_fail(EX_TEMPFAIL, "Redis did not answer: %s",
			    ctl->connection->errstr);
		}
		if (reply->type == REDIS_REPLY_ARRAY)
			add_hour(top, reply, senders);
		else if (status == EX_OK)
			status = ctl_fail(EX_TEMPFAIL,
			    "Redis refused HGETALL: %.200s",
			    reply->type == REDIS_REPLY_ERROR ? reply->str
			                                     : "?");
		freeReplyObject(reply);
	}
	return status;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(
	    ((const struct sender *)a)->name, ((const struct sender *)b)->name);
}

static int
compare_senders(const void *a, const void *b)
{
	const struct sender *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* One entry per sender, its hours summed, most first. */
static void
sum_senders(struct senders *senders)
{
	size_t kept = 0;

	if (senders->count == 0)
		return;
	qsort(senders->items, senders->count, sizeof(*senders->items),
	    compare_names);
	for (size_t i = 0; i < senders->count; i++) {
		if (kept > 0 && strcmp(senders->items[kept - 1].name,
		                    senders->items[i].name) == 0) {
			senders->items[kept - 1].total +=
			    senders->items[i].total;
			free(senders->items[i].name);
		} else
			senders->items[kept++] = senders->items[i];
	}
	senders->count = kept;
	qsort(senders->items, senders->count, sizeof(*senders->items),
	    compare_senders);
}

static void
show(struct ctl *ctl, const struct top *top, const struct senders *senders)
{
	const char *headers[] = {"RANK", "SENDER", top->by};
	struct ctl_list *list;
	char upper[16];
	size_t shown = 0;

	for (size_t i = 0; i < sizeof(upper) - 1 && top->by[i] != '\0'; i++)
		upper[i] = (char)(top->by[i] - 'a' + 'A');
	upper[strlen(top->by)] = '\0';
	headers[2] = upper;
	list = ctl_list_new(ctl, 3, headers);
	for (size_t i = 0; i < senders->count && shown < (size_t)top->count;
	     i++) {
		const struct sender *sender = &senders->items[i];
		char rank[24], total[24];
		const char *cells[] = {rank, sender->name, total};

		if (sender->total <= 0)
			continue;
		snprintf(rank, sizeof(rank), "%zu", ++shown);
		snprintf(total, sizeof(total), "%lld", sender->total);
		ctl_list_add(list,
		    json_pack("{sIsssI}", "rank", (json_int_t)shown, "sender",
		        sender->name, top->by, (json_int_t)sender->total),
		    cells);
	}
	ctl_list_end(list);
}

int
ctl_top(struct ctl *ctl, int argc, char **argv)
{
	struct top top = {"messages", 1, CTL_TOP_COUNT};
	struct senders senders = {NULL, 0};
	long long hour = 0, now = 0;
	int status = read_options(argc, argv, &top);

	if (status == EX_OK)
		status = ctl_connect(ctl);
	if (status == EX_OK)
		status = ctl_redis_time(ctl, &now);
	hour = now / 3600; /* the hours' keys are of Redis' time */
	if (status == EX_OK)
		status = read_hours(ctl, &top, hour, &senders);
	if (status == EX_OK) {
		sum_senders(&senders);
		show(ctl, &top, &senders);
	}
	for (size_t i = 0; i < senders.count; i++)
		free(senders.items[i].name);
	free(senders.items);
	return status;
}
