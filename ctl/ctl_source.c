/*
 * NAME
 *	ctl_source - waypostctl source show, suspend and resume: the
 *	source addresses of waypost-routed's pools
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_source(ctl, argc, argv)
 * DESCRIPTION
 *	The pools and providers are waypost-routed's, read from
 *	waypost.conf with its own code (ctl_route_load()); the Redis keys
 *	are lib/redis_keys.c's and the fields route/route_usage.c's.
 *
 *	"source show ADDRESS|POOL [--provider P]": one row per address (of
 *	the pool) and provider (every [provider] and "other", or P): the
 *	day of its schedule, today's cap, what it carried today and what
 *	remains, read as route_script.lua reads them (route_usage.c; today
 *	is Redis' own UTC day), and whether it is suspended there; the
 *	pool's two hashes are read once each (HGETALL).
 *
 *	"source suspend ADDRESS [--provider P] [--for DURATION]": the
 *	address is chosen no more, at P or at every provider, until it is
 *	resumed or for DURATION (the end, by Redis' clock, in the field;
 *	0: until resumed). "source resume ADDRESS [--provider P]" deletes
 *	that suspension; one at every provider and one at P are apart.
 *	Each change is one transaction with its audit entry (ctl_redis.c).
 * SECURITY
 *	The address must be one of a pool and the provider a configured
 *	one: no other field is written.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_config.h"
#include "route_usage.h"

static const char *const headers[] = {
    "SOURCE", "POOL", "PROVIDER", "DAY", "CAP", "SENT", "REMAINING", "STATE"};
#define COLUMNS (sizeof(headers) / sizeof(headers[0]))
#define DAY     86400 /* seconds: the script's math.floor(now / DAY_MS) */

struct source {
	struct route_config *config;
	const struct pool_section *pool;
	const char *address;  /* NULL: every address of the pool */
	const char *provider; /* --provider, or NULL */
	long long for_ms;     /* suspend: 0 until resumed */
	long long now;        /* Redis' time, seconds */
	struct buffer key, field;
	/* show: both hashes of the pool, read once (HGETALL) */
	redisReply *states, *suspensions;
	bool was; /* a suspension was there */
	char before[64], after[64], shown[128];
};

static const struct pool_section *
pool_of_address(const struct route_config *config, const char *address)
{
	for (size_t i = 0; i < config->pools.count; i++) {
		const struct pool_section *pool = config->pools.items[i];

		for (size_t j = 0; j < pool->addresses.count; j++)
			if (strcmp(pool->addresses.items[j], address) == 0)
				return pool;
	}
	return NULL;
}

/* "until resumed", "until TIME" or "" (none), of a field's value. */
static void
describe(const char *value, long long now, char *out, size_t size)
{
	long long end = value != NULL ? strtoll(value, NULL, 10) : -1;
	time_t seconds;
	struct tm utc;

	if (value == NULL || (end > 0 && end / 1000 <= now)) {
		snprintf(out, size, "%s", "");
		return;
	}
	if (end == 0) {
		snprintf(out, size, "until resumed");
		return;
	}
	seconds = (time_t)(end / 1000);
	gmtime_r(&seconds, &utc);
	strftime(out, size, "until %Y-%m-%dT%H:%M:%SZ", &utc);
}

/* HGET key field: its value (to free), or NULL. */
static int
hash_get(
    struct ctl *ctl, const char *key, const struct buffer *field, char **value)
{
	redisReply *reply;
	int status = ctl_command(ctl, &reply, 3,
	    (const char *[]){"HGET", key, buffer_text(field)}, NULL);

	*value = NULL;
	if (status != EX_OK)
		return status;
	if (reply->type == REDIS_REPLY_STRING)
		*value = strdup(reply->str);
	else if (reply->type != REDIS_REPLY_NIL)
		status = ctl_fail(EX_DATAERR, "%s is not a hash", key);
	freeReplyObject(reply);
	return status;
}

