/*
 * NAME
 *	log_follow - follow a log file across rotation, truncation and restarts
 * SYNOPSIS
 *	#include "log_follow.h"
 *
 *	struct log_follow *log_follow_open(path, saved, start, line,
 *	    context, error, error_size)
 *	int log_follow_fd(follow)
 *	bool log_follow_poll(follow)
 *	bool log_follow_ended(follow)
 *	struct log_follow_counters log_follow_counters(follow)
 *	void log_follow_set_quiet(follow, quiet_ms)
 *	void log_follow_close(follow)
 * DESCRIPTION
 *	log_follow_open() follows the log file at path, or standard input
 *	when path is "-". Each complete line goes to line(), without its
 *	newline, with the position just after it (log_position(3)), which
 *	the caller saves once it has acted on the line. With a saved
 *	position it goes on right after that line (log_resume(3)): in the
 *	file at path, or first in the rotated file that holds it, gzip
 *	copies included, and the rotated files after it. If no file holds
 *	that line any more it starts at the beginning of the file at path
 *	and logs a warning; it never skips to the end. Finding the line
 *	happens here, before the event loop runs: a gzip copy is read from
 *	its start (measured: 0.47 s for one of 214 MB, 1,000,000 lines).
 *	Without a saved position, start says where: the beginning, or the
 *	end (after the last complete line). The file need not exist yet;
 *	its directory must.
 *
 *	log_follow_fd() is the descriptor an event loop watches for reading:
 *	an inotify(7) watch on the file's directory (IN_MODIFY, IN_CREATE,
 *	IN_MOVED_FROM, IN_MOVED_TO, IN_DELETE), or standard input itself.
 *	When it is readable, and on a slow timer as well (inotify misses
 *	events on some file systems, and a file renamed to another
 *	directory reports nothing), the caller runs log_follow_poll(). That
 *	empties the watch, then reads at most LOG_FOLLOW_POLL_BYTES, and
 *	returns true when more is there at once (the budget was used, or
 *	line() returned false): the caller schedules another poll rather
 *	than hold up its event loop through a large backlog.
 *
 *	Each poll checks the file it reads:
 *
 *	Truncation: the file is shorter than the offset read, or the byte
 *	before that offset is no longer the one read there (truncated and
 *	written again between two polls). Reading starts again at 0 and a
 *	warning is logged. Lines copied away by logrotate's copytruncate
 *	after the last poll are in the copy only: that method loses lines
 *	by design, and "postfix logrotate" does not use it.
 *
 *	Rotation: the path names another file than the one open. The old
 *	descriptor is kept and read to its end; "postfix logrotate" gzips
 *	and removes the renamed file a second after the rename, so its name
 *	cannot be relied on. The move to the new file waits until the new
 *	file holds at least one byte: Postfix's postlogd creates it with
 *	its first line, and a syslog daemon after logrotate's "create"
 *	still writes to the renamed file until it is told to reopen, so an
 *	empty new file says nothing about the writer. Once it has bytes, the
 *	old descriptor is read on until it has had nothing new for
 *	LOG_FOLLOW_QUIET_MS: a new file with bytes does not mean the old
 *	writer is done, since Postfix's reload lets the old postlogd finish
 *	the datagrams it holds while a new one already writes to the new
 *	file (seen: a line in the old file after the new one had lines).
 *	Then the new file is read from its start. An old file still written
 *	to LOG_FOLLOW_SWITCH_WAIT_MS after the new one appeared is left with
 *	a warning: two writers for good, and the new file must not wait for
 *	ever. log_follow_set_quiet() changes the quiet time (tests).
 *
 *	A last line without a newline waits for the rest; when its file
 *	ends for good (rotation, truncation, the end of a rotated file or
 *	of standard input) it is handed on as it is. A line longer than
 *	LOG_LINE_LENGTH_MAX is skipped up to its newline, counted and
 *	logged; what follows it is read as usual. Memory is one buffer of
 *	twice that size (log_lines(3)).

 *	log_follow_ended() is true once standard input is at its end (a
 *	file never ends). log_follow_counters() gives the running totals.
 *	log_follow_close() closes everything and frees the follower.
 * SEE ALSO
 *	log_lines(3), log_position(3), log_resume(3), log_source(3)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "log_follow.h"
#include "log_lines.h"
#include "log_resume.h"
#include "log_source.h"
#include "monotonic.h"
#include "text_copy.h"
#include "xmalloc.h"

#define WATCH_EVENTS                                                           \
	(IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE)

struct log_follow {
	char *path; /* NULL for standard input */
	int watch_fd;
	struct log_source source;
	bool live;           /* source is, or was, the file at path */
	bool switch_pending; /* a new file is there: the old one ends first */
	long long switch_seen_ms;  /* when the new file was seen */
	long long switch_quiet_ms; /* when the old file last grew, after */
	uint64_t switch_offset;    /* its offset then */
	int quiet_ms;              /* LOG_FOLLOW_QUIET_MS but in tests */
	bool have_last_byte;
	char last_byte;                 /* the byte before source.offset */
	struct log_rotated_file *newer; /* still to read, after source */
	size_t newer_count, newer_next;
	struct log_lines lines;
	log_follow_line_fn line;
	void *context;
	struct log_follow_counters counters;
	/* The last failure to open the file at path, and when it was
	 * logged: the same one again at most each OPEN_ERROR_EVERY_MS. */
	char open_error[512];
	long long open_error_ms;
};

