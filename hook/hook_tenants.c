/*
 * NAME
 *	hook_tenants - the webhooks operators set in Redis, one per tenant
 * SYNOPSIS
 *	#include "hook_tenants.h"
 *
 *	struct hook_tenants *hook_tenants_new(base, link, settings, http)
 *	void hook_tenants_poll(tenants)
 *	void hook_tenants_tick(tenants, check)
 *	void hook_tenants_report(tenants)
 *	void hook_tenants_stop(tenants)
 *	void hook_tenants_free(tenants)
 * DESCRIPTION
 *	Besides the [webhook] sections of the file, a tenant's endpoint may
 *	be set at run time, without a reload: the set "webhooks" names the
 *	tenants that have one, and the hash "webhook:TENANT" holds its keys
 *	(url, secret, events, batch, batch_wait, timeout, retry_for,
 *	retry_min, retry_max, stop_status, concurrency, breaker_failures,
 *	backlog_max: those of a [webhook] section, checked as the file's;
 *	tenants is the tenant itself, and no file path is taken from Redis).
 *	Keys from lib/redis_keys.c, prefix included.
 *
 *	hook_tenants_poll() (every few seconds, from the daemon's timer)
 *	reads the set, then every tenant's hash, and applies what changed:
 *	a new tenant's endpoint starts, a changed one is replaced (the old
 *	finishes what is in flight), a removed one stops. The hash is made
 *	into the text of a [webhook] section and loaded with the file's
 *	schema (hook_config.c), so it is refused for the same reasons
 *	(hook_tenant_section.c, which waypostctl(8) runs too), and
 *	the refusal is logged once per change. Each such webhook is named
 *	"tenant:TENANT" (file sections cannot hold ":"), its consumer
 *	group "waypost-hookd:tenant:TENANT".
 *
 *	hook_tenants_tick() ticks their endpoints (and checks them, as
 *	hook_endpoint_check(), with check); hook_tenants_report() logs
 *	their counters; hook_tenants_stop() stops them as the daemon stops.
 * SECURITY
 *	Redis' text is checked before it becomes configuration: a tenant
 *	name of at most HOOK_TENANT_NAME_MAX characters without white space,
 *	commas or control characters, known field names only, values
 *	without control characters and short enough for one configuration
 *	line; at most HOOK_TENANTS_MAX tenants. The secret is kept in Redis:
 *	protect it as the suppression and suspension keys (ACLs, no access
 *	from the network).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "config_file.h"
#include "hook_config.h"
#include "hook_tenants.h"
#include "hook_target.h"
#include "hook_tenant_section.h"
#include "log.h"
#include "redis_keys.h"
#include "script_words.h"
#include "xmalloc.h"

struct tenant_hook {
	struct tenant_hook *next;
	char *tenant;
	char *text; /* the section made of its hash: what changes it */
	struct hook_target *target;     /* NULL: refused */
	struct hook_endpoint *endpoint; /* NULL: refused */
};

/* One poll: the tenants of the set, then each one's section text. */
struct poll {
	struct hook_tenants *tenants;
	char **names;
	char **texts; /* NULL: its hash was refused, errors[i] says why */
	char **errors;
	size_t count, waiting;
	bool failed; /* a hash did not come: nothing is applied */
};

struct hook_tenants {
	struct event_base *base;
	struct redis_link *link;
	struct hook_endpoint_settings settings; /* strings: own copies */
	struct hook_http *http;
	struct tenant_hook *hooks;
	struct tenant_hook *retired;
	bool polling, stopping;
	time_t last_error_log;
};

/* The hash as a [webhook] section (hook_tenant_section.c); NULL with
 * why when a field is refused. */
static char *
section_text(
    const char *tenant, const redisReply *hash, char *why, size_t why_size)
{
	struct hook_tenant_field *fields;
	size_t count;
	char *text;

	if (hash->type != REDIS_REPLY_ARRAY || hash->elements % 2 != 0 ||
	    hash->elements / 2 > HOOK_TENANT_FIELDS_MAX) {
		snprintf(why, why_size,
		    "no hash, an empty one, or more fields than a webhook has");
		return NULL;
	}
	count = hash->elements / 2;
	fields = xcalloc(count + 1, sizeof(*fields));
	for (size_t i = 0; i < count; i++) {
		const redisReply *name = hash->element[2 * i];
		const redisReply *value = hash->element[2 * i + 1];

		if (name->type != REDIS_REPLY_STRING ||
		    value->type != REDIS_REPLY_STRING) {
			free(fields);
			snprintf(why, why_size, "a field that is no string");
			return NULL;
		}
		fields[i] = (struct hook_tenant_field){
		    name->str, name->len, value->str, value->len};
	}
	text = hook_tenant_section(tenant, fields, count, why, why_size);
	free(fields);
	return text;
}

