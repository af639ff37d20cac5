/*
 * NAME
 *	waypost-hookd - delivery events to each tenant's HTTPS endpoint, signed
 * SYNOPSIS
 *	waypost-hookd [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the endpoints: the shared daemon life cycle of
 *	lib/daemon.c with no socket, then one libevent loop holding the
 *	Redis link (lib/redis_link.c, plain commands), the HTTP client
 *	(hook_http.c) and one endpoint per [webhook] section
 *	(hook_endpoint.c):
 *
 *	.  a timer each [hooks] poll_interval ticks every endpoint (reads
 *	   what the streams hold beyond what it has, sends what is due),
 *	   and every CHECK_INTERVAL_MS checks its backlog and claims a
 *	   dead consumer's events (hook_endpoint_check());
 *	.  the same timer polls the webhooks set in Redis
 *	   (hook_tenants.c) every CHECK_INTERVAL_MS and ticks them;
 *	.  an endpoint whose read found nothing new arms the wake
 *	   (lib/event_wake.c, on a Redis link of its own), which ticks
 *	   every endpoint [hooks] wake_delay after one of their streams
 *	   got a new entry, so an event waits for no timer;
 *	.  SIGHUP reloads the configuration: every webhook gets a new
 *	   endpoint from the new runtime (its secrets read again), and the
 *	   old endpoints finish what they have in flight and are freed; a
 *	   file with errors keeps the running one;
 *	.  SIGTERM, SIGINT stop at once: what is in flight was not
 *	   acknowledged, and is sent again after the next start (at least
 *	   once), with one line of counters per webhook.
 *
 *	The runtime (build()) is the webhooks with their secrets decoded,
 *	so -n refuses a bad secret or a secret_file others can read.
 * SECURITY
 *	Nothing is read as root beyond the configuration and the secret
 *	files (read again as the configured user on a reload: keep them
 *	readable by it). Events are peers' text; see hook_event.c.
 * CONFIGURATION PARAMETERS
 *	[hooks], [webhook "NAME"], [redis] and [log] of waypost.conf(5);
 *	see waypost-hookd(8).
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "daemon_loop.h"
#include "event_log.h"
#include "event_streams.h"
#include "event_wake.h"
#include "hook_config.h"
#include "hook_endpoint.h"
#include "hook_http.h"
#include "hook_target.h"
#include "hook_tenants.h"
#include "log.h"
#include "monotonic.h"
#include "redis_link.h"
#include "text_copy.h"
#include "xmalloc.h"

#define CHECK_INTERVAL_MS 5000 /* backlog caps and claims */

/* What a configuration makes: the webhooks, secrets decoded. */
struct hook_runtime {
	struct swap_item item;
	struct hook_target **targets;
	size_t count;
};

/* The endpoints of one runtime; older sets wait for what is in flight. */
struct endpoint_set {
	struct endpoint_set *next;
	struct swap_item *runtime; /* held while the set lives */
	struct hook_endpoint **endpoints;
	size_t count;
};

struct hooker {
	struct daemon *daemon;
	struct event_base *base;
	struct redis_link *link;
	struct event_wake *wake;
	struct hook_http *http;
	struct endpoint_set *current;
	struct endpoint_set *retired;
	struct hook_tenants *tenants; /* the webhooks set in Redis */
	char consumer[256];
	long long last_check_ms;
	int status;
};

static struct hooker hooker;

static void
runtime_destroy(struct swap_item *item)
{
	struct hook_runtime *runtime = (struct hook_runtime *)item;

	for (size_t i = 0; i < runtime->count; i++)
		hook_target_free(runtime->targets[i]);
	free(runtime->targets);
	free(runtime);
}

static struct swap_item *
build(const void *config, struct config_errors *errors)
{
	const struct hook_config *hook_config = config;
	struct hook_runtime *runtime = xcalloc(1, sizeof(*runtime));
	char error[512];
	bool ok = true;

	swap_item_init(&runtime->item, runtime_destroy);
	runtime->targets =
	    xcalloc(hook_config->webhooks.count + 1, sizeof(*runtime->targets));
	for (size_t i = 0; i < hook_config->webhooks.count; i++) {
		struct hook_target *target = hook_target_new(
		    hook_config->webhooks.items[i], error, sizeof(error));

		if (target == NULL) {
			config_errors_add(errors, "%s", error);
			ok = false;
			continue;
		}
		runtime->targets[runtime->count++] = target;
	}
	if (!ok) {
		runtime_destroy(&runtime->item);
		return NULL;
	}
	return &runtime->item;
}

static void
installed(const struct swap_item *item)
{
	const struct hook_runtime *runtime = (const struct hook_runtime *)item;

	if (runtime->count == 0)
		log_warning("no [webhook] section: no event is delivered");
	for (size_t i = 0; i < runtime->count; i++)
		log_info("webhook %s: %s, %s", runtime->targets[i]->name,
		    runtime->targets[i]->url,
		    runtime->targets[i]->all_tenants ? "every tenant"
		                                     : "its tenants");
}

static struct hook_endpoint_settings
settings_of(const struct hooker *state)
{
	const struct hook_config *config = daemon_config(state->daemon);
	struct hook_endpoint_settings settings = {
	    .prefix = config->redis.prefix,
	    .consumer = state->consumer,
	    .attempts_ttl = config->hooks.attempts_ttl,
	    .attempts_max = config->hooks.attempts_max,
	    .dead_max = config->hooks.dead_max,
	    .claim_idle = config->hooks.claim_idle,
	    .wake = state->wake,
	};

	return settings;
}