/* HGETALL key into *all (to free): one round trip for a whole show. */
static int
hash_all(struct ctl *ctl, const char *key, redisReply **all)
{
	int status =
	    ctl_command(ctl, all, 2, (const char *[]){"HGETALL", key}, NULL);

	if (status == EX_OK && (*all)->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(*all);
		*all = NULL;
		return ctl_fail(EX_DATAERR, "%s is not a hash", key);
	}
	return status;
}

/* The value of field in a hash read whole, or NULL. */
static const char *
hash_field(const redisReply *all, const struct buffer *field)
{
	for (size_t i = 0; i + 1 < all->elements; i += 2)
		if (all->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(all->element[i]->str, buffer_text(field)) == 0)
			return all->element[i + 1]->str;
	return NULL;
}

/* The suspension of address at provider: at every provider first. */
static void
suspension_of(const struct source *source, const char *address,
    const char *provider, char *out, size_t size)
{
	struct buffer field = {0};

	out[0] = '\0';
	for (int i = 0; i < 2 && out[0] == '\0'; i++) {
		buffer_reset(&field);
		route_field_append(&field, address, i == 0 ? NULL : provider);
		describe(hash_field(source->suspensions, &field), source->now,
		    out, size);
	}
	buffer_free(&field);
}

static void
show_row(struct source *source, struct ctl_list *list,
    const struct route_schedules *schedules, const char *address,
    const char *provider)
{
	struct buffer field = {0};
	struct route_usage usage;
	char day[CTL_NUMBER_MAX], cap[CTL_NUMBER_MAX], sent[CTL_NUMBER_MAX];
	char remaining[CTL_NUMBER_MAX], suspended[64], state[80];
	const char *cells[COLUMNS];
	json_t *object;

	route_field_append(&field, address, provider);
	route_usage_read(route_schedules_find(schedules, provider),
	    hash_field(source->states, &field), source->now / DAY, &usage);
	buffer_free(&field);
	suspension_of(source, address, provider, suspended, sizeof(suspended));
	snprintf(day, sizeof(day), "%lld%s", usage.day,
	    usage.started ? "" : " (not started)");
	snprintf(cap, sizeof(cap), "%lld", usage.cap);
	snprintf(sent, sizeof(sent), "%lld", usage.sent);
	snprintf(remaining, sizeof(remaining), "%lld",
	    usage.cap > usage.sent ? usage.cap - usage.sent : 0);
	snprintf(state, sizeof(state), "%s%s",
	    suspended[0] ? "suspended " : "active", suspended);
	cells[0] = address;
	cells[1] = source->pool->name;
	cells[2] = provider;
	cells[3] = day;
	cells[4] = usage.cap < 0 ? "unlimited" : cap;
	cells[5] = sent;
	cells[6] = usage.cap < 0 ? "unlimited" : remaining;
	cells[7] = state;
	object = json_object();
	json_object_set_new(object, "source", json_string(address));
	json_object_set_new(object, "pool", json_string(source->pool->name));
	json_object_set_new(object, "provider", json_string(provider));
	json_object_set_new(object, "started", json_boolean(usage.started));
	json_object_set_new(object, "day", json_integer(usage.day));
	json_object_set_new(object, "cap",
	    usage.cap < 0 ? json_null() : json_integer(usage.cap));
	json_object_set_new(object, "sent", json_integer(usage.sent));
	json_object_set_new(object, "remaining",
	    usage.cap < 0
	        ? json_null()
	        : json_integer(
	              usage.cap > usage.sent ? usage.cap - usage.sent : 0));
	json_object_set_new(object, "suspended",
	    suspended[0] ? json_string(suspended) : json_null());
	ctl_list_add(list, object, cells);
}

