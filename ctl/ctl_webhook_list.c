/*
 * NAME
 *	ctl_webhook_list - waypostctl webhook list: the webhooks set in
 *	Redis, and whether waypost-hookd takes them
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_webhook_list(ctl, argc, argv)
 *	size_t ctl_webhook_fields(hash, fields)
 * DESCRIPTION
 *	Reads the set "webhooks" and each tenant's hash "webhook:TENANT"
 *	(lib/redis_keys.c), and lists them sorted by tenant: the URL, the
 *	events, "secret: set" or "none", and whether waypost-hookd takes
 *	the hash, checked by the code hookd runs (hook_tenant_section.c):
 *	"ok" or "refused: WHY". --json: one object per tenant, tenant, url,
 *	settings (every field but the URL and the secret), secret ("set"
 *	or null), valid and error.
 *
 *	ctl_webhook_fields() takes a hash as HGETALL answers it into
 *	fields (at most HOOK_TENANT_FIELDS_MAX + 1, so one too many is
 *	seen); the count, or 0 when it is no hash.
 * SECURITY
 *	The secret is never printed, nor is the reason a secret was
 *	refused beyond what hook_secret.c says (which never quotes it).
 *	At most HOOK_TENANTS_MAX tenants, as hookd.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hook_tenant_section.h"
#include "xmalloc.h"

size_t
ctl_webhook_fields(const redisReply *hash, struct hook_tenant_field *fields)
{
	size_t count = 0;

	if (hash->type != REDIS_REPLY_ARRAY || hash->elements % 2 != 0)
		return 0;
	for (size_t i = 0;
	     i + 1 < hash->elements && count <= HOOK_TENANT_FIELDS_MAX;
	     i += 2) {
		const redisReply *name = hash->element[i];
		const redisReply *value = hash->element[i + 1];

		if (name->type != REDIS_REPLY_STRING ||
		    value->type != REDIS_REPLY_STRING)
			return 0;
		fields[count++] = (struct hook_tenant_field){
		    name->str, name->len, value->str, value->len};
	}
	return count;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_row(struct ctl_list *list, const char *tenant, const redisReply *hash)
{
	struct hook_tenant_field fields[HOOK_TENANT_FIELDS_MAX + 1];
	size_t count = ctl_webhook_fields(hash, fields);
	json_t *object = json_object(), *settings = json_object();
	char why[CONFIG_ERROR_TEXT_MAX] = "", state[CONFIG_ERROR_TEXT_MAX + 16];
	struct buffer url = {0}, events = {0};
	bool secret = false, valid;
	const char *cells[5];

	valid = hook_tenant_check(tenant, fields, count, why, sizeof(why));
	for (size_t i = 0; i < count; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)fields[i].name_length,
		    fields[i].name);
		if (strcmp(name, "secret") == 0)
			secret = true;
		else if (strcmp(name, "url") == 0)
			buffer_append(
			    &url, fields[i].value, fields[i].value_length);
		else {
			if (strcmp(name, "events") == 0)
				buffer_append(&events, fields[i].value,
				    fields[i].value_length);
			json_object_set_new(settings, name,
			    json_stringn(
			        fields[i].value, fields[i].value_length));
		}
	}
	snprintf(state, sizeof(state), "%s%s",
	    valid ? "ok" : "refused: ", valid ? "" : why);
	json_object_set_new(object, "tenant", json_string(tenant));
	json_object_set_new(object, "url",
	    url.data != NULL ? json_string(buffer_text(&url)) : json_null());
	json_object_set_new(object, "settings", settings);
	json_object_set_new(
	    object, "secret", secret ? json_string("set") : json_null());
	json_object_set_new(object, "valid", json_boolean(valid));
	json_object_set_new(
	    object, "error", valid ? json_null() : json_string(why));
	cells[0] = tenant;
	cells[1] = url.data != NULL ? buffer_text(&url) : "-";
	cells[2] = events.data != NULL ? buffer_text(&events) : "*";
	cells[3] = secret ? "secret: set" : "secret: none";
	cells[4] = state;
	ctl_list_add(list, object, cells);
	buffer_free(&url);
	buffer_free(&events);
}

int
ctl_webhook_list(struct ctl *ctl, int argc, char **argv)
{
	static const char *const headers[] = {
	    "TENANT", "URL", "EVENTS", "SECRET", "STATE"};
	struct buffer key = {0};
	redisReply *members;
	struct ctl_list *list;
	char **names;
	size_t count = 0;
	int status;

	(void)argv;
	if (argc != 0)
		return ctl_fail(EX_USAGE, "usage: waypostctl webhook list");
	if ((status = ctl_connect(ctl)) != EX_OK)
		return status;
	ctl_key(ctl, &key, REDIS_KEY_WEBHOOKS, "");
	status = ctl_command(ctl, &members, 2,
	    (const char *[]){"SMEMBERS", buffer_text(&key)}, NULL);
	if (status != EX_OK) {
		buffer_free(&key);
		return status;
	}
	names = xcalloc(members->elements + 1, sizeof(*names));
	for (size_t i = 0; members->type == REDIS_REPLY_ARRAY &&
	                   i < members->elements && count < HOOK_TENANTS_MAX;
	     i++)
		if (members->element[i]->type == REDIS_REPLY_STRING &&
		    hook_tenant_name_valid(
		        members->element[i]->str, members->element[i]->len))
			names[count++] = members->element[i]->str;
	qsort(names, count, sizeof(*names), compare_names);
	list = ctl_list_new(ctl, 5, headers);
	for (size_t i = 0; status == EX_OK && i < count; i++) {
		redisReply *hash;

		ctl_key(ctl, &key, REDIS_KEY_WEBHOOK, names[i]);
		status = ctl_command(ctl, &hash, 2,
		    (const char *[]){"HGETALL", buffer_text(&key)}, NULL);
		if (status == EX_OK)
			add_row(list, names[i], hash);
		freeReplyObject(hash);
	}
	ctl_list_end(list);
	free(names);
	freeReplyObject(members);
	buffer_free(&key);
	return status;
}