#define OPEN_ERROR_EVERY_MS (60 * 1000)

static bool
hand_on(const char *line, size_t length, uint64_t end, void *context)
{
	struct log_follow *follow = context;
	struct log_position after = {
	    .device = follow->source.device,
	    .inode = follow->source.inode,
	    .offset = end,
	    .hash = log_line_hash(line, length),
	};

	follow->counters.lines++;
	return follow->line(line, length, &after, follow->context);
}

static void
start_source(struct log_follow *follow, uint64_t offset)
{
	follow->source.offset = offset;
	log_lines_restart(&follow->lines, offset);
	follow->switch_pending = false;
	follow->have_last_byte = false;
}

/* A file the daemon may not read (its user lacks the permission) is
 * tried at each poll: one line, then one a minute while it lasts. */
static void
open_failed(struct log_follow *follow, const char *error)
{
	long long now = monotonic_ms();

	if (strcmp(error, follow->open_error) == 0 &&
	    now - follow->open_error_ms < OPEN_ERROR_EVERY_MS)
		return;
	log_warning(
	    "%s (tried again at each poll; said again each minute)", error);
	text_copy(follow->open_error, sizeof(follow->open_error), error);
	follow->open_error_ms = now;
}

/* Open the next file of the log: a rotated one still to read, else the
 * file at path. False if there is none yet. */
static bool
open_next(struct log_follow *follow)
{
	char error[512];

	while (follow->newer_next < follow->newer_count) {
		struct log_rotated_file *next =
		    &follow->newer[follow->newer_next++];

		if (log_source_open(&follow->source, next->path, next->kind,
		        error, sizeof(error))) {
			follow->live = false;
			start_source(follow, 0);
			return true;
		}
		log_warning(
		    "%s: cannot read this rotated file: %s", next->path, error);
	}
	if (!log_source_open(&follow->source, follow->path, LOG_SOURCE_FILE,
	        error, sizeof(error))) {
		if (errno != ENOENT)
			open_failed(follow, error);
		return false;
	}
	follow->open_error[0] = '\0';
	follow->live = true;
	start_source(follow, 0);
	return true;
}

static void
move_on(struct log_follow *follow, const char *why)
{
	log_lines_finish(&follow->lines, follow->source.name);
	follow->counters.rotations++;
	log_info("%s: %s: read to its end at offset %llu, going on with %s",
	    follow->source.name, why, (unsigned long long)follow->source.offset,
	    follow->newer_next < follow->newer_count
	        ? follow->newer[follow->newer_next].path
	        : follow->path);
	log_source_close(&follow->source);
}

static void
truncated(struct log_follow *follow, const char *how)
{
	log_lines_finish(&follow->lines, follow->source.name);
	follow->counters.truncations++;
	log_warning("%s: %s at offset %llu: reading it again from its start",
	    follow->source.name, how,
	    (unsigned long long)follow->source.offset);
	start_source(follow, 0);
}

/* The file open is the one at path: true if it has been truncated, or
 * written over since the last read, and is to be read again from 0. */
static bool
check_truncated(struct log_follow *follow)
{
	struct stat st;
	char byte;

	if (fstat(follow->source.fd, &st) < 0)
		return false;
	if ((uint64_t)st.st_size < follow->source.offset) {
		truncated(follow, "truncated");
		return true;
	}
	/* Shorter, then longer again between two polls: the byte before
	 * the offset tells, at the cost of one pread(2) per poll. */
	if ((uint64_t)st.st_size > follow->source.offset &&
	    follow->have_last_byte &&
	    (pread(follow->source.fd, &byte, 1,
	         (off_t)follow->source.offset - 1) != 1 ||
	        byte != follow->last_byte)) {
		truncated(follow, "written over");
		return true;
	}
	return false;
}

