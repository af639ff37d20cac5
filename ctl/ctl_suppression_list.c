/*
 * NAME
 *	ctl_suppression_list - waypostctl suppression list and why: the
 *	suppressions there are, with their reasons and time left
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_suppression_list(ctl, argc, argv)
 *	int ctl_suppression_why(ctl, argc, argv)
 *	const char *ctl_suppression_split(entry, since)
 * DESCRIPTION
 *	suppression list [TENANT] finds with SCAN (ctl_scan.c) the keys
 *	"suppressed:{TENANT}:ADDRESS" (of every tenant, or of TENANT) and
 *	"suppressed-any:ADDRESS" (which apply to every tenant, so to TENANT
 *	too) and lists them sorted by address, then tenant: address, tenant
 *	("*" for every tenant; null in JSON), since (ISO 8601, UTC; "-" or
 *	null when the entry has no time, as an admin may write it), the
 *	time left ("until removed"; in JSON seconds, or null) and reason.
 *	A key that expires between the SCAN and the GET is left out.
 *
 *	suppression why ADDRESS [--tenant TENANT] says why a recipient is
 *	refused: its suppressions, for TENANT and for every tenant, or for
 *	any tenant when none is given; one JSON object with suppressed and
 *	the list.
 *
 *	ctl_suppression_split() reads an entry's "SINCE REASON" as
 *	waypost-policyd does: since is 0 when it has no time.
 * SECURITY
 *	At most CTL_SCAN_MAX suppressions are listed. The key's parts are
 *	escaped in the SCAN pattern, and read back, by lib/redis_keys.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

struct entry {
	char *address;
	char *tenant; /* NULL: every tenant */
	long long since;
	char *reason;
	long long remaining_ms; /* -1: until removed */
};

struct entries {
	struct entry *items;
	size_t count;
};

struct scan {
	struct entries *entries;
	enum redis_key key;  /* suppressed:{TENANT}:ADDRESS, or -any */
	const char *address; /* NULL: every address */
};

const char *
ctl_suppression_split(const char *entry, long long *since)
{
	char *end;

	*since = 0;
	if (!isdigit((unsigned char)entry[0]))
		return entry;
	errno = 0;
	*since = strtoll(entry, &end, 10);
	if (errno != 0 || *end != ' ' || *since <= 0) {
		*since = 0;
		return entry;
	}
	return end + 1;
}

static int
read_entry(struct ctl *ctl, const char *key, struct entry *entry, bool *found)
{
	char *value;
	long long ttl_ms;
	int status = ctl_get_string(ctl, key, &value, &ttl_ms);

	*found = status == EX_OK && value != NULL;
	if (*found) {
		entry->reason =
		    xstrdup(ctl_suppression_split(value, &entry->since));
		entry->remaining_ms = ttl_ms;
	}
	free(value);
	return status;
}

static int
each_key(struct ctl *ctl, const char *key, void *context)
{
	struct scan *scan = context;
	struct entries *entries = scan->entries;
	struct entry entry = {NULL, NULL, 0, NULL, -1};
	struct buffer name = {0}, subject = {0};
	bool any = scan->key == REDIS_KEY_SUPPRESSED_ANY, found = false;
	const char *address;
	int status = EX_OK;

	if (entries->count < CTL_SCAN_MAX &&
	    redis_key_parse(
	        key, ctl->redis->prefix, scan->key, &name, &subject)) {
		address = buffer_text(any ? &name : &subject);
		if (scan->address == NULL ||
		    strcmp(address, scan->address) == 0)
			status = read_entry(ctl, key, &entry, &found);
	}
	if (found) {
		entry.address = xstrdup(address);
		entry.tenant = any ? NULL : xstrdup(buffer_text(&name));
		entries->items = xreallocarray(entries->items,
		    entries->count + 1, sizeof(*entries->items));
		entries->items[entries->count++] = entry;
	}
	buffer_free(&name);
	buffer_free(&subject);
	return status;
}

/* The keys of one kind: tenant NULL for those of every tenant;
 * address NULL for every address. */
static int
scan_kind(struct ctl *ctl, bool any, const char *tenant, const char *address,
    struct entries *entries)
{
	struct buffer pattern = {0};
	struct scan scan = {entries,
	    any ? REDIS_KEY_SUPPRESSED_ANY : REDIS_KEY_SUPPRESSED, address};
	int status;

	if (any)
		redis_key_append_pattern(&pattern, ctl->redis->prefix,
		    REDIS_KEY_SUPPRESSED_ANY, address, NULL);
	else
		redis_key_append_pattern(&pattern, ctl->redis->prefix,
		    REDIS_KEY_SUPPRESSED, tenant, address);
	status = ctl_scan(ctl, buffer_text(&pattern), each_key, &scan);
	buffer_free(&pattern);
	return status;
}

static int
compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int order = strcmp(x->address, y->address);

	if (order != 0)
		return order;
	if (x->tenant == NULL || y->tenant == NULL)
		return (x->tenant != NULL) - (y->tenant != NULL);
	return strcmp(x->tenant, y->tenant);
}

static json_t *
entry_json(const struct entry *entry)
{
	json_t *object = json_object();
	char since[24];

	ctl_format_time(entry->since, since, sizeof(since));
	json_object_set_new(object, "address", json_string(entry->address));
	json_object_set_new(object, "tenant",
	    entry->tenant != NULL ? json_string(entry->tenant) : json_null());
	json_object_set_new(object, "since",
	    entry->since > 0 ? json_string(since) : json_null());
	json_object_set_new(object, "reason", json_string(entry->reason));
	json_object_set_new(object, "remaining",
	    entry->remaining_ms >= 0
	        ? json_integer((entry->remaining_ms + 999) / 1000)
	        : json_null());
	return object;
}

