/*
 * NAME
 *	hook_tenant_section - a tenant's webhook hash as a checked [webhook]
 *	section
 * SYNOPSIS
 *	#include "hook_tenant_section.h"
 *
 *	bool hook_tenant_name_valid(name, length)
 *	bool hook_tenant_field_known(name, length)
 *	char *hook_tenant_section(tenant, fields, count, why, why_size)
 *	struct hook_target *hook_tenant_target(tenant, text, why, why_size)
 *	bool hook_tenant_check(tenant, fields, count, why, why_size)
 * DESCRIPTION
 *	What waypost-hookd accepts of the hash "webhook:TENANT"
 *	(hook_tenants.c), in one place, so that waypostctl(8) refuses what
 *	the daemon would refuse by running the same code.
 *
 *	hook_tenant_name_valid() says whether a tenant's name may name
 *	such a webhook; hook_tenant_field_known() whether a field is one
 *	the hash may hold: the keys of a [webhook] section but tenants (the
 *	tenant itself), secret_file and ca_file (no path comes from Redis).
 *
 *	hook_tenant_section() makes the fields into the text of a
 *	[webhook] section, its lines sorted so the same hash makes the
 *	same text; NULL with why when a field is unknown, empty, too long
 *	or holds a control character. hook_tenant_target() loads that text
 *	with the file's schema (hook_config.c) and builds the webhook
 *	(hook_target.c, secrets decoded), named "tenant:TENANT"; NULL with
 *	the first error in why. hook_tenant_check() is both, for a caller
 *	that only wants the answer.
 * SECURITY
 *	Redis' text is checked before it becomes configuration: names of
 *	at most HOOK_TENANT_NAME_MAX bytes without white space, commas,
 *	quotes or control characters; values of at most
 *	HOOK_TENANT_VALUE_MAX bytes without control characters, so one
 *	value is one configuration line.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "config_file.h"
#include "hook_config.h"
#include "hook_tenant_section.h"
#include "xmalloc.h"

static const char *const fields_known[] = {"url", "secret", "events", "batch",
    "batch_wait", "timeout", "retry_for", "retry_min", "retry_max",
    "stop_status", "concurrency", "breaker_failures", "backlog_max", NULL};

bool
hook_tenant_name_valid(const char *name, size_t length)
{
	if (length == 0 || length > HOOK_TENANT_NAME_MAX)
		return false;
	for (size_t i = 0; i < length; i++)
		if (iscntrl((unsigned char)name[i]) || name[i] == ' ' ||
		    name[i] == ',' || name[i] == '"')
			return false;
	return true;
}

bool
hook_tenant_field_known(const char *name, size_t length)
{
	for (size_t i = 0; fields_known[i] != NULL; i++)
		if (strlen(fields_known[i]) == length &&
		    memcmp(fields_known[i], name, length) == 0)
			return true;
	return false;
}

static int
compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One field as a line; false with why when it is refused. */
static bool
field_line(const struct hook_tenant_field *field, struct buffer *line,
    char *why, size_t why_size)
{
	bool control = false;

	if (!hook_tenant_field_known(field->name, field->name_length)) {
		snprintf(why, why_size, "unknown field \"%.*s\"",
		    field->name_length > 40 ? 40 : (int)field->name_length,
		    field->name);
		return false;
	}
	for (size_t k = 0; k < field->value_length; k++)
		control |= iscntrl((unsigned char)field->value[k]) != 0;
	if (control || field->value_length == 0 ||
	    field->value_length > HOOK_TENANT_VALUE_MAX) {
		snprintf(why, why_size,
		    "%.*s: empty, over %d characters, or holding control "
		    "characters",
		    (int)field->name_length, field->name,
		    HOOK_TENANT_VALUE_MAX);
		return false;
	}
	buffer_printf(line, "%.*s = %.*s\n", (int)field->name_length,
	    field->name, (int)field->value_length, field->value);
	return true;
}

char *
hook_tenant_section(const char *tenant, const struct hook_tenant_field *fields,
    size_t count, char *why, size_t why_size)
{
	struct buffer text = {0};
	char **lines;
	size_t made = 0;
	bool ok = true;

	if (count == 0 || count > HOOK_TENANT_FIELDS_MAX) {
		snprintf(why, why_size,
		    "no hash, an empty one, or more fields than a webhook has");
		return NULL;
	}
	lines = xcalloc(count + 1, sizeof(*lines));
	for (size_t i = 0; ok && i < count; i++) {
		struct buffer line = {0};

		ok = field_line(&fields[i], &line, why, why_size);
		if (ok)
			lines[made++] = line.data;
	}
	if (ok) {
		qsort(lines, made, sizeof(*lines), compare_lines);
		buffer_printf(
		    &text, "[webhook \"tenant\"]\ntenants = %s\n", tenant);
		for (size_t i = 0; i < made; i++)
			buffer_append_text(&text, lines[i]);
	}
	for (size_t i = 0; i < made; i++)
		free(lines[i]);
	free(lines);
	return ok ? text.data : NULL;
}

struct hook_target *
hook_tenant_target(
    const char *tenant, const char *text, char *why, size_t why_size)
{
	struct config_errors errors = {0};
	struct hook_config *config = config_load_buffer(
	    &hook_schema, "Redis", text, strlen(text), &errors);
	struct hook_target *target = NULL;
	struct buffer name = {0};

	if (config == NULL || config->webhooks.count != 1) {
		snprintf(why, why_size, "%s",
		    errors.count > 0 ? errors.text[0] : "not a webhook");
		if (config != NULL)
			config_free(&hook_schema, config);
		return NULL;
	}
	target = hook_target_new(config->webhooks.items[0], why, why_size);
	config_free(&hook_schema, config);
	if (target == NULL)
		return NULL;
	buffer_printf(&name, "tenant:%s", tenant);
	free(target->name);
	target->name = name.data;
	return target;
}

bool
hook_tenant_check(const char *tenant, const struct hook_tenant_field *fields,
    size_t count, char *why, size_t why_size)
{
	char *text = hook_tenant_section(tenant, fields, count, why, why_size);
	struct hook_target *target =
	    text != NULL ? hook_tenant_target(tenant, text, why, why_size)
	                 : NULL;
	bool ok = target != NULL;

	free(text);
	hook_target_free(target);
	return ok;
}
