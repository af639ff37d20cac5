/*
 * NAME
 *	ctl_webhook - waypostctl webhook set and remove: a tenant's
 *	webhook in Redis, as waypost-hookd reads it without a reload
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_webhook(ctl, argc, argv)
 * DESCRIPTION
 *	waypost-hookd polls the set "webhooks" (the tenants that have a
 *	webhook in Redis) and each one's hash "webhook:TENANT" (the keys
 *	of a [webhook] section: hook/hook_tenants.c).
 *
 *	webhook set TENANT url=URL [secret=S | secret_file=F] [KEY=VALUE
 *	...] replaces the tenant's hash with these keys and adds it to the
 *	set; secret_file is read here (lines, "#" comments) and its
 *	secrets stored as secret, since hookd takes no path from Redis.
 *	Before anything is written the hash is checked by the code hookd
 *	runs (hook/hook_tenant_section.c: the [webhook] schema, the URL,
 *	the secrets decoded), so what hookd would refuse is refused here
 *	(EX_DATAERR). webhook remove TENANT takes it out of the set and
 *	deletes the hash. Each is one transaction, set and hash and audit
 *	entry together; a remove of what is not there writes nothing.
 *
 *	The dispatch of webhook list and attempts is here too
 *	(ctl_webhook_list.c, ctl_webhook_attempts.c).
 * SECURITY
 *	The secret is never printed, nor written to the audit stream: the
 *	entries show "secret=set". A secret_file others may read is
 *	refused, as hookd refuses it.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "file_read.h"
#include "hook_secret.h"
#include "hook_tenant_section.h"

#define SETTINGS_MAX (HOOK_TENANT_FIELDS_MAX + 1)

struct webhook {
	char tenant[HOOK_TENANT_NAME_MAX + 1];
	struct hook_tenant_field fields[SETTINGS_MAX];
	size_t count;
	char secret[HOOK_TENANT_VALUE_MAX + 2]; /* from secret_file */
	bool was;
	struct buffer before, after;
	struct buffer key, set_key;
};

/* A hash as the audit entry shows it: sorted "KEY=VALUE, ..." with the
 * secret as "secret=set". */
static void
describe(
    const struct hook_tenant_field *fields, size_t count, struct buffer *out)
{
	const struct hook_tenant_field *sorted[SETTINGS_MAX];

	for (size_t i = 0; i < count; i++) {
		size_t at = i;

		while (at > 0 && strncmp(sorted[at - 1]->name, fields[i].name,
		                     fields[i].name_length + 1) > 0) {
			sorted[at] = sorted[at - 1];
			at--;
		}
		sorted[at] = &fields[i];
	}
	buffer_reset(out);
	buffer_append_text(out, "");
	for (size_t i = 0; i < count; i++) {
		bool secret = sorted[i]->name_length == 6 &&
		              memcmp(sorted[i]->name, "secret", 6) == 0;

		buffer_printf(out, "%s%.*s=%.*s", i > 0 ? ", " : "",
		    (int)sorted[i]->name_length, sorted[i]->name,
		    secret ? 3 : (int)sorted[i]->value_length,
		    secret ? "set" : sorted[i]->value);
	}
}

static int
read_before(struct ctl *ctl, struct webhook *webhook)
{
	struct hook_tenant_field fields[SETTINGS_MAX];
	redisReply *hash, *member;
	int status = ctl_watch(ctl, buffer_text(&webhook->set_key), "set");

	if (status == EX_OK)
		status = ctl_command(ctl, &hash, 2,
		    (const char *[]){"HGETALL", buffer_text(&webhook->key)},
		    NULL);
	if (status != EX_OK)
		return status;
	status = ctl_command(ctl, &member, 3,
	    (const char *[]){
	        "SISMEMBER", buffer_text(&webhook->set_key), webhook->tenant},
	    NULL);
	if (status == EX_OK) {
		size_t count = ctl_webhook_fields(hash, fields);

		webhook->was =
		    count > 0 || (member->type == REDIS_REPLY_INTEGER &&
		                     member->integer == 1);
		describe(fields, count, &webhook->before);
		freeReplyObject(member);
	}
	freeReplyObject(hash);
	return status;
}

static int
prepare_set(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct webhook *webhook = context;
	int status = read_before(ctl, webhook);

	describe(webhook->fields, webhook->count, &webhook->after);
	change->command = "webhook set";
	change->subject = webhook->tenant;
	change->before = buffer_text(&webhook->before);
	change->after = buffer_text(&webhook->after);
	return status;
}

