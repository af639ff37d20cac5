/*
 * NAME
 *	ctl_senders - waypostctl senders grant|revoke|list: who may send as
 *	what
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_senders(ctl, argc, argv)
 * DESCRIPTION
 *	The set "senders:USER" that waypost-policyd's sender ownership
 *	check and waypost-headers read (lib/sender_identity.c): grant adds
 *	addresses and @DOMAINs to it, revoke removes them, list shows it,
 *	sorted. The user and the grants are written in lower case and a
 *	domain without its final dot, as the daemons compare them. A grant
 *	or a revoke is one transaction with its audit entry (ctl_redis.c),
 *	whose before and after are the whole set, sorted, space separated.
 * SECURITY
 *	At most CTL_GRANTS_MAX grants in one command; each is checked
 *	(ctl_args.c) before Redis is asked anything.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

struct senders_change {
	bool grant; /* else revoke */
	char user[IDENTITY_USER_MAX + 1];
	char grants[CTL_GRANTS_MAX][IDENTITY_ADDRESS_MAX + 1];
	int count;
	struct buffer key;
	char **members; /* the set after the change, sorted */
	size_t member_count;
	struct buffer before, after;
};

static int
compare_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_members(struct senders_change *change)
{
	for (size_t i = 0; i < change->member_count; i++)
		free(change->members[i]);
	free(change->members);
	change->members = NULL;
	change->member_count = 0;
}

