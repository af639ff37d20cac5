/*
 * NAME
 *	hook_metrics - waypost-hookd's deliveries, backlog and breakers as
 *	Prometheus metrics
 * SYNOPSIS
 *	#include "hook_metrics.h"
 *
 *	void hook_metrics_of(endpoint, metrics)
 * DESCRIPTION
 *	The names, which waypost-hookd(8) lists under METRICS and which
 *	never change, each with the label endpoint (the [webhook] section's
 *	name; "_tenants" for every webhook a tenant set in Redis, whose own
 *	names would carry the tenant):
 *
 *	waypost_hook_events_total{endpoint,result}: events by what became
 *	of them: delivered, failed (one attempt; retried), dead_letter,
 *	skipped (a type the endpoint does not take), lost (trimmed from the
 *	stream first), dropped (over backlog_max), claimed (from a dead
 *	consumer);
 *	waypost_hook_request_duration_seconds{endpoint}: each POST, from
 *	sending to the answer or the error;
 *	waypost_hook_backlog{endpoint}: events not yet delivered (read
 *	and held, plus those not read yet);
 *	waypost_hook_breaker_open{endpoint} and
 *	waypost_hook_disabled{endpoint}: 1 while the circuit breaker holds
 *	the endpoint, or its stop status disabled it.
 *
 *	hook_metrics_of() gives an endpoint its handles when it starts;
 *	the updates are the endpoint's (hook_endpoint.c), in the event
 *	loop's thread.
 */
#include "config.h"

#include <string.h>

#include "hook_metrics.h"

#define TENANTS_LABEL "_tenants"

static const char *const result_names[HOOK_RESULTS] = {"delivered", "failed",
    "dead_letter", "skipped", "lost", "dropped", "claimed"};

static struct metric *
gauge(const char *name, const char *help, const char *endpoint)
{
	return metric_series(
	    metric_family(name, help, METRIC_GAUGE, "endpoint"), endpoint);
}

void
hook_metrics_of(const char *endpoint, struct hook_metrics *metrics)
{
	bool tenant = strchr(endpoint, ':') != NULL;
	const char *label = tenant ? TENANTS_LABEL : endpoint;
	struct metric_family *events;

	memset(metrics, 0, sizeof(*metrics));
	events = metric_family("waypost_hook_events_total",
	    "Events by endpoint and what became of them.", METRIC_COUNTER,
	    "endpoint,result");
	for (int i = 0; i < HOOK_RESULTS; i++)
		metrics->results[i] =
		    metric_series(events, label, result_names[i]);
	metrics->duration =
	    metric_series(metric_family("waypost_hook_request_duration_seconds",
	                      "Time from a POST sent to its answer or error.",
	                      METRIC_HISTOGRAM, "endpoint"),
	        label);
	if (tenant)
		return;
	metrics->backlog = gauge("waypost_hook_backlog",
	    "Events not yet delivered to the endpoint.", endpoint);
	metrics->breaker_open = gauge("waypost_hook_breaker_open",
	    "1 while the circuit breaker holds the endpoint.", endpoint);
	metrics->disabled = gauge("waypost_hook_disabled",
	    "1 while a stop status keeps the endpoint disabled.", endpoint);
}
