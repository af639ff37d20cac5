/*
 * hook_metrics.h - what waypost-hookd counts for Prometheus, per
 * endpoint (hook_metrics.c)
 */
#ifndef WAYPOST_HOOK_METRICS_H
#define WAYPOST_HOOK_METRICS_H

#include "metrics.h"

enum hook_result {
	HOOK_RESULT_DELIVERED,
	HOOK_RESULT_FAILED, /* one attempt; retried */
	HOOK_RESULT_DEAD,   /* given up: in the dead letters */
	HOOK_RESULT_SKIPPED,
	HOOK_RESULT_LOST,
	HOOK_RESULT_DROPPED, /* over backlog_max */
	HOOK_RESULT_CLAIMED,
	HOOK_RESULTS
};

/* The series of one endpoint; the gauges are NULL for the endpoints set
 * in Redis (their label is shared). */
struct hook_metrics {
	struct metric *results[HOOK_RESULTS];
	struct metric *duration;
	struct metric *backlog;
	struct metric *breaker_open;
	struct metric *disabled;
};

void hook_metrics_of(const char *endpoint, struct hook_metrics *metrics);

#endif
