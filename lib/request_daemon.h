/*
 * request_daemon.h - the main loop of a daemon that answers Postfix's
 * requests with the help of one Redis script
 */
#ifndef WAYPOST_REQUEST_DAEMON_H
#define WAYPOST_REQUEST_DAEMON_H

#include "config_common.h"
#include "daemon.h"
#include "redis_link.h"
#include "request_server.h"

struct request_daemon {
	const struct request_protocol *protocol;
	const char *script; /* the Lua script of its Redis link */
	/* The loop and the link its work asks. */
	void (*start)(struct event_base *base, struct redis_link *link);
	void (*stop)(void); /* the link is going */
};

int request_daemon_run(struct daemon *daemon,
    const struct redis_settings *redis, const struct request_daemon *what);

#endif
