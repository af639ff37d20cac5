/*
 * NAME
 *	policy_decide - a policy request's answer from the checks and limits
 * SYNOPSIS
 *	#include "policy_decide.h"
 *
 *	struct swap_item *decide_build(config, errors)
 *	void decide_start(link)
 *	struct decision *decide(request, seen, answer,
 *		context, action, action_size)
 *	void decide_forget(decision)
 *	void decide_shutdown(void)
 *	void decide_dry_run(config, identities, request, eval, context, run)
 *	void decide_dry_run_free(run)
 * DESCRIPTION
 *	decide() answers one request. Only MAIL, RCPT, DATA and
 *	END-OF-MESSAGE concern waypost-policyd; at other stages the answer
 *	is DUNNO. First the checks that need no Redis: at RCPT, an open
 *	relay attempt (relay_check.c); then what account_check.c refuses
 *	on its own. Such an answer, and DUNNO when neither a check nor a
 *	limit needs Redis (no limit applies: its subject is empty, or the
 *	client or user is exempt), is written to action and NULL is
 *	returned.
 *
 *	Otherwise the account checks (suspension, sender ownership,
 *	compromise detection, warm-up cap) and every limit that applies go
 *	to Redis in one call of decide_script.lua (made and read by
 *	script_call.c, typed both ways): at MAIL, RCPT and DATA to
 *	check only (a subject already at its maximum is refused before the
 *	message is sent; limits are not asked at MAIL); at END-OF-MESSAGE to
 *	charge each limit (1 message, recipient_count recipients, or size
 *	bytes) and the warm-up cap, or refuse without charging any, once per
 *	message (instance). A recipient_domain limit charges a message to
 *	several recipients once per domain they are in, by the domains seen
 *	at RCPT (recipient_domains.c, seen). The answer then comes through
 *	answer(context, action), and the decision is returned so
 *	decide_forget() can stop that call when the Postfix connection goes
 *	away.
 *
 *	A check that Redis passed is kept in the runtime's check_cache.c
 *	for check_cache_time, with the room the script reported, and the
 *	same check again (the same call but for the message) is answered
 *	DUNNO from there; END-OF-MESSAGE always asks Redis. Any answer but
 *	DUNNO empties the cache.
 *
 *	A refusal by a limit: the limit's action, by default
 *	"DEFER_IF_PERMIT 4.7.1 NAME exceeded, try again in N seconds", with
 *	one log line naming the queue ID, limit, subject, count and
 *	maximum; by a check: account_check.c's action and log line. When
 *	Redis cannot answer, fail_mode decides: DUNNO (open) or
 *	"DEFER_IF_PERMIT 4.3.0 rate limiting temporarily unavailable"
 *	(closed).
 *
 *	Keys (lib/redis_keys.c names them): a limit's counter per subject,
 *	an operator's override of a subject's maximums (a customer's
 *	plan), a message's stored decision, and account_check.c's.
 *
 *	decide_build() is waypost-policyd's build() for lib/daemon.c: the
 *	runtime a configuration makes (the configuration itself, its
 *	identities_file, read once per load, and the check cache), which
 *	lib/daemon.c makes current at start and on SIGHUP. A decision
 *	acquires the current runtime when it starts and releases it when it
 *	ends, so a request waiting for Redis finishes with the limits it
 *	started with; the configuration lives as long as the runtimes built
 *	from it (lib/swap_slot.c). decide_start() gives the Redis link every
 *	decision asks, decide_shutdown() takes it back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account_check.h"
#include "buffer.h"
#include "check_cache.h"
#include "daemon.h"
#include "limit_subject.h"
#include "log.h"
#include "monotonic.h"
#include "policy_decide.h"
#include "policy_metrics.h"
#include "relay_check.h"
#include "script_call.h"
#include "text_copy.h"
#include "xmalloc.h"

struct runtime {
	struct swap_item item; /* first: lib/daemon.c's slot holds this */
	const struct policy_config *config; /* lives as long as this */
	struct identity_file identities;    /* empty without identities_file */
	struct check_cache *cache;          /* NULL: check_cache_time = 0 */
};

