/*
 * NAME
 *	redis_events - hiredis's asynchronous context on a libevent loop
 * SYNOPSIS
 *	#include "redis_events.h"
 *
 *	int redis_events_attach(context, base)
 * DESCRIPTION
 *	What hiredis's own libevent adapter (hiredis/adapters/libevent.h)
 *	does, through the same hooks (context->ev), with fewer system
 *	calls per command. That adapter re-adds its read event after every
 *	reply and adds and removes a write event for every command: measured
 *	with strace in waypost-policyd, four epoll_ctl() calls per command,
 *	and the command went out only after one more epoll_wait() reported
 *	the socket writable, which it almost always is.
 *
 *	Here the read event is persistent, added once. A command is written
 *	at the end of the loop pass that queued it (an event made active,
 *	no system call), so the commands of every request read in that
 *	pass go out in one write; only what the socket does not take then
 *	waits for a write event. Until the connection is made, the write
 *	event is used as the adapter does, since that is how hiredis learns
 *	the connection is up.
 *
 *	redis_events_attach() returns REDIS_ERR when something is attached
 *	already, REDIS_OK otherwise; hiredis frees what it attached with the
 *	context.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "redis_events.h"
#include "xmalloc.h"

struct redis_events {
	redisAsyncContext *context;
	struct event *readable; /* persistent */
	struct event *writable; /* the socket, when it must be waited for */
	struct event *flush;    /* made active: write at the end of the pass */
	bool flushing;          /* inside redisAsyncHandleWrite() from flush */
	bool freed;             /* hiredis let go of it while flushing */
};

static void
events_free(struct redis_events *events)
{
	event_free(events->readable);
	event_free(events->writable);
	event_free(events->flush);
	free(events);
}

static void
on_readable(evutil_socket_t fd, short what, void *argument)
{
	struct redis_events *events = argument;

	(void)fd;
	(void)what;
	redisAsyncHandleRead(events->context);
}

static void
on_writable(evutil_socket_t fd, short what, void *argument)
{
	struct redis_events *events = argument;

	(void)fd;
	(void)what;
	redisAsyncHandleWrite(events->context);
}

/* hiredis may free the context, and with it these events, while it
 * writes (a write error ends the connection). */
static void
on_flush(evutil_socket_t fd, short what, void *argument)
{
	struct redis_events *events = argument;

	(void)fd;
	(void)what;
	events->flushing = true;
	redisAsyncHandleWrite(events->context);
	if (events->freed)
		events_free(events);
	else
		events->flushing = false;
}

/* Adding an event already added, or deleting one that is not, changes
 * nothing in libevent and costs no system call. */
static void
add_read(void *argument)
{
	struct redis_events *events = argument;

	event_add(events->readable, NULL);
}

static void
del_read(void *argument)
{
	struct redis_events *events = argument;

	event_del(events->readable);
}

/* Wait for the socket while connecting, or when a write from the flush
 * left something behind: trying again at once would only spin. */
static void
add_write(void *argument)
{
	struct redis_events *events = argument;

	if (events->flushing || !(events->context->c.flags & REDIS_CONNECTED))
		event_add(events->writable, NULL);
	else if (!event_pending(events->writable, EV_WRITE, NULL))
		event_active(events->flush, EV_WRITE, 0);
}

static void
del_write(void *argument)
{
	struct redis_events *events = argument;

	event_del(events->writable);
}

static void
cleanup(void *argument)
{
	struct redis_events *events = argument;

	if (events->flushing) {
		event_del(events->readable);
		event_del(events->writable);
		events->freed = true;
		return;
	}
	events_free(events);
}

int
redis_events_attach(redisAsyncContext *context, struct event_base *base)
{
	struct redis_events *events;
	int fd = context->c.fd;

	if (context->ev.data != NULL)
		return REDIS_ERR;
	events = xcalloc(1, sizeof(*events));
	events->context = context;
	events->readable =
	    event_new(base, fd, EV_READ | EV_PERSIST, on_readable, events);
	events->writable = event_new(base, fd, EV_WRITE, on_writable, events);
	events->flush = event_new(base, -1, 0, on_flush, events);
	if (events->readable == NULL || events->writable == NULL ||
	    events->flush == NULL)
		log_fatal("out of memory");
	context->ev.addRead = add_read;
	context->ev.delRead = del_read;
	context->ev.addWrite = add_write;
	context->ev.delWrite = del_write;
	context->ev.cleanup = cleanup;
	context->ev.data = events;
	add_read(events);
	event_add(events->writable, NULL);
	return REDIS_OK;
}