static void
hook_free(struct tenant_hook *hook)
{
	hook_endpoint_free(hook->endpoint);
	hook_target_free(hook->target);
	free(hook->tenant);
	free(hook->text);
	free(hook);
}

static void
retire(struct hook_tenants *tenants, struct tenant_hook *hook)
{
	if (hook->endpoint != NULL)
		hook_endpoint_retire(hook->endpoint);
	hook->next = tenants->retired;
	tenants->retired = hook;
}

static struct tenant_hook *
start(struct hook_tenants *tenants, const char *tenant, const char *text)
{
	struct tenant_hook *hook = xcalloc(1, sizeof(*hook));
	char why[CONFIG_ERROR_TEXT_MAX];

	hook->tenant = xstrdup(tenant);
	hook->text = xstrdup(text);
	hook->target = hook_tenant_target(tenant, text, why, sizeof(why));
	if (hook->target == NULL) {
		log_error(
		    "webhook of tenant %s in Redis refused: %s", tenant, why);
		return hook;
	}
	hook->endpoint = hook_endpoint_new(tenants->base, hook->target,
	    &tenants->settings, tenants->link, tenants->http);
	log_info(
	    "webhook of tenant %s from Redis: %s", tenant, hook->target->url);
	return hook;
}

static void
apply(struct hook_tenants *tenants, struct poll *poll)
{
	struct tenant_hook *kept = NULL, **at;

	for (size_t i = 0; i < poll->count; i++) {
		struct tenant_hook *hook = NULL;

		for (at = &tenants->hooks; *at != NULL; at = &(*at)->next)
			if (strcmp((*at)->tenant, poll->names[i]) == 0) {
				hook = *at;
				*at = hook->next;
				break;
			}
		if (poll->texts[i] == NULL) {
			if (hook == NULL || hook->text[0] != '\0')
				log_error("webhook of tenant %s in Redis "
				          "refused: %s",
				    poll->names[i], poll->errors[i]);
			if (hook != NULL)
				retire(tenants, hook);
			hook = xcalloc(1, sizeof(*hook));
			hook->tenant = xstrdup(poll->names[i]);
			hook->text = xstrdup(""); /* refused: logged once */
		} else if (hook == NULL ||
		           strcmp(hook->text, poll->texts[i]) != 0) {
			if (hook != NULL)
				retire(tenants, hook);
			hook = start(tenants, poll->names[i], poll->texts[i]);
		}
		hook->next = kept;
		kept = hook;
	}
	while (tenants->hooks != NULL) { /* no longer in the set */
		struct tenant_hook *gone = tenants->hooks;

		tenants->hooks = gone->next;
		if (gone->endpoint != NULL)
			log_info("webhook of tenant %s removed from Redis",
			    gone->tenant);
		retire(tenants, gone);
	}
	tenants->hooks = kept;
}

static void
poll_free(struct poll *poll)
{
	for (size_t i = 0; i < poll->count; i++) {
		free(poll->names[i]);
		free(poll->texts[i]);
		free(poll->errors[i]);
	}
	free(poll->names);
	free(poll->texts);
	free(poll->errors);
	free(poll);
}

static void
poll_failed(struct hook_tenants *tenants, const char *why)
{
	time_t now = time(NULL);

	if (why == NULL || tenants->stopping ||
	    now - tenants->last_error_log < 60)
		return;
	tenants->last_error_log = now;
	log_warning("webhooks in Redis: %.200s", why);
}

struct hash_call {
	struct poll *poll;
	size_t index;
};

/* The last reply of a poll: applied if every hash came. */
static void
poll_settle(struct poll *poll)
{
	struct hook_tenants *tenants = poll->tenants;

	if (poll->waiting > 0)
		return;
	if (!poll->failed)
		apply(tenants, poll);
	tenants->polling = false;
	poll_free(poll);
}

static void
on_hash(void *context, const redisReply *reply, const char *why)
{
	struct hash_call *call = context;
	struct poll *poll = call->poll;
	char error[256];

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		poll_failed(poll->tenants, reply == NULL ? why : reply->str);
		poll->failed = true;
	} else {
		poll->texts[call->index] = section_text(
		    poll->names[call->index], reply, error, sizeof(error));
		if (poll->texts[call->index] == NULL)
			poll->errors[call->index] = xstrdup(error);
	}
	free(call);
	poll->waiting--;
	poll_settle(poll);
}

