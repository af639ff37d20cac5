/*
 * log_position.h - where a log follower stands, and the hash of a line
 */
#ifndef WAYPOST_LOG_POSITION_H
#define WAYPOST_LOG_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest line handed on, its newline excluded; longer ones are
 * counted and skipped. */
#define LOG_LINE_LENGTH_MAX (64 * 1024)

/* What the daemon saves after each line to resume there: the file (device
 * and inode), the offset just after the line, and the hash of that line
 * (log_line_hash(), 0 at offset 0). */
struct log_position {
	uint64_t device;
	uint64_t inode;
	uint64_t offset;
	uint64_t hash;
};

/* The running hash of one line, byte by byte, and of the line before it:
 * enough to check the line that ends at an offset while a file (or a
 * gzip stream) goes past once. */
struct log_line_scan {
	uint64_t current;   /* the line being read, so far */
	uint64_t previous;  /* the last line that ended in a newline */
	bool after_newline; /* the last byte seen was a newline */
};

#define LOG_LINE_HASH_START UINT64_C(0xcbf29ce484222325)

uint64_t log_line_hash(const char *line, size_t length);
void log_line_scan_start(struct log_line_scan *scan);
void log_line_scan_bytes(
    struct log_line_scan *scan, const char *bytes, size_t length);
uint64_t log_line_scan_result(const struct log_line_scan *scan);

#endif