/* The set's members, sorted, into change->members. */
static int
read_members(struct ctl *ctl, struct senders_change *change)
{
	redisReply *reply;
	int status = ctl_command(ctl, &reply, 2,
	    (const char *[]){"SMEMBERS", buffer_text(&change->key)}, NULL);

	free_members(change);
	if (status != EX_OK)
		return status;
	change->members = xcalloc(
	    reply->elements + CTL_GRANTS_MAX + 1, sizeof(*change->members));
	for (size_t i = 0; i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			change->members[change->member_count++] =
			    xstrdup(reply->element[i]->str);
	freeReplyObject(reply);
	qsort(change->members, change->member_count, sizeof(char *),
	    compare_text);
	return EX_OK;
}

static void
join_members(const struct senders_change *change, struct buffer *out)
{
	buffer_reset(out);
	buffer_append_text(out, "");
	for (size_t i = 0; i < change->member_count; i++)
		buffer_printf(out, "%s%s", i ? " " : "", change->members[i]);
}

static ssize_t
member_index(const struct senders_change *change, const char *member)
{
	for (size_t i = 0; i < change->member_count; i++)
		if (strcmp(change->members[i], member) == 0)
			return (ssize_t)i;
	return -1;
}

static void
apply(struct senders_change *change)
{
	for (int i = 0; i < change->count; i++) {
		ssize_t at = member_index(change, change->grants[i]);

		if (change->grant && at < 0)
			change->members[change->member_count++] =
			    xstrdup(change->grants[i]);
		else if (!change->grant && at >= 0) {
			free(change->members[at]);
			change->members[at] =
			    change->members[--change->member_count];
		}
	}
	qsort(change->members, change->member_count, sizeof(char *),
	    compare_text);
}

static int
prepare(struct ctl *ctl, void *context, struct ctl_change *audit)
{
	struct senders_change *change = context;
	int status = read_members(ctl, change);

	if (status != EX_OK)
		return status;
	join_members(change, &change->before);
	apply(change);
	join_members(change, &change->after);
	audit->command = change->grant ? "senders grant" : "senders revoke";
	audit->subject = change->user;
	audit->before = buffer_text(&change->before);
	audit->after = buffer_text(&change->after);
	return EX_OK;
}

static void
writes(struct ctl *ctl, void *context)
{
	struct senders_change *change = context;
	const char *words[CTL_GRANTS_MAX + 2];

	words[0] = change->grant ? "SADD" : "SREM";
	words[1] = buffer_text(&change->key);
	for (int i = 0; i < change->count; i++)
		words[2 + i] = change->grants[i];
	ctl_append(ctl, 2 + change->count, words, NULL);
}

static void
show_change(const struct ctl *ctl, const struct senders_change *change)
{
	json_t *object = json_object(), *done = json_array(),
	       *members = json_array();

	for (int i = 0; i < change->count; i++)
		json_array_append_new(done, json_string(change->grants[i]));
	for (size_t i = 0; i < change->member_count; i++)
		json_array_append_new(members, json_string(change->members[i]));
	json_object_set_new(object, "user", json_string(change->user));
	json_object_set_new(
	    object, change->grant ? "granted" : "revoked", done);
	json_object_set_new(object, "senders", members);
	char human[CTL_ERROR_MAX * 2];
	snprintf(human, sizeof(human), "%s may send as: %.700s", change->user,
	    change->member_count ? buffer_text(&change->after) : "(nothing)");
	ctl_result(ctl, object, human);
}

static int
change_senders(struct ctl *ctl, bool grant, int argc, char **argv)
{
	struct senders_change *change = xcalloc(1, sizeof(*change));
	char error[CTL_ERROR_MAX];
	int status = EX_OK;

	change->grant = grant;
	if (!ctl_parse_user(argv[0], change->user, sizeof(change->user), error,
	        sizeof(error)))
		status = ctl_fail(EX_DATAERR, "%s", error);
	if (status == EX_OK && argc - 1 > CTL_GRANTS_MAX)
		status = ctl_fail(
		    EX_USAGE, "more than %d grants at once", CTL_GRANTS_MAX);
	for (int i = 1; status == EX_OK && i < argc; i++)
		if (!ctl_parse_grant(argv[i], change->grants[change->count++],
		        IDENTITY_ADDRESS_MAX + 1, error, sizeof(error)))
			status = ctl_fail(EX_DATAERR, "%s", error);
	if (status == EX_OK)
		status = ctl_connect(ctl);
	ctl_key(ctl, &change->key, REDIS_KEY_SENDERS, change->user);
	if (status == EX_OK)
		status = ctl_change_run(ctl, buffer_text(&change->key), "set",
		    prepare, writes, change);
	if (status == EX_OK)
		show_change(ctl, change);
	free_members(change);
	buffer_free(&change->key);
	buffer_free(&change->before);
	buffer_free(&change->after);
	free(change);
	return status;
}

static int
list_senders(struct ctl *ctl, const char *user_text)
{
	static const char *const headers[] = {"USER", "SENDER"};
	struct senders_change *change = xcalloc(1, sizeof(*change));
	char error[CTL_ERROR_MAX];
	int status = EX_OK;

	if (!ctl_parse_user(user_text, change->user, sizeof(change->user),
	        error, sizeof(error)))
		status = ctl_fail(EX_DATAERR, "%s", error);
	if (status == EX_OK)
		status = ctl_connect(ctl);
	ctl_key(ctl, &change->key, REDIS_KEY_SENDERS, change->user);
	if (status == EX_OK)
		status = read_members(ctl, change);
	if (status == EX_OK) {
		struct ctl_list *list = ctl_list_new(ctl, 2, headers);

		for (size_t i = 0; i < change->member_count; i++) {
			const char *cells[] = {
			    change->user, change->members[i]};
			json_t *object = json_object();

			json_object_set_new(
			    object, "user", json_string(change->user));
			json_object_set_new(
			    object, "sender", json_string(change->members[i]));
			ctl_list_add(list, object, cells);
		}
		ctl_list_end(list);
	}
	free_members(change);
	buffer_free(&change->key);
	free(change);
	return status;
}

int
ctl_senders(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[0], "grant") == 0)
		return change_senders(ctl, true, argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[0], "revoke") == 0)
		return change_senders(ctl, false, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[0], "list") == 0)
		return list_senders(ctl, argv[1]);
	return ctl_fail(EX_USAGE,
	    "usage: waypostctl senders grant|revoke USER ADDRESS|@DOMAIN... "
	    "| senders list USER");
}
