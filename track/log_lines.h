/*
 * log_lines.h - cut the bytes read from a log into lines, in bounded memory
 */
#ifndef WAYPOST_LOG_LINES_H
#define WAYPOST_LOG_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log_position.h"

/* A partial line of the longest length, its newline and as much again
 * to read into. */
#define LOG_LINES_BUFFER_SIZE (2 * (LOG_LINE_LENGTH_MAX + 1))

/* One line and the offset just after it; false to pause. */
typedef bool (*log_lines_fn)(
    const char *line, size_t length, uint64_t end, void *context);

struct log_lines {
	char *buffer;     /* LOG_LINES_BUFFER_SIZE bytes */
	size_t used;      /* bytes in buffer */
	uint64_t offset;  /* in its file, of buffer[0] */
	bool skipping;    /* inside a line too long, until its newline */
	uint64_t skipped; /* lines too long, counted */
	log_lines_fn line;
	void *context;
};

void log_lines_init(struct log_lines *lines, log_lines_fn line, void *context);
void log_lines_restart(struct log_lines *lines, uint64_t offset);
char *log_lines_room(struct log_lines *lines, size_t *room);
void log_lines_added(struct log_lines *lines, size_t count);
bool log_lines_hand_on(struct log_lines *lines, const char *name);
void log_lines_finish(struct log_lines *lines, const char *name);
void log_lines_free(struct log_lines *lines);

#endif
