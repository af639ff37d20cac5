/*
 * NAME
 *	file_read - read a whole regular file of bounded size
 * SYNOPSIS
 *	#include "file_read.h"
 *
 *	char *file_read(path, max_size, size, st, error, error_size)
 * DESCRIPTION
 *	Opens path, refuses anything but a regular file (a FIFO or device
 *	would block or never end) and files over max_size bytes, and reads
 *	it whole into a new NUL-terminated buffer, which the caller frees.
 *	st receives the file's status, for the caller's own checks (mode,
 *	owner, mtime). On failure it returns NULL with "PATH: reason" in
 *	error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_read.h"
#include "xmalloc.h"

/* read(2) until the buffer is full or the file ends. */
static ssize_t
read_all(int fd, char *buffer, size_t size)
{
	size_t used = 0;

	while (used < size) {
		ssize_t got = read(fd, buffer + used, size - used);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		used += (size_t)got;
	}
	return (ssize_t)used;
}

char *
file_read(const char *path, size_t max_size, size_t *size, struct stat *st,
    char *error, size_t error_size)
{
	char *data;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		snprintf(error, error_size, "%s: cannot open: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		snprintf(error, error_size, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((size_t)st->st_size > max_size) {
		snprintf(error, error_size, "%s: larger than %zu bytes", path,
		    max_size);
		close(fd);
		return NULL;
	}
	data = xmalloc((size_t)st->st_size + 1);
	got = read_all(fd, data, (size_t)st->st_size + 1);
	close(fd);
	if (got < 0 || (size_t)got > (size_t)st->st_size) {
		snprintf(error, error_size, "%s: %s", path,
		    got < 0 ? strerror(errno) : "file grew while read");
		free(data);
		return NULL;
	}
	data[got] = '\0';
	*size = (size_t)got;
	return data;
}
