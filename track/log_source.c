/*
 * NAME
 *	log_source - one file a log follower reads: plain, gzip or a stream
 * SYNOPSIS
 *	#include "log_source.h"
 *
 *	bool log_source_open(source, path, kind, error, error_size)
 *	void log_source_stream(source, fd, name)
 *	ssize_t log_source_read(source, buffer, size)
 *	bool log_source_seek(source, offset, hash)
 *	void log_source_close(source)
 * DESCRIPTION
 *	log_source_open() opens a plain log file (LOG_SOURCE_FILE) or a
 *	rotated file that logrotate or "postfix logrotate" has compressed
 *	(LOG_SOURCE_GZIP), at offset 0. A plain file is read with pread(2)
 *	at the source's own offset, so the follower, not the kernel, says
 *	where reading goes on after a truncation. A gzip file is
 *	decompressed with zlib; its offsets are those of the plain file it
 *	was made from, so a position saved while reading the plain file
 *	still points at the same line in its copy.
 *
 *	log_source_stream() wraps a descriptor that can only be read
 *	forwards (standard input). Reading polls it first with a zero
 *	timeout, so a pipe with nothing in it never blocks the event loop
 *	and its file status flags, shared with whoever started us, stay as
 *	they are.
 *
 *	log_source_read() returns the number of bytes read, 0 when nothing
 *	is there now (ended is set when nothing ever will be: a stream at
 *	end of file, a gzip file read whole) and -1 with errno on an error.
 *
 *	log_source_seek() checks that the line ending at offset hashes to
 *	hash (log_position(3)) and, if so, makes offset the next byte read.
 *	A plain file has the line read from just before offset, at most
 *	LOG_LINE_LENGTH_MAX + 2 bytes; a gzip file is decompressed from its
 *	start up to offset. On false a gzip source has been read past and
 *	must be closed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_source.h"
#include "text_copy.h"
#include "xmalloc.h"

/* zlib's own read buffer; its default of 8 KiB costs calls. */
#define GZIP_BUFFER_SIZE (128 * 1024)
/* The most one gzread() is asked for: its count is an unsigned int. */
#define GZIP_READ_MAX (1024 * 1024)

bool
log_source_open(struct log_source *source, const char *path,
    enum log_source_kind kind, char *error, size_t error_size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	memset(source, 0, sizeof(*source));
	source->fd = -1;
	text_copy(source->name, sizeof(source->name), path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(error, error_size, "%s: not a regular file", path);
		close(fd);
		return false;
	}
	source->kind = kind;
	source->device = (uint64_t)st.st_dev;
	source->inode = (uint64_t)st.st_ino;
	if (kind == LOG_SOURCE_GZIP) {
		source->gzip = gzdopen(fd, "rb");
		if (source->gzip == NULL) {
			snprintf(
			    error, error_size, "%s: zlib cannot open it", path);
			close(fd);
			return false;
		}
		gzbuffer(source->gzip, GZIP_BUFFER_SIZE);
	}
	source->fd = fd;
	return true;
}

void
log_source_stream(struct log_source *source, int fd, const char *name)
{
	memset(source, 0, sizeof(*source));
	source->kind = LOG_SOURCE_STREAM;
	source->fd = fd;
	text_copy(source->name, sizeof(source->name), name);
}

static ssize_t
read_stream(struct log_source *source, char *buffer, size_t size)
{
	struct pollfd ready = {.fd = source->fd, .events = POLLIN};
	ssize_t got;

	if (poll(&ready, 1, 0) <= 0)
		return 0;
	do
		got = read(source->fd, buffer, size);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		source->ended = true;
	if (got < 0 && errno == EAGAIN)
		got = 0;
	return got;
}

static ssize_t
read_gzip(struct log_source *source, char *buffer, size_t size)
{
	int got = gzread(source->gzip, buffer,
	    (unsigned)(size < GZIP_READ_MAX ? size : GZIP_READ_MAX));

	if (got < 0) {
		errno = EIO;
		return -1;
	}
	/* A stream cut short (gzip killed while writing it) ends here
	 * too: what was there has been handed on. */
	if (got == 0)
		source->ended = true;
	return got;
}

ssize_t
log_source_read(struct log_source *source, char *buffer, size_t size)
{
	ssize_t got;

	if (source->fd < 0 || source->ended)
		return 0;
	switch (source->kind) {
	case LOG_SOURCE_STREAM:
		got = read_stream(source, buffer, size);
		break;
	case LOG_SOURCE_GZIP:
		got = read_gzip(source, buffer, size);
		break;
	default:
		do
			got = pread(
			    source->fd, buffer, size, (off_t)source->offset);
		while (got < 0 && errno == EINTR);
		break;
	}
	if (got > 0)
		source->offset += (uint64_t)got;
	return got;
}

/* Hash the line that ends at offset in a plain file: its start is the
 * last newline before the final byte, at most one longest line back. */
static bool
seek_file(struct log_source *source, uint64_t offset, uint64_t hash)
{
	size_t window = LOG_LINE_LENGTH_MAX + 2;
	struct log_line_scan scan;
	char *bytes, *start;
	ssize_t got;
	bool found;

	if (offset < window)
		window = (size_t)offset;
	bytes = xmalloc(window);
	got = pread(source->fd, bytes, window, (off_t)(offset - window));
	found = got == (ssize_t)window;
	if (found) {
		start = memrchr(bytes, '\n', window - 1);
		/* No newline in a full window: longer than any line we
		 * hand on, so no saved position can end there. */
		if (start == NULL && window < offset)
			found = false;
		start = start == NULL ? bytes : start + 1;
		log_line_scan_start(&scan);
		log_line_scan_bytes(
		    &scan, start, (size_t)(bytes + window - start));
		found = found && log_line_scan_result(&scan) == hash;
	}
	free(bytes);
	return found;
}

static bool
seek_gzip(struct log_source *source, uint64_t offset, uint64_t hash)
{
	struct log_line_scan scan;
	char *bytes = xmalloc(GZIP_BUFFER_SIZE);
	uint64_t left = offset;

	log_line_scan_start(&scan);
	while (left > 0) {
		size_t want =
		    left < GZIP_BUFFER_SIZE ? (size_t)left : GZIP_BUFFER_SIZE;
		ssize_t got = read_gzip(source, bytes, want);

		if (got <= 0)
			break;
		log_line_scan_bytes(&scan, bytes, (size_t)got);
		left -= (uint64_t)got;
		source->offset += (uint64_t)got;
	}
	free(bytes);
	return left == 0 && log_line_scan_result(&scan) == hash;
}

bool
log_source_seek(struct log_source *source, uint64_t offset, uint64_t hash)
{
	bool found;

	if (offset == 0)
		return source->offset == 0;
	switch (source->kind) {
	case LOG_SOURCE_FILE:
		found = seek_file(source, offset, hash);
		if (found)
			source->offset = offset;
		return found;
	case LOG_SOURCE_GZIP:
		return source->offset == 0 && seek_gzip(source, offset, hash);
	default:
		return false;
	}
}

void
log_source_close(struct log_source *source)
{
	if (source->kind == LOG_SOURCE_GZIP && source->gzip != NULL)
		gzclose(source->gzip);
	else if (source->kind != LOG_SOURCE_STREAM && source->fd >= 0)
		close(source->fd);
	source->gzip = NULL;
	source->fd = -1;
}