static struct endpoint_set *
set_new(struct hooker *state)
{
	struct endpoint_set *set = xcalloc(1, sizeof(*set));
	const struct hook_runtime *runtime;
	struct hook_endpoint_settings settings = settings_of(state);

	set->runtime = daemon_runtime_acquire();
	runtime = (const struct hook_runtime *)set->runtime;
	set->endpoints = xcalloc(runtime->count + 1, sizeof(*set->endpoints));
	for (size_t i = 0; i < runtime->count; i++)
		set->endpoints[set->count++] = hook_endpoint_new(state->base,
		    runtime->targets[i], &settings, state->link, state->http);
	return set;
}

static void
set_report(const struct endpoint_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		hook_endpoint_report(set->endpoints[i]);
}

static void
set_free(struct endpoint_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		hook_endpoint_free(set->endpoints[i]);
	free(set->endpoints);
	daemon_runtime_release(set->runtime);
	free(set);
}

static bool
set_busy(const struct endpoint_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		if (hook_endpoint_busy(set->endpoints[i]))
			return true;
	return false;
}

/* Retired sets whose requests all ended are freed. */
static void
sweep(struct hooker *state)
{
	struct endpoint_set **at = &state->retired;

	while (*at != NULL) {
		struct endpoint_set *set = *at;

		if (set_busy(set)) {
			at = &set->next;
			continue;
		}
		*at = set->next;
		set_free(set);
	}
}

static void
tick(struct hooker *state, bool check)
{
	for (size_t i = 0; i < state->current->count; i++) {
		if (check)
			hook_endpoint_check(state->current->endpoints[i]);
		hook_endpoint_tick(state->current->endpoints[i]);
	}
	if (check)
		hook_tenants_poll(state->tenants);
	hook_tenants_tick(state->tenants, check);
	sweep(state);
}

static void
on_tick(evutil_socket_t fd, short what, void *argument)
{
	struct hooker *state = argument;
	long long now = monotonic_ms();
	bool check = now - state->last_check_ms >= CHECK_INTERVAL_MS;

	(void)fd;
	(void)what;
	if (check)
		state->last_check_ms = now;
	tick(state, check);
}

/* A stream an idle endpoint reads has a new entry. */
static void
on_woken(void *context)
{
	tick(context, false);
}

static void
reload(struct hooker *state)
{
	struct endpoint_set *old = state->current;

	if (!daemon_reload(state->daemon))
		return;
	for (size_t i = 0; i < old->count; i++)
		hook_endpoint_retire(old->endpoints[i]);
	set_report(old);
	old->next = state->retired;
	state->retired = old;
	state->current = set_new(state);
}

static void
on_reload(void *context)
{
	reload(context);
}

static void
loop(struct hooker *state, long long interval_ms)
{
	const struct timeval interval = {
	    interval_ms / 1000, (interval_ms % 1000) * 1000};
	struct daemon_loop *signals;
	struct event *timer;

	signals = daemon_loop_new(state->base, on_reload, state);
	timer = event_new(state->base, -1, EV_PERSIST, on_tick, state);
	event_add(timer, &interval);
	event_active(timer, EV_TIMEOUT, 0); /* a first tick now: the groups */
	event_base_dispatch(state->base);
	event_free(timer);
	daemon_loop_free(signals);
}

static int
run(struct daemon *daemon)
{
	const struct hook_config *config = daemon_config(daemon);

	hooker.daemon = daemon;
	event_streams_consumer(
	    config->hooks.consumer, hooker.consumer, sizeof(hooker.consumer));
	event_log_route();
	/* The retries' jitter: not the same sequence on every relay. */
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	hooker.base = event_base_new();
	if (hooker.base == NULL) {
		log_error("cannot make an event loop");
		return 1;
	}
	hooker.link = redis_link_new(hooker.base, &config->redis, NULL);
	hooker.wake = event_wake_new(hooker.base, &config->redis,
	    config->hooks.poll_interval, config->hooks.wake_delay, on_woken,
	    &hooker);
	hooker.http = hook_http_new(hooker.base);
	hooker.current = set_new(&hooker);
	{
		struct hook_endpoint_settings settings = settings_of(&hooker);

		hooker.tenants = hook_tenants_new(
		    hooker.base, hooker.link, &settings, hooker.http);
	}
	hook_tenants_poll(hooker.tenants);
	log_info("delivering events as consumer %s", hooker.consumer);
	loop(&hooker, config->hooks.poll_interval);
	set_report(hooker.current);
	hook_tenants_report(hooker.tenants);
	hook_tenants_stop(hooker.tenants);
	/* What is in flight is dropped, unacknowledged: sent again after
	 * the next start. The link ends its calls with the endpoints
	 * still there to hear it. */
	hooker.current->next = hooker.retired;
	hooker.retired = hooker.current;
	for (struct endpoint_set *set = hooker.retired; set != NULL;
	     set = set->next)
		for (size_t i = 0; i < set->count; i++)
			hook_endpoint_stop(set->endpoints[i]);
	hook_http_free(hooker.http);
	event_wake_free(hooker.wake);
	redis_link_free(hooker.link);
	hook_tenants_free(hooker.tenants);
	while (hooker.retired != NULL) {
		struct endpoint_set *next = hooker.retired->next;

		set_free(hooker.retired);
		hooker.retired = next;
	}
	event_base_free(hooker.base);
	return hooker.status;
}

static const struct daemon_program program = {
    .name = "waypost-hookd",
    .section = "hooks",
    .schema = &hook_schema,
    .settings_offset = offsetof(struct hook_config, hooks.daemon),
    .log_offset = offsetof(struct hook_config, log),
    .no_socket = true,
    .build = build,
    .installed = installed,
    .run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&program, argc, argv);
}