/* Every provider's row of one address, or --provider's. */
static void
show_address(struct source *source, struct ctl_list *list,
    const struct route_schedules *schedules, const char *address)
{
	const struct config_instances *providers = &source->config->providers;

	if (source->provider != NULL) {
		show_row(source, list, schedules, address, source->provider);
		return;
	}
	for (size_t i = 0; i <= providers->count; i++)
		show_row(source, list, schedules, address,
		    i < providers->count
		        ? ((const struct provider_section *)providers->items[i])
		              ->name
		        : ROUTE_PROVIDER_OTHER);
}

static int
show(struct ctl *ctl, struct source *source)
{
	struct route_schedules schedules;
	struct ctl_list *list;
	struct buffer key = {0};
	char error[256];
	int status;

	if (!route_schedules_parse(
	        &source->pool->schedule, &schedules, error, sizeof(error)))
		return ctl_fail(EX_CONFIG, "source: %s", error);
	ctl_key(ctl, &key, REDIS_KEY_SOURCES, source->pool->name);
	status = hash_all(ctl, buffer_text(&key), &source->states);
	buffer_free(&key);
	if (status == EX_OK)
		status = hash_all(
		    ctl, buffer_text(&source->key), &source->suspensions);
	if (status == EX_OK) {
		list = ctl_list_new(ctl, COLUMNS, headers);
		if (source->address != NULL)
			show_address(source, list, &schedules, source->address);
		for (size_t i = 0; source->address == NULL &&
		                   i < source->pool->addresses.count;
		     i++)
			show_address(source, list, &schedules,
			    source->pool->addresses.items[i]);
		ctl_list_end(list);
	}
	if (source->states != NULL)
		freeReplyObject(source->states);
	if (source->suspensions != NULL)
		freeReplyObject(source->suspensions);
	route_schedules_free(&schedules);
	return status;
}

static int
read_before(struct ctl *ctl, struct source *source)
{
	char *value;
	int status =
	    hash_get(ctl, buffer_text(&source->key), &source->field, &value);

	source->was = value != NULL;
	describe(value, source->now, source->before, sizeof(source->before));
	free(value);
	return status;
}

static int
prepare_suspend(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct source *source = context;
	int status = read_before(ctl, source);
	char value[24];

	snprintf(value, sizeof(value), "%lld",
	    source->for_ms > 0 ? source->now * 1000 + source->for_ms : 0);
	describe(value, source->now, source->after, sizeof(source->after));
	change->command = "source suspend";
	change->subject = source->shown;
	change->before = source->before;
	change->after = source->after;
	return status;
}

static void
writes_suspend(struct ctl *ctl, void *context)
{
	struct source *source = context;
	char value[24];

	snprintf(value, sizeof(value), "%lld",
	    source->for_ms > 0 ? source->now * 1000 + source->for_ms : 0);
	ctl_append(ctl, 4,
	    (const char *[]){"HSET", buffer_text(&source->key),
	        buffer_text(&source->field), value},
	    NULL);
}

static int
prepare_resume(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct source *source = context;
	int status = read_before(ctl, source);

	if (status == EX_OK && !source->was)
		return ctl_unchanged(ctl);
	change->command = "source resume";
	change->subject = source->shown;
	change->before = source->before;
	change->after = "";
	return status;
}

static void
writes_resume(struct ctl *ctl, void *context)
{
	struct source *source = context;

	ctl_append(ctl, 3,
	    (const char *[]){
	        "HDEL", buffer_text(&source->key), buffer_text(&source->field)},
	    NULL);
}

