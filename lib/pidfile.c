/*
 * NAME
 *	pidfile - a locked pidfile that tells a second instance to stay away
 * SYNOPSIS
 *	#include "pidfile.h"
 *
 *	bool pidfile_create(path, error, error_size)
 *	void pidfile_remove(void)
 * DESCRIPTION
 *	pidfile_create() opens (or creates, mode 0644) the file, takes an
 *	exclusive flock(2) on it and writes the process ID. The descriptor
 *	stays open, and the lock held, for the life of the process: a
 *	second instance started with the same pidfile fails with "already
 *	running as PID n" instead of stealing the socket. A stale file left
 *	by a crash carries no lock and is simply reused.
 *
 *	pidfile_remove() unlinks the file at exit; it is best effort, as
 *	the process may have lost the right to after dropping privileges.
 * SECURITY
 *	The file is opened with O_NOFOLLOW so a symlink planted in a shared
 *	directory cannot point the write elsewhere.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pidfile.h"
#include "text_copy.h"

static int pidfile_fd = -1;
static char pidfile_path[4096];

bool
pidfile_create(const char *path, char *error, size_t error_size)
{
	char text[32];
	int length;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0) {
		snprintf(error, error_size, "cannot open pidfile %s: %s", path,
		    strerror(errno));
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t got = read(fd, text, sizeof(text) - 1);

		text[got > 0 ? got : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		snprintf(error, error_size,
		    "already running as PID %s (%s is locked)",
		    text[0] ? text : "?", path);
		close(fd);
		return false;
	}
	length = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)length) != length) {
		snprintf(error, error_size, "cannot write pidfile %s: %s", path,
		    strerror(errno));
		close(fd);
		return false;
	}
	pidfile_fd = fd;
	text_copy(pidfile_path, sizeof(pidfile_path), path);
	return true;
}

void
pidfile_remove(void)
{
	if (pidfile_fd < 0)
		return;
	unlink(pidfile_path);
	close(pidfile_fd);
	pidfile_fd = -1;
}
