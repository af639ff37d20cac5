/*
 * NAME
 *	daemon_loop - the signals of a daemon's event loop
 * SYNOPSIS
 *	#include "daemon.h"
#include "daemon_loop.h"
 *
 *	struct daemon_loop *daemon_loop_new(base, reload, context)
 *	void daemon_loop_free(loop)
 *	void daemon_loop_reload(daemon)
 * DESCRIPTION
 *	The daemons built on libevent take their signals as one more
 *	event: daemon_signal.c's pipe, read on the loop. daemon_loop_new()
 *	adds that event to base: SIGHUP calls reload(context) (a daemon's
 *	daemon_reload(), or its own), SIGTERM and SIGINT log a line and
 *	end the loop (event_base_dispatch() returns). daemon_loop_free()
 *	removes it.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "daemon.h"
#include "daemon_loop.h"
#include "daemon_signal.h"
#include "log.h"
#include "xmalloc.h"

struct daemon_loop {
	struct event_base *base;
	struct event *signals;
	void (*reload)(void *context);
	void *context;
};

static void
on_signal(evutil_socket_t fd, short what, void *argument)
{
	struct daemon_loop *loop = argument;
	int number;

	(void)fd;
	(void)what;
	while ((number = daemon_signal_next()) != 0) {
		if (number == SIGHUP) {
			loop->reload(loop->context);
			continue;
		}
		log_info("stopping on signal %d", number);
		event_base_loopbreak(loop->base);
	}
}

struct daemon_loop *
daemon_loop_new(
    struct event_base *base, void (*reload)(void *context), void *context)
{
	struct daemon_loop *loop = xcalloc(1, sizeof(*loop));

	loop->base = base;
	loop->reload = reload;
	loop->context = context;
	loop->signals = event_new(
	    base, daemon_signal_fd(), EV_READ | EV_PERSIST, on_signal, loop);
	if (loop->signals == NULL)
		log_fatal("out of memory");
	event_add(loop->signals, NULL);
	return loop;
}

void
daemon_loop_free(struct daemon_loop *loop)
{
	if (loop == NULL)
		return;
	event_free(loop->signals);
	free(loop);
}

void
daemon_loop_reload(void *context)
{
	daemon_reload(context);
}
