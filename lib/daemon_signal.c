/*
 * NAME
 *	daemon_signal - SIGTERM, SIGINT and SIGHUP as readable events
 * SYNOPSIS
 *	#include "daemon_signal.h"
 *
 *	bool daemon_signal_install(error, error_size)
 *	int daemon_signal_fd(void)
 *	int daemon_signal_next(void)
 * DESCRIPTION
 *	The self-pipe trick: the handlers of SIGTERM, SIGINT and SIGHUP
 *	only write the signal number into a non-blocking pipe. The daemon's
 *	event loop (libevent, poll) watches daemon_signal_fd() and calls
 *	daemon_signal_next() when it is readable, which returns the next
 *	signal received or 0 when none is pending. All the real work (stop,
 *	reload) then runs in the loop, where any function may be called.
 *
 *	SIGPIPE is ignored: a peer that hangs up is an error on that
 *	connection, not a reason to die.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon_signal.h"

static int signal_pipe[2] = {-1, -1};
static const int handled[] = {SIGTERM, SIGINT, SIGHUP};

static void
on_signal(int number)
{
	int saved_errno = errno;
	unsigned char byte = (unsigned char)number;

	if (write(signal_pipe[1], &byte, 1) < 0) {
		/* Pipe full: the loop has plenty of signals to read already. */
	}
	errno = saved_errno;
}

bool
daemon_signal_install(char *error, size_t error_size)
{
	struct sigaction action;

	if (signal_pipe[0] < 0 &&
	    pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(error, error_size, "pipe: %s", strerror(errno));
		return false;
	}
	memset(&action, 0, sizeof(action));
	sigemptyset(&action.sa_mask);
	action.sa_handler = on_signal;
	action.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		if (sigaction(handled[i], &action, NULL) < 0) {
			snprintf(error, error_size, "sigaction: %s",
			    strerror(errno));
			return false;
		}
	}
	action.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &action, NULL);
	return true;
}

int
daemon_signal_fd(void)
{
	return signal_pipe[0];
}

int
daemon_signal_next(void)
{
	unsigned char byte;

	if (signal_pipe[0] < 0 || read(signal_pipe[0], &byte, 1) != 1)
		return 0;
	return byte;
}

void
daemon_signal_uninstall(void)
{
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		signal(handled[i], SIG_DFL);
	if (signal_pipe[0] >= 0) {
		close(signal_pipe[0]);
		close(signal_pipe[1]);
		signal_pipe[0] = signal_pipe[1] = -1;
	}
}
