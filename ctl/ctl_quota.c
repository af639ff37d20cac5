/*
 * NAME
 *	ctl_quota - waypostctl quota show, and the limits that count a
 *	subject
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_quota(ctl, argc, argv)
 *	int ctl_quota_find(ctl, subject, limit, quota)
 *	int ctl_quota_usage(ctl, limit, usage)
 *	void ctl_quota_free(quota)
 * DESCRIPTION
 *	The limits are waypost-policyd's [limit "NAME"] sections, read
 *	from waypost.conf with its own code (ctl_policy_load()). Each
 *	counts a subject in the hash "limit:NAME:SUBJECT" (buckets of a
 *	sliding window) and takes its maximum from the field NAME of the
 *	hash "override:SUBJECT" when an operator set one.
 *
 *	ctl_quota_find() gives the limits that count subject, as an
 *	operator writes it (the parts of a combined subject joined with
 *	"|", as the daemon's log lines show it): those whose subject it
 *	fits (policy/limit_subject.c: limit_subject_parse(), which also
 *	names it as the daemon does), or only the one named limit (NULL:
 *	all). EX_DATAERR when no limit counts it, or the named one is
 *	unknown or does not count it; EX_CONFIG when the file does not
 *	load.
 *
 *	ctl_quota_usage() reads where the subject stands in one limit
 *	through the daemon's own script, in a mode that only reads
 *	(policy/limit_usage.c): what it used in the window now, its
 *	maximum after the override, and when one more fits. The override
 *	itself is read with HGET, to show whether there is one.
 *
 *	ctl_quota() is "waypostctl quota show SUBJECT", one row per limit,
 *	and hands set, clear and reset to ctl_quota_change.c.
 * SECURITY
 *	Only reads. The script runs in Redis with the keys of this subject
 *	and limit only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "ctl.h"
#include "ctl_config.h"
#include "decide_script.h"
#include "limit_subject.h"
#include "limit_usage.h"
#include "script_call.h"
#include "xmalloc.h"

static const char *const count_names[] = {"messages", "recipients", "bytes"};

void
ctl_quota_free(struct ctl_quota *quota)
{
	for (size_t i = 0; i < quota->count; i++) {
		buffer_free(&quota->limits[i].subject);
		buffer_free(&quota->limits[i].counter);
		buffer_free(&quota->limits[i].override);
	}
	free(quota->limits);
	if (quota->config != NULL)
		config_free(&policy_schema, quota->config);
	memset(quota, 0, sizeof(*quota));
}

/* The subjects of the configured limits, for an error message. */
static void
subjects_known(const struct policy_config *config, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < config->limits.count && used < size; i++) {
		const struct limit_section *limit = config->limits.items[i];

		used += (size_t)snprintf(out + used, size - used, "%s%s (%s)",
		    i > 0 ? ", " : "", limit->name, limit->subject);
	}
}

static int
not_counted(const struct ctl_quota *quota, const char *subject,
    const char *name, bool named)
{
	char known[CTL_ERROR_MAX];

	if (quota->config->limits.count == 0)
		return ctl_fail(
		    EX_DATAERR, "quota: waypost.conf has no [limit] section");
	if (name != NULL && !named) {
		subjects_known(quota->config, known, sizeof(known));
		return ctl_fail(EX_DATAERR,
		    "quota: unknown limit \"%.100s\" (limits: %s)", name,
		    known);
	}
	subjects_known(quota->config, known, sizeof(known));
	if (name != NULL)
		return ctl_fail(EX_DATAERR,
		    "quota: limit %s does not count \"%.200s\" (limits: %s)",
		    name, subject, known);
	return ctl_fail(EX_DATAERR,
	    "quota: no limit counts \"%.200s\" (limits: %s)", subject, known);
}

int
ctl_quota_find(struct ctl *ctl, const char *subject, const char *name,
    struct ctl_quota *quota)
{
	bool named = false;
	int status;