/* A new file is at path, with bytes: move on once the old file has been
 * quiet long enough. True if reading goes on at once. */
static bool
switch_when_quiet(struct log_follow *follow)
{
	long long now = monotonic_ms();

	if (!follow->switch_pending) {
		follow->switch_pending = true;
		follow->switch_seen_ms = now;
		follow->switch_quiet_ms = now;
		follow->switch_offset = follow->source.offset;
		return true; /* read the old file once more at once */
	}
	if (follow->source.offset != follow->switch_offset) {
		follow->switch_offset = follow->source.offset;
		follow->switch_quiet_ms = now;
	}
	if (now - follow->switch_quiet_ms < follow->quiet_ms) {
		if (now - follow->switch_seen_ms < LOG_FOLLOW_SWITCH_WAIT_MS)
			return false;
		log_warning("%s: still written to %d s after %s appeared: "
		            "what is written to it from now on is not read",
		    follow->source.name, LOG_FOLLOW_SWITCH_WAIT_MS / 1000,
		    follow->path);
	}
	move_on(follow, follow->live ? "rotated" : "rotated file");
	return open_next(follow);
}

/* Nothing more to read now. True if reading goes on at once, in the
 * same or in the next file. */
static bool
at_end(struct log_follow *follow)
{
	struct stat st;

	if (follow->source.kind == LOG_SOURCE_STREAM) {
		if (follow->source.ended)
			log_lines_finish(&follow->lines, follow->source.name);
		return false;
	}
	/* A rotated file before another rotated one, or gzipped, is
	 * complete; the last plain one may still be written to, by a writer
	 * not yet told to reopen, and is left as the file at path is. */
	if (!follow->live && (follow->newer_next < follow->newer_count ||
	                         follow->source.kind == LOG_SOURCE_GZIP)) {
		move_on(follow, "rotated file");
		return open_next(follow);
	}
	if (follow->live && check_truncated(follow))
		return true;
	if (stat(follow->path, &st) < 0 ||
	    ((uint64_t)st.st_dev == follow->source.device &&
	        (uint64_t)st.st_ino == follow->source.inode) ||
	    st.st_size == 0) {
		follow->switch_pending = false;
		return false;
	}
	return switch_when_quiet(follow);
}

static ssize_t
read_some(struct log_follow *follow, size_t budget)
{
	size_t room;
	char *into = log_lines_room(&follow->lines, &room);
	ssize_t got;

	if (room > budget)
		room = budget;
	got = log_source_read(&follow->source, into, room);
	if (got > 0) {
		log_lines_added(&follow->lines, (size_t)got);
		follow->counters.bytes += (uint64_t)got;
		follow->last_byte = into[got - 1];
		follow->have_last_byte = true;
	} else if (got < 0)
		log_warning("%s: read error at offset %llu: %s",
		    follow->source.name,
		    (unsigned long long)follow->source.offset, strerror(errno));
	return got;
}

static void
empty_watch(struct log_follow *follow)
{
	char events[4096];

	if (follow->path == NULL)
		return;
	while (read(follow->watch_fd, events, sizeof(events)) > 0)
		;
}

bool
log_follow_poll(struct log_follow *follow)
{
	size_t budget = LOG_FOLLOW_POLL_BYTES;

	empty_watch(follow);
	if (!log_lines_hand_on(&follow->lines, follow->source.name))
		return true;
	if (follow->source.fd < 0 && !open_next(follow))
		return false;
	if (follow->live && follow->source.kind == LOG_SOURCE_FILE)
		check_truncated(follow);
	while (budget > 0) {
		ssize_t got = read_some(follow, budget);

		if (got < 0)
			return false;
		if (got > 0) {
			budget -= (size_t)got;
			if (!log_lines_hand_on(
			        &follow->lines, follow->source.name))
				return true;
		} else if (!at_end(follow))
			return false;
	}
	return true;
}

/* Without a saved position, at the end: after the last complete line,
 * so a line being written is read whole. */
