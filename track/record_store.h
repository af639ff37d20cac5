/*
 * record_store.h - waypost-trackd's Redis: the records, and where it stopped
 */
#ifndef WAYPOST_RECORD_STORE_H
#define WAYPOST_RECORD_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_common.h"
#include "log_position.h"
#include "message_table.h"
#include "record_batch.h"

/* The shortest wait for one reply: a batch runs a few milliseconds, and
 * the tracker is on no mail's path. */
#define RECORD_STORE_TIMEOUT_MIN_MS 5000

enum record_lookup {
	RECORD_FOUND,
	RECORD_NONE,  /* Redis has no live record of that queue ID */
	RECORD_ERROR, /* Redis did not answer */
};

enum record_flush {
	RECORD_FLUSHED, /* applied, or found applied already */
	RECORD_UNSAVED, /* Redis did not take it: kept, try again */
	RECORD_MOVED,   /* the saved position is not where the batch starts */
};

struct record_store;

struct record_store *record_store_new(
    const struct redis_settings *redis, const struct record_settings *settings);
enum record_lookup record_store_position(struct record_store *store,
    struct log_position *position, char *error, size_t error_size);
enum record_flush record_store_flush(struct record_store *store,
    struct record_batch *batch, char *error, size_t error_size);
bool record_store_send(struct record_store *store, struct record_batch *batch,
    char *error, size_t error_size);
bool record_store_in_flight(const struct record_store *store);
enum record_flush record_store_receive(struct record_store *store,
    struct record_batch *batch, char *error, size_t error_size);
enum record_lookup record_store_restore(struct record_store *store,
    const char *queue_id, struct message_entry *message, char *error,
    size_t error_size);
void record_store_free(struct record_store *store);

#endif