struct decision {
	struct runtime *runtime; /* NULL: a dry run, which has no cache */
	const struct policy_config *config;
	decide_answer answer; /* NULL: forgotten */
	void *context;
	char queue_id[64];
	struct account_check check;
	size_t count, capacity;
	size_t *indexes;             /* into config->limits */
	struct script_limit *limits; /* each subject its own copy */
	bool charge;                 /* END-OF-MESSAGE, else a check */
	bool dry;                    /* decide_dry_run() */
	struct buffer cache_key;     /* of a check: its call less the message */
	struct script_pending pending;
};

/* The daemon's one Redis link (policy_main.c makes it). */
static struct redis_link *redis;

static void
runtime_destroy(struct swap_item *item)
{
	struct runtime *runtime = (struct runtime *)item;

	identity_file_free(&runtime->identities);
	check_cache_free(runtime->cache);
	free(runtime);
}

struct swap_item *
decide_build(const void *config_struct, struct config_errors *errors)
{
	const struct policy_config *config = config_struct;
	struct runtime *runtime = xcalloc(1, sizeof(*runtime));

	/* -n, start and reload: a file with errors refuses the load. */
	if (config->policy.identities_file != NULL &&
	    !identity_file_load(
	        config->policy.identities_file, &runtime->identities, errors)) {
		identity_file_free(&runtime->identities);
		free(runtime);
		return NULL;
	}
	swap_item_init(&runtime->item, runtime_destroy);
	runtime->config = config;
	if (config->policy.check_cache_time > 0)
		runtime->cache = check_cache_new();
	return &runtime->item;
}

void
decide_start(struct redis_link *link)
{
	redis = link;
}

void
decide_shutdown(void)
{
	redis = NULL;
}

static void
decision_free(struct decision *decision)
{
	for (size_t i = 0; i < decision->count; i++)
		free((char *)decision->limits[i].subject);
	free(decision->limits);
	free(decision->indexes);
	buffer_free(&decision->cache_key);
	if (decision->runtime != NULL)
		daemon_runtime_release(&decision->runtime->item);
	free(decision);
}

/* What a limit charges (charge) or needs free (check) for a request. */
static unsigned long long
amount(const struct limit_section *limit, const struct policy_request *request,
    bool charge)
{
	switch (limit->count) {
	case COUNT_RECIPIENTS:
		return charge ? request->recipient_count : 1;
	case COUNT_BYTES:
		return charge || request->size > 0 ? request->size : 1;
	default:
		return 1;
	}
}

static void
action_text(const struct limit_section *limit, long long seconds, char *action,
    size_t action_size)
{
	if (limit->action != NULL)
		text_copy(action, action_size, limit->action);
	else
		snprintf(action, action_size,
		    "DEFER_IF_PERMIT 4.7.1 %s exceeded, try again in %lld "
		    "seconds",
		    limit->name, seconds);
}

static void
unavailable(const struct policy_config *config, const char *queue_id,
    const char *why, char *action, size_t action_size)
{
	bool open = config->redis.fail_mode == REDIS_FAIL_OPEN;

	policy_metrics_fail_mode(open);
	/* The outage itself is logged by redis_link.c, once a second. */
	log_event(open ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, queue_id,
	    "limits and checks not asked of Redis (%s): %s", why,
	    open ? "DUNNO (fail_mode = open)"
	         : "deferred (fail_mode = closed)");
	text_copy(action, action_size,
	    open ? "DUNNO"
	         : "DEFER_IF_PERMIT 4.3.0 rate limiting temporarily "
	           "unavailable");
}

/* A limit refused: its action, and a line naming it. */
static void
refused(const struct decision *decision, const struct script_answer *answer,
    char *action, size_t action_size)
{
	const struct limit_section *limit =
	    decision->config->limits.items[decision->indexes[answer->limit]];

	action_text(limit, answer->seconds, action, action_size);
	policy_metrics_refused("limit", limit->name);
	log_event(LOG_LEVEL_NOTICE, decision->queue_id,
	    "limit %s: %s at %lld of %lld: %s", limit->name,
	    decision->limits[answer->limit].subject, answer->count, answer->max,
	    action);
}

