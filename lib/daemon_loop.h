/*
 * daemon_loop.h - the signals of a daemon's event loop
 */
#ifndef WAYPOST_DAEMON_LOOP_H
#define WAYPOST_DAEMON_LOOP_H

#include <event2/event.h>

struct daemon_loop;

/* reload(context) on SIGHUP; any other signal ends the loop. */
struct daemon_loop *daemon_loop_new(
    struct event_base *base, void (*reload)(void *context), void *context);
void daemon_loop_free(struct daemon_loop *loop);
/* A reload for daemon_loop_new(): daemon_reload(context), a daemon. */
void daemon_loop_reload(void *context);

#endif
