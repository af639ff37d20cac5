/*
 * NAME
 *	log-follow-print - print each line the log follower hands on
 * SYNOPSIS
 *	log-follow-print PATH [DEVICE:INODE:OFFSET:HASH]
 * DESCRIPTION
 *	A test program for track/log_follow.c, in place of waypost-trackd:
 *	follows PATH from its beginning, or from the saved position given
 *	(as printed), and writes one line per log line to standard output:
 *
 *	    DEVICE:INODE:OFFSET:HASH<tab>LINE
 *
 *	the position after the line, the hash in hex, then the line. Output
 *	is flushed after each poll, so what a test reads after kill -9 is
 *	what a daemon would have saved. It waits on the follower's
 *	descriptor, with a 200 ms timer as the fallback poll, and exits on
 *	SIGTERM after a last poll.
 */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "log_follow.h"

static volatile sig_atomic_t stopping;

static void
stop(int signal_number)
{
	(void)signal_number;
	stopping = 1;
}

static bool
print_line(const char *line, size_t length, const struct log_position *after,
    void *context)
{
	(void)context;
	printf("%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIx64 "\t%.*s\n",
	    after->device, after->inode, after->offset, after->hash,
	    (int)length, line);
	return true;
}

int
main(int argc, char **argv)
{
	struct log_position saved;
	struct log_follow *follow;
	struct pollfd ready;
	char error[512];

	log_open("log-follow-print", LOG_TO_STDERR, -1);
	if (argc == 3 &&
	    sscanf(argv[2], "%" SCNu64 ":%" SCNu64 ":%" SCNu64 ":%" SCNx64,
	        &saved.device, &saved.inode, &saved.offset, &saved.hash) != 4)
		log_fatal("bad position: %s", argv[2]);
	if (argc != 2 && argc != 3)
		log_fatal(
		    "usage: log-follow-print PATH [DEVICE:INODE:OFFSET:HASH]");
	signal(SIGTERM, stop);
	follow = log_follow_open(argv[1], argc == 3 ? &saved : NULL,
	    LOG_FOLLOW_FROM_BEGINNING, print_line, NULL, error, sizeof(error));
	if (follow == NULL)
		log_fatal("%s", error);
	ready.fd = log_follow_fd(follow);
	ready.events = POLLIN;
	while (!stopping && !log_follow_ended(follow)) {
		while (log_follow_poll(follow))
			fflush(stdout);
		fflush(stdout);
		poll(&ready, 1, 200);
	}
	while (log_follow_poll(follow))
		;
	fflush(stdout);
	log_follow_close(follow);
	return 0;
}