static void
passed(const struct decision *decision, const struct script_answer *answer,
    char *action, size_t action_size)
{
	if (!decision->charge && answer->outcome == SCRIPT_PASSED &&
	    decision->runtime != NULL)
		check_cache_store(decision->runtime->cache,
		    decision->cache_key.data, decision->cache_key.length,
		    answer->room, monotonic_ms(),
		    decision->config->policy.check_cache_time);
	text_copy(action, action_size, "DUNNO");
	log_event(LOG_LEVEL_DEBUG, decision->queue_id,
	    "passed: %zu limits, checks \"%s%s%s%s%s\": DUNNO", decision->count,
	    decision->check.asked & SCRIPT_ASKS_SUSPENSION ? "s" : "",
	    decision->check.asked & SCRIPT_ASKS_OWNERSHIP ? "o" : "",
	    decision->check.asked & SCRIPT_ASKS_COMPROMISE ? "c" : "",
	    decision->check.asked & SCRIPT_ASKS_WARMUP ? "w" : "",
	    decision->check.asked & SCRIPT_ASKS_SUPPRESSION ? "x" : "");
}

static void
read_answer(const struct decision *decision, const struct script_answer *answer,
    char *action, size_t action_size)
{
	switch (answer->outcome) {
	case SCRIPT_PASSED:
	case SCRIPT_CHARGED_BEFORE:
		passed(decision, answer, action, action_size);
		return;
	case SCRIPT_LIMIT_REACHED:
		refused(decision, answer, action, action_size);
		return;
	case SCRIPT_UNAVAILABLE:
		unavailable(decision->config, decision->queue_id,
		    answer->reason, action, action_size);
		return;
	default:
		if (account_check_answer(&decision->check, decision->config,
		        decision->queue_id, answer, action, action_size))
			policy_metrics_refused(
			    account_check_name(answer->outcome), NULL);
		else
			unavailable(decision->config, decision->queue_id,
			    "unexpected reply", action, action_size);
	}
}

static void
on_answer(void *context, const struct script_answer *answer)
{
	struct decision *decision = context;
	char action[POLICY_ACTION_MAX];

	read_answer(decision, answer, action, sizeof(action));
	/* Whatever refused, a check passed a moment ago may pass no more. */
	if (strcmp(action, "DUNNO") != 0)
		check_cache_clear(decision->runtime->cache);
	if (decision->answer != NULL)
		decision->answer(decision->context, action);
	decision_free(decision);
}

static void
add_entry(struct decision *decision, size_t index, const char *subject,
    unsigned long long charged)
{
	const struct limit_section *limit =
	    decision->config->limits.items[index];

	if (decision->count == decision->capacity) {
		decision->capacity = decision->capacity * 2 + 4;
		decision->indexes = xreallocarray(decision->indexes,
		    decision->capacity, sizeof(*decision->indexes));
		decision->limits = xreallocarray(decision->limits,
		    decision->capacity, sizeof(*decision->limits));
	}
	decision->indexes[decision->count] = index;
	decision->limits[decision->count++] = (struct script_limit){
	    .name = limit->name,
	    .subject = xstrdup(subject),
	    .max = limit->max,
	    .window_ms = limit->window,
	    .amount = charged,
	};
}

static bool
has_recipient_domain(const struct limit_section *limit)
{
	for (size_t i = 0; i < limit->part_count; i++)
		if (limit->parts[i] == SUBJECT_RECIPIENT_DOMAIN)
			return true;
	return false;
}

/* A recipient_domain limit at the end of a message to several: one
 * entry per domain the recipients were in, each charged its share. */
static void
add_per_domain(struct decision *decision, size_t index,
    const struct policy_request *request, const struct recipient_domains *seen,
    struct buffer *subject)
{
	const struct policy_config *config = decision->config;
	const struct limit_section *limit = config->limits.items[index];

	for (size_t j = 0; j < seen->count; j++) {
		char recipient[RECIPIENT_DOMAIN_MAX + 2];

		snprintf(
		    recipient, sizeof(recipient), "@%s", seen->domains[j].name);
		if (!limit_subject(
		        limit, &config->policy, request, recipient, subject))
			continue;
		add_entry(decision, index, subject->data,
		    limit->count == COUNT_RECIPIENTS
		        ? seen->domains[j].recipients
		        : amount(limit, request, true));
	}
}

