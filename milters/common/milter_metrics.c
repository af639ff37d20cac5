/*
 * NAME
 *	milter_metrics - the metrics every Waypost milter serves
 * SYNOPSIS
 *	#include "milter_metrics.h"
 *
 *	void milter_metrics_init(void)
 *	void milter_metrics_connection_opened(void)
 *	void milter_metrics_connection_closed(void)
 *	void milter_metrics_connection_refused(void)
 *	void milter_metrics_protocol_error(void)
 *	void milter_metrics_verdict(status)
 *	void milter_metrics_end_of_message(seconds)
 * DESCRIPTION
 *	The families of the shared milter engine (lib/metrics.c), counted
 *	by milter_server.c (connections) and milter_engine.c (verdicts,
 *	time at the end of the message):
 *
 *	waypost_milter_connections_total          MTA connections accepted
 *	waypost_milter_connections_open           gauge
 *	waypost_milter_connections_refused_total  over the connection bound
 *	waypost_milter_protocol_errors_total      connections closed for
 *	                                          breaking the protocol
 *	waypost_milter_messages_total{result}     verdicts: accept, reject,
 *	                                          tempfail, discard
 *	waypost_milter_message_duration_seconds   histogram of the end of
 *	                                          message step
 *
 *	milter_metrics_init() registers them all, every result at 0;
 *	milter_main() calls it before the metrics endpoint starts. Every
 *	other function registers them on first use too (pthread_once), so
 *	a unit test of the engine counts as the daemon does. The series
 *	handles are kept: a message costs atomic additions, no lookup.
 */
#include "config.h"

#include <pthread.h>

#include "metrics.h"
#include "milter_metrics.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct metric *connections;
static struct metric *connections_open;
static struct metric *connections_refused;
static struct metric *protocol_errors;
static struct metric *verdicts[MILTER_DISCARD + 1]; /* by status */
static struct metric *eom_duration;

static void
register_families(void)
{
	struct metric_family *messages;

	connections =
	    metric_series(metric_family("waypost_milter_connections_total",
	        "MTA connections accepted.", METRIC_COUNTER, NULL));
	connections_open =
	    metric_series(metric_family("waypost_milter_connections_open",
	        "MTA connections open now.", METRIC_GAUGE, NULL));
	connections_refused = metric_series(
	    metric_family("waypost_milter_connections_refused_total",
	        "MTA connections closed on arrival: too many open.",
	        METRIC_COUNTER, NULL));
	protocol_errors =
	    metric_series(metric_family("waypost_milter_protocol_errors_total",
	        "MTA connections closed for breaking the milter protocol.",
	        METRIC_COUNTER, NULL));
	messages = metric_family("waypost_milter_messages_total",
	    "Messages by the verdict sent to the MTA.", METRIC_COUNTER,
	    "result");
	/* "continue" at the end of a message is an accept. */
	verdicts[MILTER_CONTINUE] = verdicts[MILTER_ACCEPT] =
	    metric_series(messages, "accept");
	verdicts[MILTER_REJECT] = metric_series(messages, "reject");
	verdicts[MILTER_TEMPFAIL] = metric_series(messages, "tempfail");
	verdicts[MILTER_DISCARD] = metric_series(messages, "discard");
	eom_duration = metric_series(
	    metric_family("waypost_milter_message_duration_seconds",
	        "Time the end of a message took, from the MTA's end of "
	        "message to the verdict.",
	        METRIC_HISTOGRAM, NULL));
}

void
milter_metrics_init(void)
{
	pthread_once(&once, register_families);
}

void
milter_metrics_connection_opened(void)
{
	milter_metrics_init();
	metric_inc(connections);
	metric_gauge_add(connections_open, 1);
}

void
milter_metrics_connection_closed(void)
{
	milter_metrics_init();
	metric_gauge_add(connections_open, -1);
}

void
milter_metrics_connection_refused(void)
{
	milter_metrics_init();
	metric_inc(connections_refused);
}

void
milter_metrics_protocol_error(void)
{
	milter_metrics_init();
	metric_inc(protocol_errors);
}

void
milter_metrics_verdict(enum milter_status status)
{
	milter_metrics_init();
	if ((unsigned)status <= MILTER_DISCARD)
		metric_inc(verdicts[status]);
}

void
milter_metrics_end_of_message(double seconds)
{
	milter_metrics_init();
	metric_observe(eom_duration, seconds);
}
