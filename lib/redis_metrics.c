/*
 * NAME
 *	redis_metrics - Redis commands by result, their latency, and whether
 *	Redis is reachable
 * SYNOPSIS
 *	#include "redis_metrics.h"
 *
 *	void redis_metrics_init(void)
 *	void redis_metrics_command(result, seconds)
 *	void redis_metrics_connected(up)
 * DESCRIPTION
 *	The clients of lib/ (redis_link.c, redis_pool.c) and waypost-trackd's
 *	store report each command here, so every daemon exposes the same
 *	names:
 *
 *	waypost_redis_commands_total{result}: ok, error, timeout, lost,
 *	unavailable (not sent: no connection; the fail mode answered);
 *	waypost_redis_command_duration_seconds: from sending to the reply,
 *	for the commands that had one (a pipelined batch counts once);
 *	waypost_redis_up: 1 while connected.
 *
 *	redis_metrics_connected() also sets the readiness condition "redis"
 *	of /readyz. Calls before redis_metrics_init() register the families
 *	themselves; no call is needed before the first command.
 */
#include "config.h"

#include "metrics.h"
#include "redis_metrics.h"

static const char *const result_names[REDIS_RESULTS] = {
    "ok", "error", "timeout", "lost", "unavailable"};

static struct metric *results[REDIS_RESULTS];
static struct metric *latency;
static struct metric *up;

void
redis_metrics_init(void)
{
	struct metric_family *commands;

	if (latency != NULL)
		return;
	commands = metric_family("waypost_redis_commands_total",
	    "Redis commands by result.", METRIC_COUNTER, "result");
	for (int i = 0; i < REDIS_RESULTS; i++)
		results[i] = metric_series(commands, result_names[i]);
	latency = metric_series(
	    metric_family("waypost_redis_command_duration_seconds",
	        "Time from sending a Redis command to its reply.",
	        METRIC_HISTOGRAM, NULL));
	up = metric_series(metric_family("waypost_redis_up",
	    "1 while the daemon is connected to Redis.", METRIC_GAUGE, NULL));
}

void
redis_metrics_command(enum redis_result result, double seconds)
{
	redis_metrics_init();
	metric_inc(results[result]);
	if (result == REDIS_RESULT_OK || result == REDIS_RESULT_ERROR)
		metric_observe(latency, seconds);
}

void
redis_metrics_connected(bool connected)
{
	redis_metrics_init();
	metric_set(up, connected ? 1 : 0);
	metrics_ready_set("redis", connected);
}