/* The limits that apply, with their subjects and amounts; false: none. */
static bool
select_limits(struct decision *decision, const struct policy_request *request,
    bool charge, const struct recipient_domains *seen)
{
	const struct policy_config *config = decision->config;
	const char *recipient = policy_request_value(request, POLICY_RECIPIENT);
	struct buffer subject = {0};

	for (size_t i = 0; i < config->limits.count; i++) {
		const struct limit_section *limit = config->limits.items[i];

		if (limit_exempt(limit, request))
			continue;
		if (charge && seen != NULL && recipient[0] == '\0' &&
		    has_recipient_domain(limit))
			add_per_domain(decision, i, request, seen, &subject);
		else if (limit_subject(limit, &config->policy, request,
		             recipient, &subject))
			add_entry(decision, i, subject.data,
			    amount(limit, request, charge));
	}
	buffer_free(&subject);
	return decision->count > 0;
}

/* The script's call for the request, as words (script_call.c). */
static void
call_words(struct decision *decision, const struct policy_request *request,
    struct script_words *words)
{
	struct script_call call = {
	    .charge = decision->charge,
	    .dry = decision->dry,
	    .recipients = request->recipient_count,
	    .instance = policy_request_value(request, POLICY_INSTANCE),
	    .limits = decision->limits,
	    .limit_count = decision->count,
	};

	account_check_call(&decision->check, decision->config, request, &call);
	script_call_words(&call, decision->config->redis.prefix, words);
}

/* Answer a check from the cache, or send the script its call; false if
 * Redis is not there. */
static bool
ask(struct decision *decision, const struct policy_request *request,
    bool *cached)
{
	struct check_cache *cache = decision->runtime->cache;
	struct script_words words = {0};
	bool charge = decision->charge;
	long long age;
	bool sent = true;

	call_words(decision, request, &words);
	if (!charge && cache != NULL)
		script_call_cache_key(
		    &words, decision->count, &decision->cache_key);
	*cached =
	    !charge && check_cache_take(cache, decision->cache_key.data,
	                   decision->cache_key.length, monotonic_ms(), &age);
	if (*cached)
		log_event(LOG_LEVEL_DEBUG, decision->queue_id,
		    "passed: as Redis answered %lld ms ago (check_cache_time): "
		    "DUNNO",
		    age);
	else {
		decision->pending = (struct script_pending){
		    decision->count, on_answer, decision};
		sent = script_call_send(redis, &words, &decision->pending);
	}
	script_words_free(&words);
	return sent;
}

/* Whether a request needs Redis: a check or a limit asks it. */
static bool
needs_redis(struct decision *decision, const struct policy_request *request,
    bool charge, bool mail, const struct recipient_domains *seen)
{
	bool limits = !mail && select_limits(decision, request, charge, seen);

	return limits || decision->check.asked != 0;
}

/* What is answered before Redis: the relay check, account_check.c's
 * refusals, and DUNNO when there is nothing to ask; action then holds
 * the answer. DECIDE_ASKS_REDIS: decision holds the checks and limits
 * to ask. */
static enum decide_stage
before_redis(struct decision *decision, const struct identity_file *identities,
    const struct policy_request *request, const struct recipient_domains *seen,
    char *action, size_t action_size)
{
	const struct policy_config *config = decision->config;

	text_copy(action, action_size, "DUNNO");
	if (request->state == POLICY_STATE_OTHER)
		return DECIDE_NOTHING_TO_ASK;
	decision->charge = request->state == POLICY_STATE_END_OF_MESSAGE;
	if (relay_denied(&config->policy, request)) {
		text_copy(action, action_size, RELAY_DENIED_ACTION);
		policy_metrics_refused("relay", NULL);
		log_event(LOG_LEVEL_NOTICE, decision->queue_id,
		    "check relay: recipient not in local_domains, client %s "
		    "neither authenticated nor in trusted_networks: %s",
		    policy_request_value(request, POLICY_CLIENT_ADDRESS),
		    action);
		return DECIDE_RELAY_DENIED;
	}
	if (account_check_prepare(config, identities, request, &decision->check,
	        decision->queue_id, action, action_size)) {
		policy_metrics_refused("ownership", NULL);
		return DECIDE_REFUSED_EARLY;
	}
	if (!needs_redis(decision, request, decision->charge,
	        request->state == POLICY_STATE_MAIL, seen)) {
		log_event(LOG_LEVEL_DEBUG, decision->queue_id,
		    "passed: nothing to ask Redis: DUNNO");
		return DECIDE_NOTHING_TO_ASK;
	}
	return DECIDE_ASKS_REDIS;
}

