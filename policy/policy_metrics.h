/*
 * policy_metrics.h - what waypost-policyd counts for Prometheus
 * (policy_metrics.c)
 */
#ifndef WAYPOST_POLICY_METRICS_H
#define WAYPOST_POLICY_METRICS_H

#include <stdbool.h>

#include "policy_request.h"

void policy_metrics_init(void);
void policy_metrics_connection(bool opened);
void policy_metrics_answered(
    enum policy_state stage, const char *action, double seconds);
void policy_metrics_refused(const char *check, const char *limit);
void policy_metrics_fail_mode(bool open);

#endif
