/*
 * monotonic.h - the monotonic clock in milliseconds, and timevals of them
 */
#ifndef WAYPOST_MONOTONIC_H
#define WAYPOST_MONOTONIC_H

#include <sys/time.h>

long long monotonic_ms(void);
double monotonic_ms_exact(void);
struct timeval timeval_of_ms(long long milliseconds);

#endif
