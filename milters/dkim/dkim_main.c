/*
 * NAME
 *	waypost-dkim - DKIM signing milter for Postfix
 * SYNOPSIS
 *	waypost-dkim [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the milter: the shared life cycle of lib/daemon.c
 *	with libmilter binding the socket, keys loaded as root before the
 *	switch to the configured user, and a main loop that owns signals:
 *
 *	SIGHUP           reload the configuration and the key set; a file
 *	                 with errors keeps the running one (logged).
 *	key file change  checked every second: reload the key set.
 *	SIGTERM, SIGINT  new messages get a 4xx (the client retries),
 *	                 connections in flight get at most stop_timeout to
 *	                 finish, then the process exits.
 *
 *	libmilter wants those signals for itself (its own thread stops the
 *	milter on SIGHUP). smfi_main() therefore runs in a thread that
 *	blocks them, as do all threads libmilter starts; the main thread
 *	alone leaves them open, and Linux delivers a process-directed signal
 *	to a thread that does not block it, the main thread first.
 * CONFIGURATION PARAMETERS
 *	The [dkim] section of waypost.conf(5); see waypost-dkim(8).
 * SECURITY
 *	Keys are read as root (prepare), then root is given up; a reload
 *	reads them as the daemon's user, so keys should be owned by it.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "daemon.h"
#include "daemon_signal.h"
#include "dkim_config.h"
#include "dkim_milter.h"
#include "dkim_runtime.h"
#include "log.h"
#include "socket_spec.h"

#define KEY_CHECK_INTERVAL_MS  1000
#define MILTER_TIMEOUT_SECONDS 300
#define REPLY_GRACE_MS         200

static int milter_done[2] = {-1, -1};

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

static bool
open_socket(struct daemon *daemon, char *error, size_t error_size)
{
	char connection[SOCKET_SPEC_TEXT_MAX];

	socket_spec_format(
	    &daemon_settings(daemon)->socket, connection, sizeof(connection));
	if (!milter_register(error, error_size))
		return false;
	/* Packets up to 1 MB where the MTA negotiates it (SMFIP_MDS_1M). */
	smfi_setmaxdatasize(1024 * 1024 - 1);
	if (smfi_setconn(connection) != MI_SUCCESS ||
	    smfi_settimeout(MILTER_TIMEOUT_SECONDS) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		snprintf(error, error_size, "libmilter cannot listen on %s",
		    connection);
		return false;
	}
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

static void *
milter_thread(void *unused)
{
	char byte = 1;

	(void)unused;
	if (smfi_main() != MI_SUCCESS)
		log_error("libmilter's main loop failed");
	if (write(milter_done[1], &byte, 1) < 0)
		log_error("cannot tell the main thread: %s", strerror(errno));
	return NULL;
}

static bool
start_milter_thread(pthread_t *thread)
{
	sigset_t blocked, saved;
	int status;

	sigemptyset(&blocked);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	if (pipe(milter_done) < 0)
		return false;
	pthread_sigmask(SIG_BLOCK, &blocked, &saved);
	status = pthread_create(thread, NULL, milter_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return status == 0;
}

/* smfi_stop() waits for libmilter's listener to leave its poll(2), up to
 * 5 seconds; it runs in a thread of its own so the stop does not. */
static void *
stop_libmilter(void *unused)
{
	(void)unused;
	smfi_stop();
	return NULL;
}

/* New messages get a 4xx from now on (the client retries); messages in
 * flight get stop_timeout to finish, with libmilter still running (its
 * smfi_stop() stalls the sessions it has), and REPLY_GRACE_MS more for
 * libmilter to send the verdict of the last one, which it does after our
 * callback has returned; then libmilter is stopped and the process exits,
 * whether or not its threads have wound down. An idle MTA connection just
 * closes: the MTA's next message on it meets its milter_default_action
 * (tempfail). */
static int
stop(struct daemon *daemon, int status)
{
	const struct daemon_settings *settings = daemon_settings(daemon);
	pthread_t stopper;
	size_t open;

	milter_refuse_new();
	open = milter_wait_idle(settings->stop_timeout);
	if (open > 0)
		log_warning(
		    "stop timeout: abandoning %zu messages in flight", open);
	else /* libmilter sends the last verdict after our callback returns */
		poll(NULL, 0, REPLY_GRACE_MS);
	if (pthread_create(&stopper, NULL, stop_libmilter, NULL) == 0)
		pthread_detach(stopper);
	if (settings->socket.kind == SOCKET_UNIX &&
	    unlink(settings->socket.path) < 0)
		log_debug("cannot remove %s: %s", settings->socket.path,
		    strerror(errno));
	return status;
}

static int
run(struct daemon *daemon)
{
	pthread_t thread;
	struct pollfd fds[2];
	int number;

	if (!start_milter_thread(&thread)) {
		log_error("cannot start the milter thread");
		return 1;
	}
	for (;;) {
		fds[0] = (struct pollfd){daemon_signal_fd(), POLLIN, 0};
		fds[1] = (struct pollfd){milter_done[0], POLLIN, 0};
		if (poll(fds, 2, KEY_CHECK_INTERVAL_MS) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return stop(daemon, 1);
		}
		if (fds[1].revents & POLLIN) {
			log_error("libmilter stopped by itself: exiting");
			return stop(daemon, 1);
		}
		while ((number = daemon_signal_next()) != 0) {
			if (number == SIGHUP) {
				reload(daemon);
				continue;
			}
			log_info("stopping on signal %d", number);
			return stop(daemon, 0);
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
    .open_socket = open_socket,
    .prepare = prepare,
    .run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&program, argc, argv);
}
