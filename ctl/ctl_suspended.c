/*
 * NAME
 *	ctl_suspended - waypostctl suspended: every suspension, its reason
 *	and the time left
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_suspended(ctl, argc, argv)
 * DESCRIPTION
 *	Finds the keys "suspended:user:{*}" and "suspended:domain:*" with
 *	SCAN (never KEYS, which stops Redis while it runs), reads each
 *	one's reason and time left, and lists them sorted by kind and
 *	subject: in JSON, remaining is seconds, or null until lifted. A key
 *	that expires between the SCAN and the GET is left out.
 * SECURITY
 *	At most CTL_SCAN_MAX suspensions are listed. The [redis] prefix is
 *	escaped in the SCAN pattern (lib/redis_keys.c), so a prefix holding "*"
 *	or "?" matches itself only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

struct entry {
	const char *kind;
	char *subject;
	char *reason;
	long long remaining_ms; /* -1: until lifted */
};

struct entries {
	struct entry *items;
	size_t count;
};

static int
compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int order = strcmp(x->kind, y->kind);

	return order != 0 ? order : strcmp(x->subject, y->subject);
}

/* The reason and time left of one key; false when it is gone. */
static int
read_entry(struct ctl *ctl, const char *key, struct entry *entry, bool *found)
{
	char *reason;
	long long ttl_ms;
	int status = ctl_get_string(ctl, key, &reason, &ttl_ms);

	*found = status == EX_OK && reason != NULL;
	if (*found) {
		entry->reason = reason;
		entry->remaining_ms = ttl_ms;
	} else
		free(reason);
	return status;
}

struct scan {
	const char *kind;
	enum redis_key key;
	struct entries *entries;
};

static int
each_key(struct ctl *ctl, const char *key, void *context)
{
	struct scan *scan = context;
	struct entries *entries = scan->entries;
	struct entry entry = {scan->kind, NULL, NULL, -1};
	struct buffer subject = {0}, unused = {0};
	bool found = false;
	int status = EX_OK;

	if (entries->count < CTL_SCAN_MAX &&
	    redis_key_parse(
	        key, ctl->redis->prefix, scan->key, &subject, &unused))
		status = read_entry(ctl, key, &entry, &found);
	if (found) {
		entry.subject = xstrdup(buffer_text(&subject));
		entries->items = xreallocarray(entries->items,
		    entries->count + 1, sizeof(*entries->items));
		entries->items[entries->count++] = entry;
	}
	buffer_free(&subject);
	buffer_free(&unused);
	return status;
}

/* Every key of one kind, into entries. */
static int
scan_kind(struct ctl *ctl, enum redis_key key, const char *kind,
    struct entries *entries)
{
	struct buffer pattern = {0};
	struct scan scan = {kind, key, entries};
	int status;

	redis_key_append_pattern(&pattern, ctl->redis->prefix, key, NULL, NULL);
	status = ctl_scan(ctl, buffer_text(&pattern), each_key, &scan);
	buffer_free(&pattern);
	return status;
}

static void
show(const struct ctl *ctl, const struct entries *entries)
{
	static const char *const headers[] = {
	    "KIND", "SUBJECT", "REMAINING", "REASON"};
	struct ctl_list *list = ctl_list_new(ctl, 4, headers);

	for (size_t i = 0; i < entries->count; i++) {
		const struct entry *entry = &entries->items[i];
		char remaining[32] = "until lifted";
		const char *cells[] = {
		    entry->kind, entry->subject, remaining, entry->reason};
		json_t *object = json_object();

		if (entry->remaining_ms >= 0)
			ctl_format_remaining(
			    entry->remaining_ms, remaining, sizeof(remaining));
		json_object_set_new(object, "kind", json_string(entry->kind));
		json_object_set_new(
		    object, "subject", json_string(entry->subject));
		json_object_set_new(
		    object, "reason", json_string(entry->reason));
		json_object_set_new(object, "remaining",
		    entry->remaining_ms >= 0
		        ? json_integer((entry->remaining_ms + 999) / 1000)
		        : json_null());
		ctl_list_add(list, object, cells);
	}
	ctl_list_end(list);
}

int
ctl_suspended(struct ctl *ctl, int argc, char **argv)
{
	struct entries entries = {NULL, 0};
	int status;

	(void)argv;
	if (argc != 0)
		return ctl_fail(EX_USAGE, "usage: waypostctl suspended");
	status = ctl_connect(ctl);
	if (status == EX_OK)
		status =
		    scan_kind(ctl, REDIS_KEY_SUSPENDED_USER, "user", &entries);
	if (status == EX_OK)
		status = scan_kind(
		    ctl, REDIS_KEY_SUSPENDED_DOMAIN, "domain", &entries);
	if (status == EX_OK) {
		if (entries.count > 0)
			qsort(entries.items, entries.count,
			    sizeof(*entries.items), compare_entries);
		show(ctl, &entries);
	}
	for (size_t i = 0; i < entries.count; i++) {
		free(entries.items[i].subject);
		free(entries.items[i].reason);
	}
	free(entries.items);
	return status;
}
