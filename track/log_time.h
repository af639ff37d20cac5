/*
 * log_time.h - the time at the start of a log line
 */
#ifndef WAYPOST_LOG_TIME_H
#define WAYPOST_LOG_TIME_H

#include <stddef.h>
#include <time.h>

#include "log_line.h"

size_t log_time_parse(const char *data, size_t length,
    const struct log_clock *clock, time_t *time);
time_t log_time_from_civil(
    long long year, int month, int day, int hour, int minute, int second);

#endif