static void
start_at_end(struct log_follow *follow)
{
	struct stat st;
	uint64_t size, window = LOG_LINE_LENGTH_MAX + 1;
	char *bytes, *newline;

	if (fstat(follow->source.fd, &st) < 0 || st.st_size == 0)
		return;
	size = (uint64_t)st.st_size;
	if (window > size)
		window = size;
	bytes = xmalloc((size_t)window);
	if (pread(follow->source.fd, bytes, (size_t)window,
	        (off_t)(size - window)) == (ssize_t)window) {
		newline = memrchr(bytes, '\n', (size_t)window);
		start_source(follow,
		    newline != NULL
		        ? size - window + (uint64_t)(newline - bytes) + 1
		        : size);
	}
	free(bytes);
}

static void
resume(struct log_follow *follow, const struct log_position *saved)
{
	struct log_resume found;

	log_resume_find(follow->path, saved, &found);
	switch (found.found) {
	case LOG_RESUME_LIVE:
		follow->source = found.source;
		follow->live = true;
		start_source(follow, saved->offset);
		log_info("%s: resuming at offset %llu", follow->path,
		    (unsigned long long)saved->offset);
		break;
	case LOG_RESUME_ROTATED:
		follow->source = found.source;
		follow->live = false;
		follow->newer = found.newer;
		follow->newer_count = found.newer_count;
		start_source(follow, saved->offset);
		log_info("%s: resuming in the rotated file %s at offset %llu, "
		         "then %zu newer rotated file(s), then %s",
		    follow->path, follow->source.name,
		    (unsigned long long)saved->offset, found.newer_count,
		    follow->path);
		break;
	default:
		log_warning("%s: no file holds the line of the saved position "
		            "(inode %llu, offset %llu) any more: the file was "
		            "replaced or truncated, or its rotated copy is "
		            "gone; reading %s from its beginning",
		    follow->path, (unsigned long long)saved->inode,
		    (unsigned long long)saved->offset, follow->path);
		open_next(follow);
		break;
	}
}

static bool
watch_directory(struct log_follow *follow, char *error, size_t error_size)
{
	const char *slash = strrchr(follow->path, '/');
	char *directory =
	    slash == NULL ? xstrdup(".")
	    : slash == follow->path
	        ? xstrdup("/")
	        : xstrndup(follow->path, (size_t)(slash - follow->path));
	bool ok;

	follow->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ok = follow->watch_fd >= 0 &&
	     inotify_add_watch(follow->watch_fd, directory, WATCH_EVENTS) >= 0;
	if (!ok)
		snprintf(error, error_size, "%s: cannot watch it: %s",
		    directory, strerror(errno));
	free(directory);
	return ok;
}

struct log_follow *
log_follow_open(const char *path, const struct log_position *saved,
    enum log_follow_start start, log_follow_line_fn line, void *context,
    char *error, size_t error_size)
{
	struct log_follow *follow = xcalloc(1, sizeof(*follow));

	log_lines_init(&follow->lines, hand_on, follow);
	follow->quiet_ms = LOG_FOLLOW_QUIET_MS;
	follow->line = line;
	follow->context = context;
	follow->source.fd = -1;
	if (strcmp(path, "-") == 0) {
		log_source_stream(
		    &follow->source, STDIN_FILENO, "standard input");
		follow->watch_fd = STDIN_FILENO;
		return follow;
	}
	follow->path = xstrdup(path);
	if (!watch_directory(follow, error, error_size)) {
		log_follow_close(follow);
		return NULL;
	}
	if (saved != NULL && (saved->inode != 0 || saved->offset != 0))
		resume(follow, saved);
	else if (open_next(follow) && start == LOG_FOLLOW_FROM_END)
		start_at_end(follow);
	return follow;
}

int
log_follow_fd(const struct log_follow *follow)
{
	return follow->watch_fd;
}

bool
log_follow_ended(const struct log_follow *follow)
{
	return follow->source.kind == LOG_SOURCE_STREAM &&
	       follow->source.ended && follow->lines.used == 0;
}

void
log_follow_set_quiet(struct log_follow *follow, int quiet_ms)
{
	follow->quiet_ms = quiet_ms;
}

struct log_follow_counters
log_follow_counters(const struct log_follow *follow)
{
	struct log_follow_counters counters = follow->counters;

	counters.long_lines = follow->lines.skipped;
	return counters;
}

void
log_follow_close(struct log_follow *follow)
{
	if (follow == NULL)
		return;
	log_source_close(&follow->source);
	if (follow->path != NULL && follow->watch_fd >= 0)
		close(follow->watch_fd);
	for (size_t i = 0; i < follow->newer_count; i++)
		free(follow->newer[i].path);
	free(follow->newer);
	log_lines_free(&follow->lines);
	free(follow->path);
	free(follow);
}
