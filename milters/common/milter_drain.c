/*
 * NAME
 *	milter_drain - count messages in flight, so a stop can wait for them
 * SYNOPSIS
 *	#include "milter_drain.h"
 *
 *	bool milter_drain_enter(void)
 *	void milter_drain_leave(void)
 *	void milter_drain_refuse_new(void)
 *	size_t milter_drain_wait(timeout_ms)
 * DESCRIPTION
 *	The graceful stop of a milter. A message enters at MAIL FROM and
 *	leaves with its verdict; milter_drain_enter() returns false once
 *	milter_drain_refuse_new() was called, and the filter then refuses
 *	the message with a 4xx (the client retries). milter_drain_wait()
 *	returns when no message is in flight or after timeout_ms, with the
 *	number still in flight. Messages, not connections: Postfix keeps a
 *	milter connection for a whole SMTP session, idle between messages.
 *
 *	One count per process: a process serves one filter.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "milter_drain.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t none_left = PTHREAD_COND_INITIALIZER;
static bool refusing;    /* under lock */
static size_t in_flight; /* under lock */

bool
milter_drain_enter(void)
{
	bool entered;

	pthread_mutex_lock(&lock);
	entered = !refusing;
	in_flight += entered;
	pthread_mutex_unlock(&lock);
	return entered;
}

void
milter_drain_leave(void)
{
	pthread_mutex_lock(&lock);
	if (--in_flight == 0)
		pthread_cond_broadcast(&none_left);
	pthread_mutex_unlock(&lock);
}

void
milter_drain_refuse_new(void)
{
	pthread_mutex_lock(&lock);
	refusing = true;
	pthread_mutex_unlock(&lock);
}

size_t
milter_drain_wait(long long timeout_ms)
{
	struct timespec deadline;
	size_t open;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	while (in_flight > 0 && pthread_cond_timedwait(
	                            &none_left, &lock, &deadline) != ETIMEDOUT)
		;
	open = in_flight;
	pthread_mutex_unlock(&lock);
	return open;
}
