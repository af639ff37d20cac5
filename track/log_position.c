/*
 * NAME
 *	log_position - the hash that ties a saved position to its line
 * SYNOPSIS
 *	#include "log_position.h"
 *
 *	uint64_t log_line_hash(line, length)
 *	void log_line_scan_start(scan)
 *	void log_line_scan_bytes(scan, bytes, length)
 *	uint64_t log_line_scan_result(scan)
 * DESCRIPTION
 *	A saved position names a file by device and inode and a place in it
 *	by offset; the hash of the line that ends at that offset proves, at
 *	restart, that the bytes there are still the ones that were read (a
 *	file truncated and written again keeps its inode; a gzip copy of a
 *	rotated file has a new one).
 *
 *	log_line_hash() is 64-bit FNV-1a (offset basis 0xcbf29ce484222325,
 *	prime 0x100000001b3) over the bytes of the line without its
 *	newline. It is stable across builds, hosts and byte orders, so
 *	positions kept in Redis outlive an upgrade. It needs no key: it
 *	guards against a changed file, not an adversary, and nobody but
 *	Postfix chooses the lines.
 *
 *	The log_line_scan functions compute the same hash while bytes stream
 *	past (a gzip stream cannot be read backwards). After the bytes
 *	0..offset-1 of a file, log_line_scan_result() is the hash of the line
 *	that ends at offset: the one before the final newline, or, when the
 *	last byte is not a newline, the unterminated line a follower handed
 *	on when that file ended.
 */
#include "config.h"

#include "log_position.h"

#define FNV_PRIME UINT64_C(0x100000001b3)

uint64_t
log_line_hash(const char *line, size_t length)
{
	uint64_t hash = LOG_LINE_HASH_START;

	for (size_t i = 0; i < length; i++) {
		hash ^= (unsigned char)line[i];
		hash *= FNV_PRIME;
	}
	return hash;
}

void
log_line_scan_start(struct log_line_scan *scan)
{
	scan->current = LOG_LINE_HASH_START;
	scan->previous = LOG_LINE_HASH_START;
	scan->after_newline = false;
}

void
log_line_scan_bytes(
    struct log_line_scan *scan, const char *bytes, size_t length)
{
	uint64_t hash = scan->current;

	for (size_t i = 0; i < length; i++) {
		if (bytes[i] == '\n') {
			scan->previous = hash;
			hash = LOG_LINE_HASH_START;
			scan->after_newline = true;
			continue;
		}
		hash ^= (unsigned char)bytes[i];
		hash *= FNV_PRIME;
		scan->after_newline = false;
	}
	scan->current = hash;
}

uint64_t
log_line_scan_result(const struct log_line_scan *scan)
{
	return scan->after_newline ? scan->previous : scan->current;
}
