/*
 * track_metrics.h - what waypost-trackd counts for Prometheus
 * (track_metrics.c)
 */
#ifndef WAYPOST_TRACK_METRICS_H
#define WAYPOST_TRACK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "bounce_class.h"
#include "track_outcome.h"

struct track_metrics_state {
	const struct track_counters *counters;
	uint64_t long_lines;
	double lag_seconds; /* behind the newest line written to the log */
	size_t waiting;     /* records read, not yet in Redis */
	size_t open_messages;
};

void track_metrics_init(void);
void track_metrics_outcome(
    enum track_outcome_type type, enum bounce_class class);
void track_metrics_refused_suppressed(void);
void track_metrics_note(const char *text);
void track_metrics_publish(const struct track_metrics_state *state);

#endif
