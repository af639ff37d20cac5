/*
 * NAME
 *	waypost-dkim - DKIM signing milter for Postfix
 * SYNOPSIS
 *	waypost-dkim [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the milter: the shared life cycle of lib/daemon.c
 *	(which binds the socket), keys loaded as root before the switch to
 *	the configured user, the milter server (milter_server.c) on the
 *	socket, and a main loop that owns signals:
 *
 *	SIGHUP           reload the configuration and the key set; a file
 *	                 with errors keeps the running one (logged).
 *	key file change  checked every second: reload the key set.
 *	SIGTERM, SIGINT  new messages get a 4xx (the client retries),
 *	                 connections in flight get at most stop_timeout to
 *	                 finish, then the process exits.
 *
 *	The server's worker threads block those signals; the main thread
 *	alone takes them.
 * CONFIGURATION PARAMETERS
 *	The [dkim] section of waypost.conf(5); see waypost-dkim(8).
 * SECURITY
 *	Keys are read as root (prepare), then root is given up; a reload
 *	reads them as the daemon's user, so keys should be owned by it.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "daemon_signal.h"
#include "dkim_config.h"
#include "dkim_milter.h"
#include "dkim_runtime.h"
#include "log.h"
#include "milter_server.h"

#define KEY_CHECK_INTERVAL_MS 1000
/* Worker threads: one per CPU, as signing is CPU work. */
#define MILTER_WORKERS 0

static const struct dkim_section *
section_of(const void *config)
{
	return &((const struct dkim_config *)config)->dkim;
}

/* -n and every load: the tables and keys must load too. */
static bool
check(const void *config, struct config_errors *errors)
{
	struct runtime *runtime = runtime_build(section_of(config), errors);

	if (runtime == NULL)
		return false;
	runtime_release(runtime);
	return true;
}

static void
log_errors(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		log_error("%s", errors->text[i]);
}

/* Build a runtime from config and make it current; false keeps the old. */
static bool
install_runtime(const void *config)
{
	struct config_errors *errors = calloc(1, sizeof(*errors));
	struct runtime *runtime;

	if (errors == NULL)
		log_fatal("out of memory loading keys");
	runtime = runtime_build(section_of(config), errors);
	log_errors(errors);
	free(errors);
	if (runtime == NULL)
		return false;
	runtime_install(runtime);
	log_info("key set loaded: %zu keys", runtime->keyset->keytable.count);
	return true;
}

static bool
prepare(struct daemon *daemon, char *error, size_t error_size)
{
	if (install_runtime(daemon_config(daemon)))
		return true;
	snprintf(error, error_size, "the key set did not load");
	return false;
}

static void
reload(struct daemon *daemon)
{
	void *previous;

	if (!daemon_reload(daemon, &previous))
		return;
	if (!install_runtime(daemon_config(daemon)))
		log_error("keys not reloaded: keeping the running key set");
	daemon_config_free(daemon, previous);
}

static void
reload_if_keys_changed(struct daemon *daemon)
{
	struct runtime *runtime = runtime_acquire();
	bool changed = runtime != NULL && keyset_changed(runtime->keyset);

	runtime_release(runtime);
	if (!changed)
		return;
	log_info("a table or key file changed: reloading the key set");
	if (!install_runtime(daemon_config(daemon)))
		log_error("keys not reloaded: keeping the running key set");
}

/* New messages get a 4xx from now on (the client retries); messages in
 * flight get stop_timeout to finish, then the server stops: it writes
 * the verdicts it has made and closes every connection. An idle MTA
 * connection just closes: the MTA's next message on it meets its
 * milter_default_action (tempfail). */
static int
stop(struct daemon *daemon, struct milter_server *server, int status)
{
	size_t open;

	dkim_milter_refuse_new();
	open = dkim_milter_wait_idle(daemon_settings(daemon)->stop_timeout);
	if (open > 0)
		log_warning(
		    "stop timeout: abandoning %zu messages in flight", open);
	milter_server_stop(server);
	return status;
}

static int
run(struct daemon *daemon)
{
	struct milter_server *server;
	struct pollfd signals;
	char error[256];
	int number;

	server = milter_server_start(&dkim_milter_filter,
	    daemon_listen_fd(daemon), MILTER_WORKERS, error, sizeof(error));
	if (server == NULL) {
		log_error("%s", error);
		return 1;
	}
	for (;;) {
		signals = (struct pollfd){daemon_signal_fd(), POLLIN, 0};
		if (poll(&signals, 1, KEY_CHECK_INTERVAL_MS) < 0 &&
		    errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return stop(daemon, server, 1);
		}
		while ((number = daemon_signal_next()) != 0) {
			if (number == SIGHUP) {
				reload(daemon);
				continue;
			}
			log_info("stopping on signal %d", number);
			return stop(daemon, server, 0);
		}
		reload_if_keys_changed(daemon);
	}
}

static const struct daemon_program program = {
    .name = "waypost-dkim",
    .section = "dkim",
    .schema = &dkim_schema,
    .settings_offset = offsetof(struct dkim_config, dkim.daemon),
    .log_offset = offsetof(struct dkim_config, log),
    .check = check,
    .prepare = prepare,
    .run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&program, argc, argv);
}
