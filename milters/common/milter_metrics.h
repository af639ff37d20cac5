/*
 * milter_metrics.h - the metrics every Waypost milter serves
 */
#ifndef WAYPOST_MILTER_METRICS_H
#define WAYPOST_MILTER_METRICS_H

#include "milter_engine.h"

void milter_metrics_init(void);
void milter_metrics_connection_opened(void);
void milter_metrics_connection_closed(void);
void milter_metrics_connection_refused(void);
void milter_metrics_protocol_error(void);
void milter_metrics_verdict(enum milter_status status);
void milter_metrics_end_of_message(double seconds);

#endif
