/*
 * NAME
 *	ctl_quota_change - waypostctl quota set, clear and reset
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_quota_change(ctl, argc, argv)
 * DESCRIPTION
 *	The keys waypost-policyd reads for each limit of a subject, in the
 *	round trip of every request, so a change holds from the next one
 *	without a reload (ctl_quota.c finds the limits):
 *
 *	.  quota set SUBJECT LIMIT MAX writes MAX into the field LIMIT of
 *	   the hash "override:SUBJECT", the subject's own maximum;
 *	.  quota clear SUBJECT [LIMIT] deletes that field, of the one
 *	   limit or of every limit that counts the subject: the
 *	   configured maximum holds again;
 *	.  quota reset SUBJECT [LIMIT] deletes the counter
 *	   "limit:LIMIT:SUBJECT", of the one limit or of every one, so
 *	   the window starts empty and the subject may send again now.
 *
 *	Each is one transaction with its audit entry (ctl_redis.c), every
 *	key it reads or writes WATCHed, whose before and after are
 *	"LIMIT=MAX" (with " (configured)" when no override sets it) for
 *	set and clear, "LIMIT: N used" for reset. A clear of what has no
 *	override, or a reset of what used nothing, changes nothing and
 *	writes no entry.
 * SECURITY
 *	Every argument, the limit's name and the subject's shape are
 *	checked before Redis is asked; a maximum is 0 to LIMIT_MAX_MAX.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "policy_config.h"
#include "xmalloc.h"

enum verb { VERB_SET, VERB_CLEAR, VERB_RESET };

struct change {
	enum verb verb;
	const char *command; /* as the audit entry names it */
	struct ctl_quota quota;
	long long max;            /* set: the new maximum */
	struct ctl_usage *usages; /* per limit, as read in prepare */
	bool *changes;            /* per limit: written */
	size_t changed;
	struct buffer before, after;
};

static void
describe_max(struct buffer *out, const struct ctl_quota_limit *one,
    bool overridden, long long max)
{
	buffer_printf(out, "%s%s=%lld%s", out->length > 0 ? ", " : "",
	    one->limit->name, overridden ? max : one->limit->max,
	    overridden ? "" : " (configured)");
}

/* What this limit's change is, into before and after; false: none. */
static bool
describe(struct change *change, size_t i)
{
	const struct ctl_quota_limit *one = &change->quota.limits[i];
	const struct ctl_usage *usage = &change->usages[i];

	switch (change->verb) {
	case VERB_SET:
		describe_max(
		    &change->before, one, usage->overridden, usage->override);
		describe_max(&change->after, one, true, change->max);
		return true;
	case VERB_CLEAR:
		if (!usage->overridden)
			return false;
		describe_max(&change->before, one, true, usage->override);
		describe_max(&change->after, one, false, 0);
		return true;
	case VERB_RESET:
		if (usage->used == 0)
			return false;
		buffer_printf(&change->before, "%s%s: %lld used",
		    change->before.length > 0 ? ", " : "", one->limit->name,
		    usage->used);
		buffer_printf(&change->after, "%s%s: 0 used",
		    change->after.length > 0 ? ", " : "", one->limit->name);
		return true;
	}
	return false;
}

static int
prepare(struct ctl *ctl, void *context, struct ctl_change *entry)
{
	struct change *change = context;
	int status = EX_OK;

	buffer_reset(&change->before);
	buffer_reset(&change->after);
	change->changed = 0;
	for (size_t i = 0; i < change->quota.count && status == EX_OK; i++) {
		const struct ctl_quota_limit *one = &change->quota.limits[i];

		status = ctl_watch(ctl, buffer_text(&one->counter), "hash");
		if (status == EX_OK)
			status =
			    ctl_watch(ctl, buffer_text(&one->override), "hash");
		if (status == EX_OK)
			status = ctl_quota_usage(ctl, one, &change->usages[i]);
		if (status == EX_OK) {
			change->changes[i] = describe(change, i);
			change->changed += change->changes[i];
		}
	}
	if (status == EX_OK && change->changed == 0)
		return ctl_unchanged(ctl);
	entry->command = change->command;
	entry->subject = buffer_text(&change->quota.limits[0].subject);
	entry->before = buffer_text(&change->before);
	entry->after = buffer_text(&change->after);
	return status;
}

