/*
 * NAME
 *	route_decide - one route lookup: which source address carries a
 *	recipient's mail, charged in Redis
 * SYNOPSIS
 *	#include "route_decide.h"
 *
 *	void route_decide_start(base, link)
 *	void route_decide_shutdown(void)
 *	struct route_call *route_decide(sender, recipient, answer, context,
 *		reply)
 *	void route_decide_forget(call)
 * DESCRIPTION
 *	route_decide() answers Postfix's lookup of recipient, for mail
 *	from sender (NULL: not known), with a socketmap reply
 *	(route_request.c's netstring):
 *
 *	.  NOTFOUND for a key that is not a whole address (the "*" and
 *	   domain probes of trivial-rewrite), and for a sender whose
 *	   tenant no pool serves: Postfix's own transport then carries it.
 *	   Such an answer is appended to reply and NULL returned.
 *	.  Otherwise route_script.lua, in one call, chooses the address
 *	   of the sender's pool (route_table.c) with budget left at the
 *	   recipient domain's provider and charges it, the charge held for
 *	   the recipient until route_settle.c settles it from the
 *	   delivery's event: "OK wp-ADDRESS:" (or
 *	   "OK wp-ADDRESS-PROVIDER:" for a shaped provider) and the
 *	   provider's nexthop (none: the recipient's domain), or, with
 *	   no budget left anywhere in the pool, "OK retry:" and the
 *	   configured retry_reason, so Postfix keeps the recipient in its
 *	   queue and asks again at its next attempt. The reply comes later
 *	   through answer(context, reply), one log line with it; the call
 *	   is returned so route_decide_forget() can stop it when the
 *	   Postfix connection goes away.
 *	.  When Redis does not answer in time or fails: fail_mode "defer"
 *	   answers "TEMP" (Postfix defers the recipient), "default"
 *	   NOTFOUND (Postfix's default transport carries it, uncharged).
 *
 *	The provider of a recipient domain is the one whose domains list
 *	it; else, when a provider lists MX host suffixes, the one whose
 *	suffix ends one of the domain's MX hosts (route_mx.c looks them up
 *	and caches them; the lookup waits meanwhile); else "other".
 *
 *	A lookup acquires the current route_table.c for as long as it
 *	runs. route_decide_start() gives the Redis link every lookup asks
 *	and makes the MX resolver on the event loop base, with [route]'s
 *	resolver and mx_cache_time as the daemon started with them;
 *	route_decide_shutdown() takes the link back and frees the
 *	resolver.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "route_contract.h"
#include "route_decide.h"
#include "route_mx.h"
#include "route_request.h"
#include "route_table.h"
#include "script_words.h"
#include "xmalloc.h"

#define DOMAIN_MAX 253

struct route_call {
	struct route_table *table;
	const struct route_pool *pool;
	const char *provider;
	const char *caps;    /* the pool's at that provider (route_table.c) */
	const char *nexthop; /* NULL: the recipient's domain */
	bool shaped;         /* the provider's own transport per address */
	route_answer answer; /* NULL: forgotten */
	void *context;
	struct route_mx_wait *mx; /* while its MX hosts are looked up */
	bool inside;              /* route_decide() has not returned yet */
	bool finished;            /* reply is whole */
	char recipient[ROUTE_REQUEST_MAX + 1];
	struct buffer reply;
};

/* The daemon's one Redis link and MX resolver (route_main.c's loop). */
static struct redis_link *redis;
static struct route_mx *resolver;

void
route_decide_start(struct event_base *base, struct redis_link *link)
{
	struct route_table *table =
	    (struct route_table *)daemon_runtime_acquire();
	const struct route_section *route = &table->config->route;
	char error[256];

	redis = link;
	resolver = route_mx_new(
	    base, &route->resolver, route->mx_cache_time, error, sizeof(error));
	if (resolver == NULL)
		log_warning("no MX lookups: %s; domains no provider lists are "
		            "\"other\"",
		    error);
	daemon_runtime_release(&table->item);
}

void
route_decide_shutdown(void)
{
	redis = NULL;
	route_mx_free(resolver);
	resolver = NULL;
}

static void
call_free(struct route_call *call)
{
	daemon_runtime_release(&call->table->item);
	buffer_free(&call->reply);
	free(call);
}

/* The words of route_script.lua's call, as route_contract.h says. */
static void
call_words(const struct route_call *call, struct script_words *words)
{
	const struct pool_section *section = call->pool->section;

	script_word_text(words, "3");
	script_word_text(words, call->pool->sources_key);
	script_word_text(words, call->pool->suspended_key);
	script_word_text(words, call->pool->reserved_key);
	script_word_text(words, call->provider);
	script_word_begin(words);
	for (const char *c = call->recipient; *c != '\0'; c++)
		buffer_append_char(
		    &words->text, (char)tolower((unsigned char)*c));
	script_word_end(words);
	for (size_t i = 0; i < section->addresses.count; i++) {
		script_word_text(words, section->addresses.items[i]);
		script_word_text(words, call->caps);
	}
}

static void
fail(struct route_call *call, const char *why)
{
	const struct route_config *config = call->table->config;

	if (config->route.fail_mode == ROUTE_FAIL_DEFAULT) {
		log_warning("route %s: %s: the default transport carries it",
		    call->recipient, why);
		route_reply_append(&call->reply, "NOTFOUND", "");
	} else {
		log_warning("route %s: %s: deferred", call->recipient, why);
		route_reply_append(&call->reply, "TEMP", why);
	}
}

static long long
element(const redisReply *reply, size_t i)
{
	if (i >= reply->elements ||
	    reply->element[i]->type != REDIS_REPLY_INTEGER)
		return -2;
	return reply->element[i]->integer;
}

