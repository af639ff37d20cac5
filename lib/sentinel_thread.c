/*
 * NAME
 *	sentinel_thread - the sentinels watched from a thread of its own,
 *	for blocking clients
 * SYNOPSIS
 *	#include "sentinel_thread.h"
 *
 *	struct sentinel_thread *sentinel_thread_start(settings, found,
 *		context, error, error_size)
 *	void sentinel_thread_stop(thread)
 * DESCRIPTION
 *	The programs that ask Redis with blocking calls (redis_pool.c:
 *	waypost-headers' identities, waypost-trackd's records) have no
 *	event loop for sentinel_watch.c. sentinel_thread_start() gives it
 *	one: a thread with its own libevent base, every signal blocked (the
 *	daemon's threads take them), running a watch of settings' sentinels:
 *	subscribed to +switch-master on each, and asking them every
 *	REDIS_SENTINEL_ASK_MS. found(context, master, why) is called on that
 *	thread, as sentinel_watch.c says, so what it touches must be locked.
 *	NULL, with the reason in error, when the thread cannot be made.
 *
 *	sentinel_thread_stop() ends the loop (a byte on a pipe the loop
 *	reads, so no libevent locking is needed), waits for the thread and
 *	frees it; found() is not called after it returns.
 *
 *	Start it after the daemon forked: a fork keeps the calling thread
 *	alone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sentinel_thread.h"
#include "xmalloc.h"

struct sentinel_thread {
	pthread_t thread;
	struct event_base *base;
	struct event *stop_event;
	struct sentinel_watch *watch;
	int stop_pipe[2];
};

static void
on_stop(evutil_socket_t fd, short what, void *context)
{
	struct sentinel_thread *thread = context;

	(void)fd;
	(void)what;
	event_base_loopbreak(thread->base);
}

static void *
run(void *context)
{
	struct sentinel_thread *thread = context;

	sentinel_watch_ask(thread->watch);
	event_base_dispatch(thread->base);
	return NULL;
}

static void
thread_free(struct sentinel_thread *thread)
{
	sentinel_watch_free(thread->watch);
	if (thread->stop_event != NULL)
		event_free(thread->stop_event);
	if (thread->base != NULL)
		event_base_free(thread->base);
	for (int i = 0; i < 2; i++)
		if (thread->stop_pipe[i] >= 0)
			close(thread->stop_pipe[i]);
	free(thread);
}

struct sentinel_thread *
sentinel_thread_start(const struct redis_settings *settings,
    sentinel_found found, void *context, char *error, size_t error_size)
{
	struct sentinel_thread *thread = xcalloc(1, sizeof(*thread));
	sigset_t all, before;
	int failed;

	thread->stop_pipe[0] = thread->stop_pipe[1] = -1;
	if (pipe2(thread->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(error, error_size, "pipe: %s", strerror(errno));
		thread_free(thread);
		return NULL;
	}
	thread->base = event_base_new();
	if (thread->base == NULL) {
		snprintf(error, error_size, "cannot make an event loop");
		thread_free(thread);
		return NULL;
	}
	thread->stop_event = event_new(
	    thread->base, thread->stop_pipe[0], EV_READ, on_stop, thread);
	event_add(thread->stop_event, NULL);
	thread->watch =
	    sentinel_watch_new(thread->base, settings, found, context);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	failed = pthread_create(&thread->thread, NULL, run, thread);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	if (failed != 0) {
		snprintf(
		    error, error_size, "pthread_create: %s", strerror(failed));
		thread_free(thread);
		return NULL;
	}
	return thread;
}

void
sentinel_thread_stop(struct sentinel_thread *thread)
{
	ssize_t written;

	if (thread == NULL)
		return;
	do
		written = write(thread->stop_pipe[1], "", 1);
	while (written < 0 && errno == EINTR);
	pthread_join(thread->thread, NULL);
	thread_free(thread);
}
