/*
 * log_follow.h - follow a log file across rotation, truncation and restarts
 */
#ifndef WAYPOST_LOG_FOLLOW_H
#define WAYPOST_LOG_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log_position.h"

/* The most bytes one log_follow_poll() reads before it gives the event
 * loop back (it then returns true: call again soon). */
#define LOG_FOLLOW_POLL_BYTES (1024 * 1024)

/* After a rotation, how long the old file must have had nothing new
 * before the new one is read; and the most the new one waits. */
#define LOG_FOLLOW_QUIET_MS       1000
#define LOG_FOLLOW_SWITCH_WAIT_MS (30 * 1000)

struct log_follow;

struct log_follow_counters {
	uint64_t lines;       /* handed to the callback */
	uint64_t bytes;       /* read, newlines included */
	uint64_t long_lines;  /* over LOG_LINE_LENGTH_MAX, skipped */
	uint64_t rotations;   /* moves from one file of the log to the next */
	uint64_t truncations; /* the file got shorter, or was written over */
};

/* One complete line, without its newline, and the position just after
 * it. Return false to stop this poll after this line (the rest waits for
 * the next log_follow_poll()). */
typedef bool (*log_follow_line_fn)(const char *line, size_t length,
    const struct log_position *after, void *context);

/* Where to start when there is no saved position. */
enum log_follow_start {
	LOG_FOLLOW_FROM_BEGINNING,
	LOG_FOLLOW_FROM_END,
};

struct log_follow *log_follow_open(const char *path,
    const struct log_position *saved, enum log_follow_start start,
    log_follow_line_fn line, void *context, char *error, size_t error_size);
int log_follow_fd(const struct log_follow *follow);
bool log_follow_poll(struct log_follow *follow);
bool log_follow_ended(const struct log_follow *follow);
struct log_follow_counters log_follow_counters(const struct log_follow *follow);
void log_follow_set_quiet(struct log_follow *follow, int quiet_ms);
void log_follow_close(struct log_follow *follow);

#endif