static void
read_reply(struct route_call *call, const redisReply *reply, const char *why)
{
	const struct pool_section *section = call->pool->section;
	long long chosen;
	char transport[ROUTE_TRANSPORT_MAX + 300];

	if (reply == NULL) {
		fail(call, why);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR ||
	    reply->type != REDIS_REPLY_ARRAY || element(reply, 0) < 0 ||
	    element(reply, 0) > (long long)section->addresses.count) {
		fail(call, reply->type == REDIS_REPLY_ERROR
		               ? reply->str
		               : "unexpected reply from Redis");
		return;
	}
	chosen = element(reply, 0);
	if (chosen == 0) {
		log_info("route %s: pool %s, provider %s: no address has "
		         "budget left (%lld suspended): retry",
		    call->recipient, section->name, call->provider,
		    element(reply, 1));
		snprintf(transport, sizeof(transport), "retry:%s",
		    call->table->config->route.retry_reason);
		route_reply_append(&call->reply, "OK", transport);
		return;
	}
	snprintf(transport, sizeof(transport), "%s%s%s:%s",
	    call->pool->transports[chosen - 1], call->shaped ? "-" : "",
	    call->shaped ? call->provider : "",
	    call->nexthop != NULL ? call->nexthop : "");
	if (element(reply, 2) == SCRIPT_UNLIMITED)
		log_info("route %s: pool %s, provider %s: %s (%lld today, no "
		         "cap, day %lld)",
		    call->recipient, section->name, call->provider,
		    section->addresses.items[chosen - 1], element(reply, 1),
		    element(reply, 3));
	else
		log_info("route %s: pool %s, provider %s: %s (%lld of %lld "
		         "today, day %lld)",
		    call->recipient, section->name, call->provider,
		    section->addresses.items[chosen - 1], element(reply, 1),
		    element(reply, 2), element(reply, 3));
	route_reply_append(&call->reply, "OK", transport);
}

/* The reply is whole: to Postfix now, or, still inside route_decide(),
 * when it returns. */
static void
finish(struct route_call *call)
{
	call->finished = true;
	if (call->inside)
		return;
	if (call->answer != NULL)
		call->answer(call->context, &call->reply);
	call_free(call);
}

static void
on_reply(void *context, const redisReply *reply, const char *why)
{
	struct route_call *call = context;

	if (call->answer != NULL)
		read_reply(call, reply, why);
	finish(call);
}

/* The call to route_script.lua, or the fail mode at once. */
static void
ask_redis(struct route_call *call)
{
	struct script_words words = {0};

	call_words(call, &words);
	if (redis == NULL || redis_link_eval(redis, &words.text, words.lengths,
	                         (int)words.count, on_reply, call) == NULL) {
		fail(call, "Redis unavailable");
		finish(call);
	}
	script_words_free(&words);
}

static void
set_provider(struct route_call *call, const struct provider_section *provider)
{
	call->provider =
	    provider != NULL ? provider->name : ROUTE_PROVIDER_OTHER;
	call->nexthop = provider != NULL ? provider->nexthop : NULL;
	call->shaped = provider != NULL && provider->shaped;
	call->caps =
	    call->pool->caps[route_table_provider_index(call->table, provider)];
}

/* The MX hosts of a domain no provider lists: the provider they name. */
static void
on_mx(void *context, const char *const *hosts, size_t count)
{
	struct route_call *call = context;

	call->mx = NULL;
	set_provider(
	    call, route_table_provider_by_mx(call->table, hosts, count));
	ask_redis(call);
}

/* The domain of a whole address, lower case, in domain; false for a key
 * that is none (a probe of trivial-rewrite's). */
static bool
address_domain(const char *key, char *domain, size_t domain_size)
{
	const char *at = strrchr(key, '@');
	size_t length;

	if (at == NULL || at == key || at[1] == '\0')
		return false;
	length = strlen(at + 1);
	if (length >= domain_size)
		return false;
	for (size_t i = 0; i <= length; i++)
		domain[i] = (char)tolower((unsigned char)at[1 + i]);
	return true;
}

struct route_call *
route_decide(const char *sender, const char *recipient, route_answer answer,
    void *context, struct buffer *reply)
{
	char domain[DOMAIN_MAX + 1];
	struct route_table *table;
	const struct route_pool *pool;
	const struct provider_section *provider;
	struct route_call *call;

	if (!address_domain(recipient, domain, sizeof(domain))) {
		route_reply_append(reply, "NOTFOUND", "");
		return NULL;
	}
	table = (struct route_table *)daemon_runtime_acquire();
	pool = route_table_pool(table, sender != NULL ? sender : "");
	if (pool == NULL) {
		daemon_runtime_release(&table->item);
		route_reply_append(reply, "NOTFOUND", "");
		return NULL;
	}
	provider = route_table_provider(table, domain);
	call = xcalloc(1, sizeof(*call));
	call->table = table;
	call->pool = pool;
	set_provider(call, provider);
	call->answer = answer;
	call->context = context;
	call->inside = true;
	snprintf(call->recipient, sizeof(call->recipient), "%s", recipient);
	if (provider == NULL && resolver != NULL && table->knows_mx)
		call->mx = route_mx_lookup(resolver, domain, on_mx, call);
	else
		ask_redis(call);
	call->inside = false;
	if (!call->finished)
		return call;
	buffer_append(reply, call->reply.data, call->reply.length);
	call_free(call);
	return NULL;
}

void
route_decide_forget(struct route_call *call)
{
	if (call == NULL)
		return;
	if (call->mx != NULL) {
		/* Waiting for DNS: nothing will call it back. */
		route_mx_forget(call->mx);
		call_free(call);
		return;
	}
	call->answer = NULL;
}
