/*
 * log_resume.h - find the line a log follower stopped after
 */
#ifndef WAYPOST_LOG_RESUME_H
#define WAYPOST_LOG_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#include "log_position.h"
#include "log_source.h"

/* The most rotated files of one log looked at in its directory. */
#define LOG_RESUME_ROTATED_MAX 1024

enum log_resume_found {
	LOG_RESUME_LIVE,    /* the file at the path, at the saved offset */
	LOG_RESUME_ROTATED, /* a rotated file (maybe gzip), at that offset */
	LOG_RESUME_LOST,    /* no file holds that line any more */
};

struct log_rotated_file {
	char *path;
	enum log_source_kind kind;
};

struct log_resume {
	enum log_resume_found found;
	struct log_source source; /* LIVE, ROTATED: open at the offset */
	/* ROTATED: the rotated files newer than source, oldest first, to
	 * read whole before the file at the path. */
	struct log_rotated_file *newer;
	size_t newer_count;
};

void log_resume_find(const char *path, const struct log_position *saved,
    struct log_resume *resume);
void log_resume_free_newer(struct log_resume *resume);

#endif