	memset(quota, 0, sizeof(*quota));
	if ((status = ctl_policy_load(ctl->config_path, &quota->config)) !=
	    EX_OK)
		return status;
	quota->limits =
	    xcalloc(quota->config->limits.count + 1, sizeof(*quota->limits));
	for (size_t i = 0; i < quota->config->limits.count; i++) {
		const struct limit_section *limit =
		    quota->config->limits.items[i];
		struct ctl_quota_limit *one = &quota->limits[quota->count];

		if (name != NULL && strcmp(limit->name, name) != 0)
			continue;
		named = true;
		if (!limit_subject_parse(
		        limit, &quota->config->policy, subject, &one->subject))
			continue;
		one->limit = limit;
		ctl_key_pair(ctl, &one->counter, REDIS_KEY_LIMIT, limit->name,
		    buffer_text(&one->subject));
		ctl_key(ctl, &one->override, REDIS_KEY_OVERRIDE,
		    buffer_text(&one->subject));
		quota->count++;
	}
	buffer_free(&quota->limits[quota->count].subject);
	if (quota->count == 0)
		return not_counted(quota, subject, name, named);
	return EX_OK;
}

/* One call of the script in its reading mode (limit_usage.c). */
static int
probe(struct ctl *ctl, const struct ctl_quota_limit *one,
    unsigned long long amount, struct script_answer *answer)
{
	struct script_words words = {0};
	const char **argv;
	size_t *lengths, at = 0;
	redisReply *reply;
	int status;

	limit_usage_words(one->limit, buffer_text(&one->subject), amount,
	    ctl->redis->prefix, &words);
	argv = xcalloc(words.count + 2, sizeof(*argv));
	lengths = xcalloc(words.count + 2, sizeof(*lengths));
	argv[0] = "EVAL";
	lengths[0] = 4;
	argv[1] = decide_script;
	lengths[1] = strlen(decide_script);
	for (size_t i = 0; i < words.count; i++) {
		argv[i + 2] = words.text.data + at;
		lengths[i + 2] = words.lengths[i];
		at += words.lengths[i];
	}
	status = ctl_command(ctl, &reply, (int)words.count + 2, argv, lengths);
	if (status == EX_OK) {
		script_answer_read(reply, NULL, 1, answer);
		freeReplyObject(reply);
	}
	free(argv);
	free(lengths);
	script_words_free(&words);
	return status;
}

/* The override there is, if any, as the script takes it: a number of 0
 * or more. */
static int
read_override(
    struct ctl *ctl, const struct ctl_quota_limit *one, struct ctl_usage *usage)
{
	redisReply *reply;
	char *end;
	int status = ctl_command(ctl, &reply, 3,
	    (const char *[]){
	        "HGET", buffer_text(&one->override), one->limit->name},
	    NULL);

	if (status != EX_OK)
		return status;
	if (reply->type == REDIS_REPLY_STRING) {
		usage->override = strtoll(reply->str, &end, 10);
		usage->overridden = end != reply->str && usage->override >= 0;
	}
	freeReplyObject(reply);
	return EX_OK;
}

int
ctl_quota_usage(
    struct ctl *ctl, const struct ctl_quota_limit *one, struct ctl_usage *usage)
{
	struct script_answer answer;
	int status;

	memset(usage, 0, sizeof(*usage));
	if ((status = read_override(ctl, one, usage)) != EX_OK ||
	    (status = probe(ctl, one, LIMIT_USAGE_ALL, &answer)) != EX_OK)
		return status;
	if (answer.outcome != SCRIPT_LIMIT_REACHED)
		return ctl_fail(EX_DATAERR,
		    "quota: limit %s of %.200s: the script answered %s",
		    one->limit->name, buffer_text(&one->subject),
		    answer.outcome == SCRIPT_PASSED ? "no count (an override "
		                                      "beyond 10^18?)"
		                                    : answer.reason);
	usage->used = answer.count;
	usage->max = answer.max;
	if (usage->used + 1 <= usage->max)
		return EX_OK;
	if ((status = probe(ctl, one, 1, &answer)) != EX_OK)
		return status;
	usage->frees_in =
	    answer.outcome == SCRIPT_LIMIT_REACHED ? answer.seconds : 0;
	return EX_OK;
}

