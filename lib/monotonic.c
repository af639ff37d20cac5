/*
 * NAME
 *	monotonic - the monotonic clock in milliseconds, and timevals of them
 * SYNOPSIS
 *	#include "monotonic.h"
 *
 *	long long monotonic_ms(void)
 *	double monotonic_ms_exact(void)
 *	struct timeval timeval_of_ms(milliseconds)
 * DESCRIPTION
 *	Timeouts and latencies are measured on CLOCK_MONOTONIC, which a
 *	change of the wall clock does not move: monotonic_ms() in whole
 *	milliseconds, monotonic_ms_exact() with the fraction (for the load
 *	tools' latencies). timeval_of_ms() turns a duration of the
 *	configuration (milliseconds) into what libevent and hiredis take.
 */
#include "config.h"

#include <time.h>

#include "monotonic.h"

long long
monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

double
monotonic_ms_exact(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1000 + (double)now.tv_nsec / 1e6;
}

struct timeval
timeval_of_ms(long long milliseconds)
{
	struct timeval tv = {(time_t)(milliseconds / 1000),
	    (suseconds_t)(milliseconds % 1000) * 1000};

	return tv;
}