static void
writes_set(struct ctl *ctl, void *context)
{
	struct webhook *webhook = context;
	const char *words[2 + 2 * SETTINGS_MAX];
	size_t lengths[2 + 2 * SETTINGS_MAX];
	int count = 2;

	ctl_append(
	    ctl, 2, (const char *[]){"DEL", buffer_text(&webhook->key)}, NULL);
	words[0] = "HSET";
	lengths[0] = 4;
	words[1] = buffer_text(&webhook->key);
	lengths[1] = webhook->key.length;
	for (size_t i = 0; i < webhook->count; i++) {
		words[count] = webhook->fields[i].name;
		lengths[count++] = webhook->fields[i].name_length;
		words[count] = webhook->fields[i].value;
		lengths[count++] = webhook->fields[i].value_length;
	}
	ctl_append(ctl, count, words, lengths);
	ctl_append(ctl, 3,
	    (const char *[]){
	        "SADD", buffer_text(&webhook->set_key), webhook->tenant},
	    NULL);
}

static int
prepare_remove(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct webhook *webhook = context;
	int status = read_before(ctl, webhook);

	if (status == EX_OK && !webhook->was)
		return ctl_unchanged(ctl);
	change->command = "webhook remove";
	change->subject = webhook->tenant;
	change->before = buffer_text(&webhook->before);
	change->after = "";
	return status;
}

static void
writes_remove(struct ctl *ctl, void *context)
{
	struct webhook *webhook = context;

	ctl_append(ctl, 3,
	    (const char *[]){
	        "SREM", buffer_text(&webhook->set_key), webhook->tenant},
	    NULL);
	ctl_append(
	    ctl, 2, (const char *[]){"DEL", buffer_text(&webhook->key)}, NULL);
}

/* The tenant, in lower case as hookd reads the set. */
static int
parse_tenant(const char *verb, const char *text, struct webhook *webhook)
{
	size_t length = strlen(text);

	if (!hook_tenant_name_valid(text, length))
		return ctl_fail(EX_DATAERR,
		    "webhook %s: \"%.100s\" is not a tenant (1 to %d bytes, no "
		    "white space, commas or quotes)",
		    verb, text, HOOK_TENANT_NAME_MAX);
	for (size_t i = 0; i <= length; i++)
		webhook->tenant[i] = (char)tolower((unsigned char)text[i]);
	return EX_OK;
}

/* secret_file: its secrets, one a line, as one "secret" value. */
static int
read_secret_file(const char *path, struct webhook *webhook)
{
	char error[CTL_ERROR_MAX];
	struct stat st;
	size_t size, used = 0;
	char *text = file_read(
	    path, HOOK_SECRET_FILE_MAX, &size, &st, error, sizeof(error));

	if (text == NULL)
		return ctl_fail(EX_NOINPUT, "webhook set: %s", error);
	if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
		free(text);
		return ctl_fail(EX_DATAERR,
		    "webhook set: secret_file %.200s: others may read it "
		    "(chmod o-rw)",
		    path);
	}
	for (char *line = strtok(text, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		size_t length;

		line += strspn(line, " \t");
		length = strcspn(line, " \t\r");
		if (length == 0 || line[0] == '#')
			continue;
		if (used + length + 2 >= sizeof(webhook->secret)) {
			free(text);
			return ctl_fail(EX_DATAERR,
			    "webhook set: secret_file %.200s: too long", path);
		}
		used += (size_t)snprintf(webhook->secret + used,
		    sizeof(webhook->secret) - used, "%s%.*s",
		    used > 0 ? ", " : "", (int)length, line);
	}
	free(text);
	return EX_OK;
}

static int
parse_settings(int argc, char **argv, struct webhook *webhook)
{
	char why[CONFIG_ERROR_TEXT_MAX];

	if (argc > (int)SETTINGS_MAX)
		return ctl_fail(EX_USAGE, "webhook set: more than %d settings",
		    (int)SETTINGS_MAX);
	for (int i = 0; i < argc; i++) {
		char *equal = strchr(argv[i], '=');
		struct hook_tenant_field *field =
		    &webhook->fields[webhook->count];

		if (equal == NULL || equal == argv[i])
			return ctl_fail(EX_USAGE,
			    "webhook set: \"%.100s\" is not KEY=VALUE",
			    argv[i]);
		*field = (struct hook_tenant_field){argv[i],
		    (size_t)(equal - argv[i]), equal + 1, strlen(equal + 1)};
		if (field->name_length == 11 &&
		    memcmp(argv[i], "secret_file", 11) == 0) {
			int status = read_secret_file(equal + 1, webhook);

			if (status != EX_OK)
				return status;
			*field = (struct hook_tenant_field){"secret", 6,
			    webhook->secret, strlen(webhook->secret)};
		}
		for (size_t k = 0; k < webhook->count; k++)
			if (webhook->fields[k].name_length ==
			        field->name_length &&
			    memcmp(webhook->fields[k].name, field->name,
			        field->name_length) == 0)
				return ctl_fail(EX_USAGE,
				    "webhook set: %.*s given twice (or secret "
				    "and secret_file)",
				    (int)field->name_length, field->name);
		webhook->count++;
	}
	if (!hook_tenant_check(webhook->tenant, webhook->fields, webhook->count,
	        why, sizeof(why)))
		return ctl_fail(EX_DATAERR,
		    "webhook set: waypost-hookd would refuse it: %s", why);
	return EX_OK;
}

