/*
 * NAME
 *	waypost-policyd - Postfix policy daemon: per-sender limits in Redis
 * SYNOPSIS
 *	waypost-policyd [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the policy service: the shared daemon life
 *	cycle (lib/daemon.c binds the socket and gives up root), then one
 *	libevent loop serving every Postfix connection (policy_server.c)
 *	and the one Redis connection (redis_link.c), with the signals as
 *	one more event:
 *
 *	SIGHUP            reload the configuration and build its runtime
 *	                  (policy_decide.c; lib/daemon.c makes it current);
 *	                  a file with errors keeps the running one (logged).
 *	                  Requests waiting for Redis finish with the limits
 *	                  they started with.
 *	SIGTERM, SIGINT   stop: close the socket and every connection.
 *
 *	At -n, start and reload, besides each section's own checks
 *	(policy_config.c), identities_file must load and no domain may be
 *	in two [warmup] sections.
 * CONFIGURATION PARAMETERS
 *	[policy], [limit "NAME"], [warmup "NAME"] and [redis] of
 *	waypost.conf(5); see waypost-policyd(8).
 */
#include "config.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "daemon_signal.h"
#include "decide_script.h"
#include "event_log.h"
#include "log.h"
#include "policy_config.h"
#include "policy_decide.h"
#include "policy_metrics.h"
#include "policy_server.h"
#include "redis_link.h"

struct loop {
	struct daemon *daemon;
	struct event_base *base;
	struct redis_link *link;
	int status;
};

static bool
check(const void *config, struct config_errors *errors)
{
	size_t before = errors->count + errors->dropped;

	policy_config_check(config, errors);
	return errors->count + errors->dropped == before;
}

static void
on_signal(evutil_socket_t fd, short what, void *argument)
{
	struct loop *loop = argument;
	int number;

	(void)fd;
	(void)what;
	while ((number = daemon_signal_next()) != 0) {
		if (number == SIGHUP) {
			daemon_reload(loop->daemon);
			continue;
		}
		log_info("stopping on signal %d", number);
		event_base_loopbreak(loop->base);
	}
}

static int
run(struct daemon *daemon)
{
	const struct policy_config *config = daemon_config(daemon);
	struct loop loop = {daemon, NULL, NULL, 0};
	struct policy_server *server;
	struct event *signals;
	char error[256];

	event_log_route();
	policy_metrics_init();
	loop.base = event_base_new();
	if (loop.base == NULL) {
		log_error("cannot make an event loop");
		return 1;
	}
	loop.link = redis_link_new(loop.base, &config->redis, decide_script);
	decide_start(loop.link);
	server = policy_server_start(
	    loop.base, daemon_listen_fd(daemon), error, sizeof(error));
	if (server == NULL) {
		log_error("%s", error);
		loop.status = 1;
	} else {
		signals = event_new(loop.base, daemon_signal_fd(),
		    EV_READ | EV_PERSIST, on_signal, &loop);
		event_add(signals, NULL);
		event_base_dispatch(loop.base);
		event_free(signals);
		policy_server_stop(server);
	}
	redis_link_free(loop.link);
	decide_shutdown();
	event_base_free(loop.base);
	return loop.status;
}

static const struct daemon_program program = {
    .name = "waypost-policyd",
    .section = "policy",
    .schema = &policy_schema,
    .settings_offset = offsetof(struct policy_config, policy.daemon),
    .log_offset = offsetof(struct policy_config, log),
    .check = check,
    .build = decide_build,
    .run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&program, argc, argv);
}
