/*
 * daily_cap.h - a warm-up schedule's word: a day's cap, or unlimited
 */
#ifndef WAYPOST_DAILY_CAP_H
#define WAYPOST_DAILY_CAP_H

#include <stdbool.h>

#define DAILY_CAP_MAX       1000000000LL
#define DAILY_CAP_UNLIMITED (-1LL)
#define DAILY_CAP_DAYS      366 /* caps in one schedule */

bool daily_cap_parse(const char *word, long long *cap);

#endif
