/*
 * message_table.h - what waypost-trackd knows of each message in the queue
 */
#ifndef WAYPOST_MESSAGE_TABLE_H
#define WAYPOST_MESSAGE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MESSAGE_QUEUE_ID_MAX 32  /* bytes; log_line.h's LOG_QUEUE_ID_MAX */
#define MESSAGE_TEXT_MAX     998 /* bytes kept of each text; the rest cut */

struct message_entry {
	char queue_id[MESSAGE_QUEUE_ID_MAX + 1];
	time_t first_seen;
	/* NULL until logged; each at most MESSAGE_TEXT_MAX bytes. */
	char *client; /* name[address] */
	char *sasl_username;
	char *message_id; /* without its brackets */
	char *sender;     /* "" for the null sender <> */
	unsigned long long size;
	unsigned long long recipient_count;
	/* Postfix's own notification (bounce, delay, success) about the
	 * message with this queue ID; "" for any other message. */
	char notification_of[MESSAGE_QUEUE_ID_MAX + 1];
	/* waypost-trackd's record of it is in a batch, or in Redis. */
	bool recorded;
	/* Header lines read (client, Message-ID) not in the batch yet: they
	 * go with the next operation, or at the batch's end. */
	bool header_pending;
	time_t header_time;

	/* The table's own. */
	struct message_entry *hash_next;
	struct message_entry *older, *newer;
};

/* The message an add pushed out of a full table. */
struct message_eviction {
	bool evicted;
	char queue_id[MESSAGE_QUEUE_ID_MAX + 1];
	time_t first_seen;
};

struct message_table;

struct message_table *message_table_new(size_t max);
void message_table_set_max(struct message_table *table, size_t max);
struct message_entry *message_table_find(
    const struct message_table *table, const char *queue_id, size_t length);
struct message_entry *message_table_add(struct message_table *table,
    const char *queue_id, size_t length, time_t first_seen,
    struct message_eviction *eviction);
bool message_table_remove(
    struct message_table *table, const char *queue_id, size_t length);
size_t message_table_count(const struct message_table *table);
void message_set_text(char **field, const char *data, size_t length);
void message_table_free(struct message_table *table);

#endif