static int
change(struct ctl *ctl, struct source *source, bool suspend)
{
	char human[256];
	json_t *object;
	int status;

	if (source->address == NULL)
		return ctl_fail(EX_DATAERR,
		    "source %s: %s is no address of a pool",
		    suspend ? "suspend" : "resume", source->pool->name);
	route_field_append(&source->field, source->address, source->provider);
	snprintf(source->shown, sizeof(source->shown), "%s at %s",
	    source->address,
	    source->provider ? source->provider : "every provider");
	status = ctl_change_run(ctl, buffer_text(&source->key), "hash",
	    suspend ? prepare_suspend : prepare_resume,
	    suspend ? writes_suspend : writes_resume, source);
	if (status != EX_OK)
		return status;
	object = json_object();
	json_object_set_new(object, "source", json_string(source->address));
	json_object_set_new(object, "pool", json_string(source->pool->name));
	json_object_set_new(object, "provider",
	    source->provider ? json_string(source->provider) : json_null());
	if (suspend) {
		json_object_set_new(
		    object, "suspended", json_string(source->after));
		snprintf(human, sizeof(human), "source %s suspended %s",
		    source->shown, source->after);
	} else {
		json_object_set_new(
		    object, "resumed", json_boolean(source->was));
		snprintf(human, sizeof(human), "source %s %s", source->shown,
		    source->was ? "resumed" : "was not suspended");
	}
	ctl_result(ctl, object, human);
	return EX_OK;
}

/* --provider P, and --for DURATION when allowed, in any order. */
static int
options(int argc, char **argv, struct source *source, bool for_allowed)
{
	char error[CTL_ERROR_MAX];

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return ctl_fail(
			    EX_USAGE, "source: %s needs a value", argv[i]);
		if (strcmp(argv[i], "--provider") == 0) {
			if (!route_provider_known(source->config, argv[i + 1]))
				return ctl_fail(EX_DATAERR,
				    "source: no [provider \"%.60s\"] (nor "
				    "other)",
				    argv[i + 1]);
			source->provider = argv[i + 1];
		} else if (for_allowed && strcmp(argv[i], "--for") == 0) {
			if (!ctl_parse_for(argv[i + 1], &source->for_ms, error,
			        sizeof(error)))
				return ctl_fail(
				    EX_DATAERR, "source: %s", error);
		} else
			return ctl_fail(EX_USAGE,
			    "source: unknown option \"%.100s\"", argv[i]);
	}
	return EX_OK;
}

static int
run(struct ctl *ctl, struct source *source, const char *verb,
    const char *target, int argc, char **argv)
{
	bool show_it = strcmp(verb, "show") == 0;
	int status;

	source->pool = pool_of_address(source->config, target);
	if (source->pool != NULL)
		source->address = target;
	else if (show_it)
		source->pool =
		    config_instance_find(&source->config->pools, target);
	if (source->pool == NULL)
		return ctl_fail(EX_DATAERR,
		    "source %s: %.100s is in no [pool]%s", verb, target,
		    show_it ? ", nor the name of one" : "");
	if ((status = options(
	         argc, argv, source, strcmp(verb, "suspend") == 0)) != EX_OK ||
	    (status = ctl_connect(ctl)) != EX_OK ||
	    (status = ctl_redis_time(ctl, &source->now)) != EX_OK)
		return status;
	ctl_key(
	    ctl, &source->key, REDIS_KEY_SOURCES_SUSPENDED, source->pool->name);
	if (show_it)
		return show(ctl, source);
	return change(ctl, source, strcmp(verb, "suspend") == 0);
}

int
ctl_source(struct ctl *ctl, int argc, char **argv)
{
	struct source source = {0};
	int status;

	if (argc < 2 ||
	    (strcmp(argv[0], "show") != 0 && strcmp(argv[0], "suspend") != 0 &&
	        strcmp(argv[0], "resume") != 0))
		return ctl_fail(EX_USAGE,
		    "usage: waypostctl source show ADDRESS|POOL [--provider "
		    "P] | suspend ADDRESS [--provider P] [--for DURATION] | "
		    "resume ADDRESS [--provider P]");
	if ((status = ctl_route_load(ctl->config_path, &source.config)) !=
	    EX_OK)
		return status;
	status = run(ctl, &source, argv[0], argv[1], argc - 2, argv + 2);
	buffer_free(&source.key);
	buffer_free(&source.field);
	config_free(&route_schema, source.config);
	return status;
}