static void
writes(struct ctl *ctl, void *context)
{
	struct change *change = context;
	char max[CTL_NUMBER_MAX];

	snprintf(max, sizeof(max), "%lld", change->max);
	for (size_t i = 0; i < change->quota.count; i++) {
		const struct ctl_quota_limit *one = &change->quota.limits[i];

		if (!change->changes[i])
			continue;
		if (change->verb == VERB_SET)
			ctl_append(ctl, 4,
			    (const char *[]){"HSET",
			        buffer_text(&one->override), one->limit->name,
			        max},
			    NULL);
		else if (change->verb == VERB_CLEAR)
			ctl_append(ctl, 3,
			    (const char *[]){"HDEL",
			        buffer_text(&one->override), one->limit->name},
			    NULL);
		else
			ctl_append(ctl, 2,
			    (const char *[]){"DEL", buffer_text(&one->counter)},
			    NULL);
	}
}

/* The result: per limit changed, what it was and is. */
static void
report(const struct ctl *ctl, const struct change *change)
{
	const char *subject = buffer_text(&change->quota.limits[0].subject);
	json_t *object = json_object(), *limits = json_array();
	struct buffer human = {0};

	buffer_printf(&human, "%s: ", subject);
	for (size_t i = 0; i < change->quota.count; i++) {
		const struct ctl_quota_limit *one = &change->quota.limits[i];
		const struct ctl_usage *usage = &change->usages[i];
		json_t *row;

		if (!change->changes[i])
			continue;
		row = json_object();
		json_object_set_new(
		    row, "limit", json_string(one->limit->name));
		if (change->verb == VERB_RESET) {
			json_object_set_new(
			    row, "used", json_integer(usage->used));
		} else {
			json_object_set_new(
			    row, "was", json_integer(usage->max));
			json_object_set_new(row, "max",
			    json_integer(change->verb == VERB_SET
			                     ? change->max
			                     : one->limit->max));
		}
		json_array_append_new(limits, row);
	}
	if (change->changed == 0)
		buffer_printf(&human, "%s",
		    change->verb == VERB_CLEAR ? "no override to clear"
		                               : "nothing used, nothing reset");
	else
		buffer_printf(&human, "%s (before: %s)",
		    buffer_text(&change->after), buffer_text(&change->before));
	json_object_set_new(object, "subject", json_string(subject));
	json_object_set_new(object,
	    change->verb == VERB_RESET   ? "reset"
	    : change->verb == VERB_CLEAR ? "cleared"
	                                 : "set",
	    limits);
	ctl_result(ctl, object, buffer_text(&human));
	buffer_free(&human);
}

static int
run(struct ctl *ctl, struct change *change, const char *subject,
    const char *limit)
{
	int status = ctl_quota_find(ctl, subject, limit, &change->quota);

	if (status == EX_OK)
		status = ctl_connect(ctl);
	if (status != EX_OK)
		return status;
	change->usages = xcalloc(change->quota.count, sizeof(*change->usages));
	change->changes =
	    xcalloc(change->quota.count, sizeof(*change->changes));
	status = ctl_change_run(ctl,
	    buffer_text(change->verb == VERB_RESET
	                    ? &change->quota.limits[0].counter
	                    : &change->quota.limits[0].override),
	    "hash", prepare, writes, change);
	if (status == EX_OK)
		report(ctl, change);
	return status;
}

int
ctl_quota_change(struct ctl *ctl, int argc, char **argv)
{
	struct change change = {0};
	char error[CTL_ERROR_MAX];
	int status;

	change.verb = strcmp(argv[0], "set") == 0     ? VERB_SET
	              : strcmp(argv[0], "clear") == 0 ? VERB_CLEAR
	                                              : VERB_RESET;
	if (change.verb == VERB_SET ? argc != 4 : argc > 3)
		return ctl_fail(EX_USAGE,
		    "usage: waypostctl quota %s SUBJECT %s", argv[0],
		    change.verb == VERB_SET ? "LIMIT MAX" : "[LIMIT]");
	if (change.verb == VERB_SET &&
	    !ctl_parse_max(argv[3], &change.max, error, sizeof(error)))
		return ctl_fail(EX_DATAERR, "quota set: %s", error);
	change.command = change.verb == VERB_SET     ? "quota set"
	                 : change.verb == VERB_CLEAR ? "quota clear"
	                                             : "quota reset";
	status = run(ctl, &change, argv[1], argc > 2 ? argv[2] : NULL);
	ctl_quota_free(&change.quota);
	free(change.usages);
	free(change.changes);
	buffer_free(&change.before);
	buffer_free(&change.after);
	return status;
}