static struct decision *
decision_new(
    const struct policy_config *config, const struct policy_request *request)
{
	struct decision *decision = xcalloc(1, sizeof(*decision));
	const char *queue_id = policy_request_value(request, POLICY_QUEUE_ID);

	decision->config = config;
	text_copy(decision->queue_id, sizeof(decision->queue_id),
	    queue_id[0] != '\0' ? queue_id : "NOQUEUE");
	return decision;
}

struct decision *
decide(const struct policy_request *request,
    const struct recipient_domains *seen, decide_answer answer, void *context,
    char *action, size_t action_size)
{
	struct decision *decision;
	struct runtime *runtime;
	bool cached;

	text_copy(action, action_size, "DUNNO");
	if (request->state == POLICY_STATE_OTHER)
		return NULL;
	if ((runtime = (struct runtime *)daemon_runtime_acquire()) == NULL)
		return NULL;
	decision = decision_new(runtime->config, request);
	decision->runtime = runtime; /* its reference, to decision_free() */
	decision->answer = answer;
	decision->context = context;
	if (before_redis(decision, &runtime->identities, request, seen, action,
	        action_size) != DECIDE_ASKS_REDIS) {
		decision_free(decision);
		return NULL;
	}
	if (!ask(decision, request, &cached)) {
		unavailable(decision->config, decision->queue_id,
		    "not connected", action, action_size);
		if (strcmp(action, "DUNNO") != 0)
			check_cache_clear(decision->runtime->cache);
		decision_free(decision);
		return NULL;
	}
	if (cached) {
		decision_free(decision);
		return NULL;
	}
	return decision;
}

void
decide_dry_run(const struct policy_config *config,
    const struct identity_file *identities,
    const struct policy_request *request, decide_eval eval, void *context,
    struct decide_dry_run *run)
{
	struct decision *decision = decision_new(config, request);
	struct script_words words = {0};
	struct redisReply *reply;
	char why[256] = "no reply";

	memset(run, 0, sizeof(*run));
	decision->dry = true;
	run->stage = before_redis(decision, identities, request, NULL,
	    run->action, sizeof(run->action));
	if (run->stage == DECIDE_ASKS_REDIS) {
		decision->charge = false; /* a dry run only ever checks */
		call_words(decision, request, &words);
		reply = eval(context, &words, why, sizeof(why));
		run->states =
		    xcalloc(decision->count + 1, sizeof(*run->states));
		run->details.limits = run->states;
		script_dry_run_read(
		    reply, why, decision->count, &run->answer, &run->details);
		freeReplyObject(reply);
		script_words_free(&words);
		read_answer(
		    decision, &run->answer, run->action, sizeof(run->action));
	}
	run->check = decision->check;
	/* tenant points into the check: into the copy now */
	run->check.tenant =
	    decision->check.tenant == decision->check.user ? run->check.user
	    : decision->check.tenant == decision->check.sender.address
	        ? run->check.sender.address
	        : "";
	run->count = decision->count;
	run->indexes = decision->indexes;
	run->limits = decision->limits;
	decision->indexes = NULL;
	decision->limits = NULL;
	decision->count = 0;
	decision_free(decision);
}

void
decide_dry_run_free(struct decide_dry_run *run)
{
	for (size_t i = 0; i < run->count; i++)
		free((char *)run->limits[i].subject);
	free(run->limits);
	free(run->indexes);
	free(run->states);
	memset(run, 0, sizeof(*run));
}

void
decide_forget(struct decision *decision)
{
	if (decision != NULL)
		decision->answer = NULL;
}
