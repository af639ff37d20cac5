/*
 * NAME
 *	headers_metrics - what waypost-headers counts, for Prometheus
 * SYNOPSIS
 *	#include "headers_metrics.h"
 *
 *	void headers_metrics_init(void)
 *	void headers_metrics_repaired(rules)
 *	void headers_metrics_refused_by_rule(rules)
 *	void headers_metrics_refused(refusal)
 *	void headers_metrics_redis(answering)
 *	void headers_metrics_redis_unused(void)
 * DESCRIPTION
 *	waypost-headers' families (lib/metrics.c), beside the milter
 *	engine's (milters/common/milter_metrics.c):
 *
 *	waypost_headers_repairs_total{rule}
 *		messages a rule changed, once per rule and message; rule is
 *		the name of the rule's switch (normalize_rule_names). Only
 *		changes the MTA made count: report_only changes nothing.
 *	waypost_headers_refusals_total{reason}
 *		messages refused (a 5xx or 4xx verdict): by the rule that
 *		refused them (its name, as above), or oversize,
 *		shutting_down, not_ready, mta_refused (the MTA refused an
 *		edit: 451), identities_unavailable (rule from_ownership could
 *		not ask Redis: 451).
 *
 *	headers_metrics_init() registers them, every rule and reason at 0;
 *	main() calls it before anything else. The handles are kept, so a
 *	message costs an atomic addition per rule that changed it.
 *
 *	headers_metrics_redis() is /readyz's "redis" condition, for a
 *	configuration that asks Redis for sender identities: told by each
 *	lookup and probe (identity_sources.c) whether Redis answered. Only
 *	a change takes a lock.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>

#include "headers_metrics.h"
#include "metrics.h"
#include "normalize.h"

static const char *const refusal_names[REFUSAL_KINDS] = {
    [REFUSAL_OVERSIZE] = "oversize",
    [REFUSAL_SHUTTING_DOWN] = "shutting_down",
    [REFUSAL_NOT_READY] = "not_ready",
    [REFUSAL_MTA_REFUSED] = "mta_refused",
    [REFUSAL_IDENTITIES_UNAVAILABLE] = "identities_unavailable",
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct metric *repairs[NORMALIZE_RULES];
static struct metric *rule_refusals[NORMALIZE_RULES];
static struct metric *refusals[REFUSAL_KINDS];
/* The last state given to metrics_ready_set(): 0 none yet, 1 down, 2 up. */
static atomic_int redis_state;

static void
register_families(void)
{
	struct metric_family *repaired, *refused;

	repaired = metric_family("waypost_headers_repairs_total",
	    "Messages a rule changed, by rule.", METRIC_COUNTER, "rule");
	refused = metric_family("waypost_headers_refusals_total",
	    "Messages refused, by the rule or the reason.", METRIC_COUNTER,
	    "reason");
	for (size_t i = 0; i < NORMALIZE_RULES; i++) {
		repairs[i] = metric_series(repaired, normalize_rule_names[i]);
		rule_refusals[i] =
		    metric_series(refused, normalize_rule_names[i]);
	}
	for (size_t i = 0; i < REFUSAL_KINDS; i++)
		refusals[i] = metric_series(refused, refusal_names[i]);
}

void
headers_metrics_init(void)
{
	pthread_once(&once, register_families);
}

void
headers_metrics_repaired(const struct rule_context *rules)
{
	headers_metrics_init();
	for (size_t i = 0; i < NORMALIZE_RULES; i++)
		if (rules->changed_rules & (1U << i))
			metric_inc(repairs[i]);
}

/* A 4xx from a rule is from_ownership's: Redis did not answer. */
void
headers_metrics_refused_by_rule(const struct rule_context *rules)
{
	headers_metrics_init();
	if (rules->reply_code[0] == '4')
		metric_inc(refusals[REFUSAL_IDENTITIES_UNAVAILABLE]);
	else if (rules->refused_by >= 0 && rules->refused_by < NORMALIZE_RULES)
		metric_inc(rule_refusals[rules->refused_by]);
}

void
headers_metrics_refused(enum headers_refusal refusal)
{
	headers_metrics_init();
	metric_inc(refusals[refusal]);
}

void
headers_metrics_redis(bool answering)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int state = answering ? 2 : 1;

	if (atomic_load(&redis_state) == state)
		return;
	/* Two threads that saw different answers: the later one wins. */
	pthread_mutex_lock(&lock);
	if (atomic_load(&redis_state) != state) {
		atomic_store(&redis_state, state);
		metrics_ready_set("redis", answering);
	}
	pthread_mutex_unlock(&lock);
}

/* A reload that stopped asking Redis: it no longer holds /readyz back. */
void
headers_metrics_redis_unused(void)
{
	if (atomic_load(&redis_state) == 1)
		headers_metrics_redis(true);
}
