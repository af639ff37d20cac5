/*
 * NAME
 *	request_daemon - the main loop of a daemon that answers Postfix's
 *	requests with the help of one Redis script
 * SYNOPSIS
 *	#include "request_daemon.h"
 *
 *	int request_daemon_run(daemon, redis, what)
 * DESCRIPTION
 *	The run() of waypost-policyd and waypost-routed, once lib/daemon.c
 *	has bound the socket and given up root: one libevent loop with
 *	libevent's messages in the daemon's log (event_log.c), one Redis
 *	link for what->script (redis_link.c), given to the daemon's work
 *	by what->start(), the daemon's connections served by
 *	request_server.c with what->protocol, and the signals
 *	(daemon_loop.c: SIGHUP reloads, SIGTERM and SIGINT stop). When the
 *	loop ends, the connections close, what->stop() takes the link back
 *	and it is freed. Returns the exit status: 0, or 1 when the loop or
 *	the listener cannot be made.
 */
#include "config.h"

#include "daemon_loop.h"
#include "event_log.h"
#include "log.h"
#include "request_daemon.h"

int
request_daemon_run(struct daemon *daemon, const struct redis_settings *redis,
    const struct request_daemon *what)
{
	struct event_base *base;
	struct redis_link *link;
	struct request_server *server;
	struct daemon_loop *signals;
	char error[256];
	int status = 0;

	event_log_route();
	base = event_base_new();
	if (base == NULL) {
		log_error("cannot make an event loop");
		return 1;
	}
	link = redis_link_new(base, redis, what->script);
	what->start(base, link);
	server = request_server_start(base, daemon_listen_fd(daemon),
	    what->protocol, error, sizeof(error));
	if (server == NULL) {
		log_error("%s", error);
		status = 1;
	} else {
		signals = daemon_loop_new(base, daemon_loop_reload, daemon);
		event_base_dispatch(base);
		daemon_loop_free(signals);
		request_server_stop(server);
	}
	redis_link_free(link);
	what->stop();
	event_base_free(base);
	return status;
}
