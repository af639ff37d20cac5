/*
 * track_lines.h - each line of Postfix's log, read into outcomes
 */
#ifndef WAYPOST_TRACK_LINES_H
#define WAYPOST_TRACK_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "bounce_rules.h"
#include "track_outcome.h"

struct track_lines;
struct record_batch;
struct message_entry;

/* Fills a message the table lacks from its record; true when found. */
typedef bool (*track_restore_fn)(void *context, struct message_entry *message);

struct track_lines *track_lines_new(size_t max_open_messages);
void track_lines_set_max(struct track_lines *lines, size_t max_open_messages);
void track_lines_set_records(struct track_lines *lines,
    struct record_batch *batch, track_restore_fn restore, void *context);
void track_lines_read(struct track_lines *lines,
    const struct bounce_rules *rules, const char *data, size_t length,
    time_t now);
void track_lines_settle(struct track_lines *lines);
const struct track_counters *track_lines_counters(
    const struct track_lines *lines);
size_t track_lines_open_messages(const struct track_lines *lines);
time_t track_lines_newest(const struct track_lines *lines);
void track_lines_free(struct track_lines *lines);

#endif