static void
on_members(void *context, const redisReply *reply, const char *why)
{
	struct hook_tenants *tenants = context;
	struct poll *poll;
	size_t count;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		poll_failed(tenants, reply == NULL ? why
		                     : reply->type == REDIS_REPLY_ERROR
		                         ? reply->str
		                         : "webhooks is not a set");
		tenants->polling = false;
		return;
	}
	count = reply->elements < HOOK_TENANTS_MAX ? reply->elements
	                                           : HOOK_TENANTS_MAX;
	poll = xcalloc(1, sizeof(*poll));
	poll->tenants = tenants;
	poll->names = xcalloc(count + 1, sizeof(*poll->names));
	poll->texts = xcalloc(count + 1, sizeof(*poll->texts));
	poll->errors = xcalloc(count + 1, sizeof(*poll->errors));
	for (size_t i = 0; i < count; i++) {
		const redisReply *name = reply->element[i];
		char *lower;

		if (name->type != REDIS_REPLY_STRING ||
		    !hook_tenant_name_valid(name->str, name->len))
			continue;
		lower = xmalloc(name->len + 1);
		for (size_t k = 0; k < name->len; k++)
			lower[k] = (char)tolower((unsigned char)name->str[k]);
		lower[name->len] = '\0';
		poll->names[poll->count++] = lower;
	}
	if (poll->count == 0) {
		apply(tenants, poll);
		tenants->polling = false;
		poll_free(poll);
		return;
	}
	for (size_t i = 0; i < poll->count; i++) {
		struct script_words words = {0};
		struct hash_call *call = xcalloc(1, sizeof(*call));

		call->poll = poll;
		call->index = i;
		script_word_text(&words, "HGETALL");
		script_word_begin(&words);
		redis_key_append(&words.text, tenants->settings.prefix,
		    REDIS_KEY_WEBHOOK, poll->names[i], NULL);
		script_word_end(&words);
		if (redis_link_command(tenants->link, &words.text,
		        words.lengths, (int)words.count, on_hash,
		        call) == NULL) {
			free(call); /* no connection: the poll is given up */
			poll->failed = true;
			script_words_free(&words);
			break;
		}
		poll->waiting++;
		script_words_free(&words);
	}
	poll_settle(poll);
}

void
hook_tenants_poll(struct hook_tenants *tenants)
{
	struct script_words words = {0};

	if (tenants->polling || tenants->stopping)
		return;
	script_word_text(&words, "SMEMBERS");
	script_word_begin(&words);
	redis_key_append(&words.text, tenants->settings.prefix,
	    REDIS_KEY_WEBHOOKS, "", NULL);
	script_word_end(&words);
	tenants->polling =
	    redis_link_command(tenants->link, &words.text, words.lengths,
	        (int)words.count, on_members, tenants) != NULL;
	script_words_free(&words);
}

struct hook_tenants *
hook_tenants_new(struct event_base *base, struct redis_link *link,
    const struct hook_endpoint_settings *settings, struct hook_http *http)
{
	struct hook_tenants *tenants = xcalloc(1, sizeof(*tenants));

	tenants->base = base;
	tenants->link = link;
	tenants->settings = *settings;
	tenants->settings.prefix = xstrdup(settings->prefix);
	tenants->settings.consumer = xstrdup(settings->consumer);
	tenants->http = http;
	return tenants;
}

void
hook_tenants_tick(struct hook_tenants *tenants, bool check)
{
	struct tenant_hook **at = &tenants->retired;

	for (struct tenant_hook *hook = tenants->hooks; hook != NULL;
	     hook = hook->next) {
		if (hook->endpoint == NULL)
			continue;
		if (check)
			hook_endpoint_check(hook->endpoint);
		hook_endpoint_tick(hook->endpoint);
	}
	while (*at != NULL) { /* retired, once nothing is in flight */
		struct tenant_hook *hook = *at;

		if (hook->endpoint != NULL &&
		    hook_endpoint_busy(hook->endpoint)) {
			at = &hook->next;
			continue;
		}
		*at = hook->next;
		hook_free(hook);
	}
}

void
hook_tenants_report(const struct hook_tenants *tenants)
{
	for (const struct tenant_hook *hook = tenants->hooks; hook != NULL;
	     hook = hook->next) {
		if (hook->endpoint != NULL)
			hook_endpoint_report(hook->endpoint);
	}
}

void
hook_tenants_stop(struct hook_tenants *tenants)
{
	tenants->stopping = true;
	for (struct tenant_hook *hook = tenants->hooks; hook != NULL;
	     hook = hook->next)
		if (hook->endpoint != NULL)
			hook_endpoint_stop(hook->endpoint);
	for (struct tenant_hook *hook = tenants->retired; hook != NULL;
	     hook = hook->next)
		if (hook->endpoint != NULL)
			hook_endpoint_stop(hook->endpoint);
}

void
hook_tenants_free(struct hook_tenants *tenants)
{
	if (tenants == NULL)
		return;
	while (tenants->hooks != NULL) {
		struct tenant_hook *next = tenants->hooks->next;

		hook_free(tenants->hooks);
		tenants->hooks = next;
	}
	while (tenants->retired != NULL) {
		struct tenant_hook *next = tenants->retired->next;

		hook_free(tenants->retired);
		tenants->retired = next;
	}
	free((char *)tenants->settings.prefix);
	free((char *)tenants->settings.consumer);
	free(tenants);
}
