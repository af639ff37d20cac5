/*
 * NAME
 *	milter_main - the main loop every Waypost milter shares
 * SYNOPSIS
 *	#include "milter_main.h"
 *
 *	int milter_main(program, argc, argv)
 *	int milter_main_run(daemon)
 * DESCRIPTION
 *	milter_main() runs the shared life cycle of lib/daemon.c, whose
 *	run step is milter_main_run(): the milter server (milter_server.c)
 *	on the socket lib bound, and a main thread that owns the signals:
 *
 *	SIGHUP           daemon_reload(): the configuration and the
 *	                 program's runtime, made current together.
 *	SIGTERM, SIGINT  new messages get a 4xx (the client retries),
 *	                 messages in flight get at most stop_timeout to
 *	                 finish (milter_drain.c), then the server writes
 *	                 the verdicts it has, closes every connection, and
 *	                 the process exits. An idle MTA connection just
 *	                 closes: the MTA's next message on it meets its
 *	                 milter_default_action.
 *	every second     the program's tick(), if it has one.
 *
 *	The server's worker threads block those signals; the main thread
 *	alone takes them. One program per process: milter_main() keeps it
 *	in a static for milter_main_run().
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "daemon_signal.h"
#include "log.h"
#include "milter_drain.h"
#include "milter_main.h"
#include "milter_metrics.h"
#include "milter_server.h"

#define TICK_MS 1000

static const struct milter_program *running;

static int
stop(struct daemon *daemon, struct milter_server *server, int status)
{
	size_t open;

	milter_drain_refuse_new();
	open = milter_drain_wait(daemon_settings(daemon)->stop_timeout);
	if (open > 0)
		log_warning(
		    "stop timeout: abandoning %zu messages in flight", open);
	milter_server_stop(server);
	return status;
}

int
milter_main_run(struct daemon *daemon)
{
	struct milter_server *server;
	struct pollfd signals;
	char error[256];
	int number;

	server = milter_server_start(running->filter, daemon_listen_fd(daemon),
	    running->workers, error, sizeof(error));
	if (server == NULL) {
		log_error("%s", error);
		return 1;
	}
	for (;;) {
		signals = (struct pollfd){daemon_signal_fd(), POLLIN, 0};
		if (poll(&signals, 1, TICK_MS) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return stop(daemon, server, 1);
		}
		while ((number = daemon_signal_next()) != 0) {
			if (number == SIGHUP) {
				daemon_reload(daemon);
				continue;
			}
			log_info("stopping on signal %d", number);
			return stop(daemon, server, 0);
		}
		if (running->tick != NULL)
			running->tick(daemon);
	}
}

int
milter_main(const struct milter_program *program, int argc, char **argv)
{
	running = program;
	/* Before the metrics endpoint starts: a first scrape shows all. */
	milter_metrics_init();
	return daemon_main(program->daemon, argc, argv);
}
