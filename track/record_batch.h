/*
 * record_batch.h - the arguments of one call of the record script
 */
#ifndef WAYPOST_RECORD_BATCH_H
#define WAYPOST_RECORD_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "log_position.h"
#include "track_outcome.h"

/* What [track] and [redis] say of the records. */
struct record_settings {
	const char *prefix;       /* [redis] prefix */
	const char *relay;        /* this relay's name in the keys */
	bool keep_position;       /* false for standard input */
	long long record_ttl;     /* seconds */
	long long events_max;     /* entries per stream, about */
	long long defer_interval; /* seconds */
	long long suppress_ttl;   /* seconds */
	bool suppress_any;
	long long soft_count;
	long long soft_span;     /* seconds */
	long long guard_window;  /* seconds */
	long long guard_minimum; /* outcomes */
	long long guard_warn;    /* per mille */
	long long guard_pause;   /* per mille; 0: never */
};

enum record_op {
	RECORD_OP_MESSAGE,  /* a header line: client, Message-ID */
	RECORD_OP_ACCEPTED, /* qmgr's from=: in the queue */
	RECORD_OP_OUTCOME,  /* one recipient */
	RECORD_OP_EXPIRED,
	RECORD_OP_DROPPED,
	RECORD_OP_REMOVED,
	RECORD_OP_SUPPRESSED,
};

/* The most operations in one call: the script then runs for a few
 * milliseconds at most. */
#define RECORD_BATCH_OPS_MAX 1000

struct record_batch;

struct record_batch *record_batch_new(const struct record_settings *settings);
void record_batch_configure(
    struct record_batch *batch, const struct record_settings *settings);
void record_batch_add(struct record_batch *batch, enum record_op op,
    const struct track_outcome *outcome);
void record_batch_position(
    struct record_batch *batch, const struct log_position *position);
void record_batch_start(
    struct record_batch *batch, const struct log_position *saved);
void record_batch_follow(
    struct record_batch *batch, const struct record_batch *sent);
size_t record_batch_ops(const struct record_batch *batch);
bool record_batch_pending(const struct record_batch *batch);
int record_batch_arguments(const struct record_batch *batch,
    const char ***words, const size_t **lengths);
void record_batch_clear(struct record_batch *batch);
void record_batch_free(struct record_batch *batch);

void record_position_format(
    const struct log_position *position, char *out, size_t size);
bool record_position_parse(const char *text, struct log_position *position);
void record_key(struct buffer *out, const char *prefix, const char *relay,
    const char *queue_id, long long first_seen);
void record_queue_index_key(struct buffer *out, const char *prefix,
    const char *relay, const char *queue_id);

#endif
