/*
 * redis_metrics.h - what every Redis client of Waypost counts
 * (redis_metrics.c)
 */
#ifndef WAYPOST_REDIS_METRICS_H
#define WAYPOST_REDIS_METRICS_H

#include <stdbool.h>

enum redis_result {
	REDIS_RESULT_OK,          /* a reply, not an error */
	REDIS_RESULT_ERROR,       /* an error reply */
	REDIS_RESULT_TIMEOUT,     /* no reply within [redis] timeout */
	REDIS_RESULT_LOST,        /* the connection ended before the reply */
	REDIS_RESULT_UNAVAILABLE, /* not sent: no connection */
	REDIS_RESULTS
};

void redis_metrics_init(void);
void redis_metrics_command(enum redis_result result, double seconds);
void redis_metrics_connected(bool up);

#endif