static void
show_row(struct ctl_list *list, const struct ctl_quota_limit *one,
    const struct ctl_usage *usage)
{
	char used[CTL_NUMBER_MAX], max[CTL_NUMBER_MAX * 3];
	char window[CTL_NUMBER_MAX], frees[CTL_NUMBER_MAX + 4] = "now";
	const char *cells[7];
	json_t *object = json_object();

	snprintf(used, sizeof(used), "%lld", usage->used);
	if (usage->overridden)
		snprintf(max, sizeof(max), "%lld (override; configured %lld)",
		    usage->max, one->limit->max);
	else
		snprintf(max, sizeof(max), "%lld", usage->max);
	config_format_duration(one->limit->window, window, sizeof(window));
	if (usage->frees_in > 0) {
		char remaining[CTL_NUMBER_MAX];

		ctl_format_remaining(
		    usage->frees_in * 1000, remaining, sizeof(remaining));
		snprintf(frees, sizeof(frees), "in %s", remaining);
	}
	cells[0] = one->limit->name;
	cells[1] = buffer_text(&one->subject);
	cells[2] = count_names[one->limit->count];
	cells[3] = used;
	cells[4] = max;
	cells[5] = window;
	cells[6] = frees;
	json_object_set_new(object, "limit", json_string(cells[0]));
	json_object_set_new(object, "subject", json_string(cells[1]));
	json_object_set_new(object, "count", json_string(cells[2]));
	json_object_set_new(object, "used", json_integer(usage->used));
	json_object_set_new(object, "max", json_integer(usage->max));
	json_object_set_new(
	    object, "configured_max", json_integer(one->limit->max));
	json_object_set_new(object, "override",
	    usage->overridden ? json_integer(usage->override) : json_null());
	json_object_set_new(
	    object, "window", json_integer(one->limit->window / 1000));
	json_object_set_new(object, "frees_in", json_integer(usage->frees_in));
	ctl_list_add(list, object, cells);
}

static int
show(struct ctl *ctl, const char *subject)
{
	static const char *const headers[] = {
	    "LIMIT", "SUBJECT", "COUNT", "USED", "MAX", "WINDOW", "FREES"};
	struct ctl_quota quota;
	struct ctl_list *list;
	int status = ctl_quota_find(ctl, subject, NULL, &quota);

	if (status == EX_OK)
		status = ctl_connect(ctl);
	if (status != EX_OK) {
		ctl_quota_free(&quota);
		return status;
	}
	list = ctl_list_new(ctl, 7, headers);
	for (size_t i = 0; i < quota.count && status == EX_OK; i++) {
		struct ctl_usage usage;

		status = ctl_quota_usage(ctl, &quota.limits[i], &usage);
		if (status == EX_OK)
			show_row(list, &quota.limits[i], &usage);
	}
	ctl_list_end(list);
	ctl_quota_free(&quota);
	return status;
}

static int
usage_error(void)
{
	return ctl_fail(EX_USAGE,
	    "usage: waypostctl quota show SUBJECT | set SUBJECT LIMIT MAX | "
	    "clear SUBJECT [LIMIT] | reset SUBJECT [LIMIT]");
}

int
ctl_quota(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return show(ctl, argv[1]);
	if (argc >= 2 &&
	    (strcmp(argv[0], "set") == 0 || strcmp(argv[0], "clear") == 0 ||
	        strcmp(argv[0], "reset") == 0))
		return ctl_quota_change(ctl, argc, argv);
	return usage_error();
}
