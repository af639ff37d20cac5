/*
 * log_source.h - one file a log follower reads: plain, gzip or a stream
 */
#ifndef WAYPOST_LOG_SOURCE_H
#define WAYPOST_LOG_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#include "log_position.h"

enum log_source_kind {
	LOG_SOURCE_FILE,   /* read at its offset with pread(2) */
	LOG_SOURCE_GZIP,   /* a rotated file compressed, read once to its end */
	LOG_SOURCE_STREAM, /* standard input: no offset to come back to */
};

struct log_source {
	enum log_source_kind kind;
	int fd;          /* -1 when closed */
	gzFile gzip;     /* LOG_SOURCE_GZIP only */
	uint64_t device; /* named in positions: for a gzip copy, those of */
	uint64_t inode;  /* the plain file it was made from */
	uint64_t offset; /* of the next byte to read */
	bool ended;      /* a stream or gzip file has no more to give */
	char name[256];  /* for log lines, cut if longer */
};

bool log_source_open(struct log_source *source, const char *path,
    enum log_source_kind kind, char *error, size_t error_size);
void log_source_stream(struct log_source *source, int fd, const char *name);
ssize_t log_source_read(struct log_source *source, char *buffer, size_t size);
bool log_source_seek(struct log_source *source, uint64_t offset, uint64_t hash);
void log_source_close(struct log_source *source);

#endif