static void
show(const struct ctl *ctl, const struct entries *entries)
{
	static const char *const headers[] = {
	    "ADDRESS", "TENANT", "SINCE", "REMAINING", "REASON"};
	struct ctl_list *list = ctl_list_new(ctl, 5, headers);

	for (size_t i = 0; i < entries->count; i++) {
		const struct entry *entry = &entries->items[i];
		char since[24] = "-", remaining[32] = "until removed";
		const char *cells[] = {entry->address,
		    entry->tenant != NULL ? entry->tenant : "*", since,
		    remaining, entry->reason};

		if (entry->since > 0)
			ctl_format_time(entry->since, since, sizeof(since));
		if (entry->remaining_ms >= 0)
			ctl_format_remaining(
			    entry->remaining_ms, remaining, sizeof(remaining));
		ctl_list_add(list, entry_json(entry), cells);
	}
	ctl_list_end(list);
}

static void
entries_free(struct entries *entries)
{
	for (size_t i = 0; i < entries->count; i++) {
		free(entries->items[i].address);
		free(entries->items[i].tenant);
		free(entries->items[i].reason);
	}
	free(entries->items);
}

int
ctl_suppression_list(struct ctl *ctl, int argc, char **argv)
{
	struct entries entries = {NULL, 0};
	char tenant[IDENTITY_USER_MAX + 1], error[CTL_ERROR_MAX];
	int status;

	if (argc > 1)
		return ctl_fail(
		    EX_USAGE, "usage: waypostctl suppression list [TENANT]");
	if (argc == 1 && !ctl_parse_user(argv[0], tenant, sizeof(tenant), error,
	                     sizeof(error)))
		return ctl_fail(EX_DATAERR, "suppression list: %s", error);
	status = ctl_connect(ctl);
	if (status == EX_OK)
		status = scan_kind(
		    ctl, false, argc == 1 ? tenant : NULL, NULL, &entries);
	if (status == EX_OK)
		status = scan_kind(ctl, true, NULL, NULL, &entries);
	if (status == EX_OK) {
		if (entries.count > 0)
			qsort(entries.items, entries.count,
			    sizeof(*entries.items), compare_entries);
		show(ctl, &entries);
	}
	entries_free(&entries);
	return status;
}

static void
show_why(
    const struct ctl *ctl, const char *address, const struct entries *entries)
{
	json_t *object = json_object(), *list = json_array();
	struct buffer human = {0};

	for (size_t i = 0; i < entries->count; i++) {
		const struct entry *entry = &entries->items[i];
		char since[40] = "", remaining[40] = "until removed";

		json_array_append_new(list, entry_json(entry));
		if (entry->since > 0) {
			char when[24];

			ctl_format_time(entry->since, when, sizeof(when));
			snprintf(since, sizeof(since), " since %s", when);
		}
		if (entry->remaining_ms >= 0) {
			char left[32];

			ctl_format_remaining(
			    entry->remaining_ms, left, sizeof(left));
			snprintf(remaining, sizeof(remaining), "%s left", left);
		}
		buffer_printf(&human, "%s%s suppressed for %s%s%s (%s): %s",
		    i > 0 ? "\n" : "", address,
		    entry->tenant != NULL ? "tenant " : "every tenant",
		    entry->tenant != NULL ? entry->tenant : "", since,
		    remaining, entry->reason);
	}
	if (entries->count == 0)
		buffer_printf(&human, "%s is not suppressed", address);
	json_object_set_new(object, "address", json_string(address));
	json_object_set_new(
	    object, "suppressed", json_boolean(entries->count > 0));
	json_object_set_new(object, "suppressions", list);
	ctl_result(ctl, object, buffer_text(&human));
	buffer_free(&human);
}

int
ctl_suppression_why(struct ctl *ctl, int argc, char **argv)
{
	struct entries entries = {NULL, 0};
	char address[IDENTITY_ADDRESS_MAX + 1], tenant[IDENTITY_USER_MAX + 1];
	char error[CTL_ERROR_MAX];
	bool tenant_given = argc == 3;
	int status;

	if ((argc != 1 && argc != 3) ||
	    (tenant_given && strcmp(argv[1], "--tenant") != 0))
		return ctl_fail(EX_USAGE, "usage: waypostctl suppression why "
		                          "ADDRESS [--tenant TENANT]");
	if (!ctl_parse_address(
	        argv[0], address, sizeof(address), error, sizeof(error)) ||
	    (tenant_given && !ctl_parse_user(argv[2], tenant, sizeof(tenant),
	                         error, sizeof(error))))
		return ctl_fail(EX_DATAERR, "suppression why: %s", error);
	status = ctl_connect(ctl);
	if (status == EX_OK)
		status = scan_kind(ctl, false, tenant_given ? tenant : NULL,
		    address, &entries);
	if (status == EX_OK)
		status = scan_kind(ctl, true, NULL, address, &entries);
	if (status == EX_OK) {
		if (entries.count > 0)
			qsort(entries.items, entries.count,
			    sizeof(*entries.items), compare_entries);
		show_why(ctl, address, &entries);
	}
	entries_free(&entries);
	return status;
}