static int
run(struct ctl *ctl, struct webhook *webhook, ctl_prepare prepare,
    ctl_writes writes)
{
	int status = ctl_connect(ctl);

	ctl_key(ctl, &webhook->key, REDIS_KEY_WEBHOOK, webhook->tenant);
	ctl_key(ctl, &webhook->set_key, REDIS_KEY_WEBHOOKS, "");
	if (status == EX_OK)
		status = ctl_change_run(ctl, buffer_text(&webhook->key), "hash",
		    prepare, writes, webhook);
	return status;
}

static int
set(struct ctl *ctl, int argc, char **argv, struct webhook *webhook)
{
	struct buffer human = {0};
	json_t *object;
	int status;

	if (argc < 2)
		return ctl_fail(EX_USAGE,
		    "usage: waypostctl webhook set TENANT url=URL "
		    "[secret=S|secret_file=F] [KEY=VALUE...]");
	if ((status = parse_tenant("set", argv[0], webhook)) != EX_OK ||
	    (status = parse_settings(argc - 1, argv + 1, webhook)) != EX_OK)
		return status;
	if ((status = run(ctl, webhook, prepare_set, writes_set)) != EX_OK)
		return status;
	object = json_object();
	json_object_set_new(object, "tenant", json_string(webhook->tenant));
	json_object_set_new(
	    object, "settings", json_string(buffer_text(&webhook->after)));
	json_object_set_new(object, "replaced",
	    webhook->was ? json_string(buffer_text(&webhook->before))
	                 : json_null());
	buffer_printf(&human, "webhook of tenant %s set: %s", webhook->tenant,
	    buffer_text(&webhook->after));
	ctl_result(ctl, object, buffer_text(&human));
	buffer_free(&human);
	return EX_OK;
}

static int
remove_one(struct ctl *ctl, int argc, char **argv, struct webhook *webhook)
{
	struct buffer human = {0};
	json_t *object;
	int status;

	if (argc != 1)
		return ctl_fail(
		    EX_USAGE, "usage: waypostctl webhook remove TENANT");
	if ((status = parse_tenant("remove", argv[0], webhook)) != EX_OK)
		return status;
	if ((status = run(ctl, webhook, prepare_remove, writes_remove)) !=
	    EX_OK)
		return status;
	object = json_object();
	json_object_set_new(object, "tenant", json_string(webhook->tenant));
	json_object_set_new(object, "removed", json_boolean(webhook->was));
	json_object_set_new(object, "was",
	    webhook->was ? json_string(buffer_text(&webhook->before))
	                 : json_null());
	if (webhook->was)
		buffer_printf(&human, "webhook of tenant %s removed (was: %s)",
		    webhook->tenant, buffer_text(&webhook->before));
	else
		buffer_printf(&human, "tenant %s has no webhook in Redis",
		    webhook->tenant);
	ctl_result(ctl, object, buffer_text(&human));
	buffer_free(&human);
	return EX_OK;
}

int
ctl_webhook(struct ctl *ctl, int argc, char **argv)
{
	struct webhook *webhook;
	int status;

	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return ctl_webhook_list(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "attempts") == 0)
		return ctl_webhook_attempts(ctl, argc - 1, argv + 1);
	if (argc < 1 ||
	    (strcmp(argv[0], "set") != 0 && strcmp(argv[0], "remove") != 0))
		return ctl_fail(EX_USAGE,
		    "usage: waypostctl webhook list | set TENANT url=URL "
		    "[KEY=VALUE...] | remove TENANT | attempts "
		    "QUEUEID.FIRSTSEEN");
	webhook = calloc(1, sizeof(*webhook));
	if (webhook == NULL)
		return ctl_fail(EX_OSERR, "out of memory");
	if (strcmp(argv[0], "set") == 0)
		status = set(ctl, argc - 1, argv + 1, webhook);
	else
		status = remove_one(ctl, argc - 1, argv + 1, webhook);
	buffer_free(&webhook->before);
	buffer_free(&webhook->after);
	buffer_free(&webhook->key);
	buffer_free(&webhook->set_key);
	free(webhook);
	return status;
}
