/*
 * headers_metrics.h - what waypost-headers counts, for Prometheus
 */
#ifndef WAYPOST_HEADERS_METRICS_H
#define WAYPOST_HEADERS_METRICS_H

#include <stdbool.h>

#include "rules.h"

/* Refusals that no rule makes; the label values are in headers_metrics.c. */
enum headers_refusal {
	REFUSAL_OVERSIZE,
	REFUSAL_SHUTTING_DOWN,
	REFUSAL_NOT_READY,
	REFUSAL_MTA_REFUSED,
	REFUSAL_IDENTITIES_UNAVAILABLE,
	REFUSAL_KINDS /* how many */
};

void headers_metrics_init(void);
void headers_metrics_repaired(const struct rule_context *rules);
void headers_metrics_refused_by_rule(const struct rule_context *rules);
void headers_metrics_refused(enum headers_refusal refusal);
void headers_metrics_redis(bool answering);
void headers_metrics_redis_unused(void);

#endif
