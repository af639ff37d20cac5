/*
 * NAME
 *	waypost-policyd - Postfix policy daemon: per-sender limits in Redis
 * SYNOPSIS
 *	waypost-policyd [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the policy service: the shared daemon life
 *	cycle (lib/daemon.c binds the socket and gives up root), then one
 *	libevent loop (lib/request_daemon.c) serving every Postfix
 *	connection (policy_server.c) and the one Redis connection
 *	(redis_link.c), with the signals as one more event:
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

#include <stddef.h>

#include "daemon.h"
#include "decide_script.h"
#include "policy_config.h"
#include "policy_decide.h"
#include "policy_metrics.h"
#include "policy_server.h"
#include "request_daemon.h"

static bool
check(const void *config, struct config_errors *errors)
{
	size_t before = errors->count + errors->dropped;

	policy_config_check(config, errors);
	return errors->count + errors->dropped == before;
}

static void
start(struct event_base *base, struct redis_link *link)
{
	(void)base;
	decide_start(link);
}

static int
run(struct daemon *daemon)
{
	const struct policy_config *config = daemon_config(daemon);
	static const struct request_daemon service = {
	    &policy_protocol, decide_script, start, decide_shutdown};

	policy_metrics_init();
	return request_daemon_run(daemon, &config->redis, &service);
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
