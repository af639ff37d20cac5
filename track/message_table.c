/*
 * NAME
 *	message_table - what waypost-trackd knows of each message in the
 *	queue
 * SUMMARY
 *	queue ID to client, login, Message-ID, sender, size; bounded
 * SYNOPSIS
 *	#include "message_table.h"
 *
 *	struct message_table *message_table_new(max)
 *	void message_table_set_max(table, max)
 *	struct message_entry *message_table_find(table, queue_id, length)
 *	struct message_entry *message_table_add(table, queue_id, length,
 *	    first_seen, eviction)
 *	bool message_table_remove(table, queue_id, length)
 *	size_t message_table_count(table)
 *	void message_set_text(field, data, length)
 *	void message_table_free(table)
 * DESCRIPTION
 *	One entry per message between its first line in the log and its
 *	"removed": the lines of one message come from several Postfix
 *	daemons (smtpd, cleanup, qmgr, the delivery agents) and only the
 *	first ones say who sent it, so a delivery line is understood by
 *	what the table kept.
 *
 *	message_table_add() makes a fresh entry for a queue ID, replacing
 *	one of the same ID: short queue IDs are reused once a message is
 *	gone, and a new message's first line means the old one ended
 *	(its "removed" was lost). When the table holds max entries, the
 *	oldest added is evicted first, and eviction says which one, for
 *	the caller's warning. message_table_set_max() changes the bound;
 *	a smaller one evicts at the next adds.
 *
 *	message_set_text() replaces a text of an entry with a copy of at
 *	most MESSAGE_TEXT_MAX bytes of data.
 * SECURITY
 *	Every text comes from the log, so from peers: copies are bounded,
 *	the number of entries too (max), and the queue IDs are at most
 *	MESSAGE_QUEUE_ID_MAX bytes (longer ones are neither found nor
 *	added). Memory: about 200 bytes per entry plus its texts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_line.h"
#include "message_table.h"
#include "xmalloc.h"

_Static_assert(MESSAGE_QUEUE_ID_MAX >= LOG_QUEUE_ID_MAX,
    "a queue ID the parser accepts must fit in an entry");

#define BUCKETS_START 1024

struct message_table {
	size_t max;
	size_t count;
	size_t bucket_count; /* a power of two */
	struct message_entry **buckets;
	struct message_entry *oldest, *newest;
};

static uint64_t
queue_id_hash(const char *queue_id, size_t length)
{
	uint64_t hash = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < length; i++) {
		hash ^= (unsigned char)queue_id[i];
		hash *= UINT64_C(0x100000001b3);
	}
	return hash;
}

static struct message_entry **
bucket_of(
    const struct message_table *table, const char *queue_id, size_t length)
{
	return &table->buckets[queue_id_hash(queue_id, length) &
	                       (table->bucket_count - 1)];
}

struct message_table *
message_table_new(size_t max)
{
	struct message_table *table = xcalloc(1, sizeof(*table));

	table->max = max > 0 ? max : 1;
	table->bucket_count = BUCKETS_START;
	table->buckets = xcalloc(table->bucket_count, sizeof(*table->buckets));
	return table;
}

void
message_table_set_max(struct message_table *table, size_t max)
{
	table->max = max > 0 ? max : 1;
}

size_t
message_table_count(const struct message_table *table)
{
	return table->count;
}

struct message_entry *
message_table_find(
    const struct message_table *table, const char *queue_id, size_t length)
{
	struct message_entry *entry;

	if (length == 0 || length > MESSAGE_QUEUE_ID_MAX)
		return NULL;
	for (entry = *bucket_of(table, queue_id, length); entry != NULL;
	     entry = entry->hash_next)
		if (strlen(entry->queue_id) == length &&
		    memcmp(entry->queue_id, queue_id, length) == 0)
			return entry;
	return NULL;
}

/* Twice the buckets when they hold one entry each on average. */
static void
grow(struct message_table *table)
{
	struct message_entry **old = table->buckets;
	size_t old_count = table->bucket_count;

	if (table->count < table->bucket_count ||
	    table->bucket_count > SIZE_MAX / 2 / sizeof(*old))
		return;
	table->bucket_count *= 2;
	table->buckets = xcalloc(table->bucket_count, sizeof(*table->buckets));
	for (size_t i = 0; i < old_count; i++)
		while (old[i] != NULL) {
			struct message_entry *entry = old[i];
			struct message_entry **bucket = bucket_of(
			    table, entry->queue_id, strlen(entry->queue_id));

			old[i] = entry->hash_next;
			entry->hash_next = *bucket;
			*bucket = entry;
		}
	free(old);
}

static void
entry_free(struct message_entry *entry)
{
	free(entry->client);
	free(entry->sasl_username);
	free(entry->message_id);
	free(entry->sender);
	free(entry);
}

/* Out of its bucket and of the age list, then freed. */
static void
unlink_entry(struct message_table *table, struct message_entry *entry)
{
	struct message_entry **link =
	    bucket_of(table, entry->queue_id, strlen(entry->queue_id));

	while (*link != entry)
		link = &(*link)->hash_next;
	*link = entry->hash_next;
	if (entry->older != NULL)
		entry->older->newer = entry->newer;
	else
		table->oldest = entry->newer;
	if (entry->newer != NULL)
		entry->newer->older = entry->older;
	else
		table->newest = entry->older;
	table->count--;
	entry_free(entry);
}

bool
message_table_remove(
    struct message_table *table, const char *queue_id, size_t length)
{
	struct message_entry *entry =
	    message_table_find(table, queue_id, length);

	if (entry == NULL)
		return false;
	unlink_entry(table, entry);
	return true;
}

struct message_entry *
message_table_add(struct message_table *table, const char *queue_id,
    size_t length, time_t first_seen, struct message_eviction *eviction)
{
	struct message_entry *entry, **bucket;

	memset(eviction, 0, sizeof(*eviction));
	if (length == 0 || length > MESSAGE_QUEUE_ID_MAX)
		return NULL;
	message_table_remove(table, queue_id, length);
	while (table->count >= table->max && table->oldest != NULL) {
		eviction->evicted = true;
		memcpy(eviction->queue_id, table->oldest->queue_id,
		    sizeof(eviction->queue_id));
		eviction->first_seen = table->oldest->first_seen;
		unlink_entry(table, table->oldest);
	}
	grow(table);
	entry = xcalloc(1, sizeof(*entry));
	memcpy(entry->queue_id, queue_id, length);
	entry->first_seen = first_seen;
	bucket = bucket_of(table, queue_id, length);
	entry->hash_next = *bucket;
	*bucket = entry;
	entry->older = table->newest;
	if (table->newest != NULL)
		table->newest->newer = entry;
	else
		table->oldest = entry;
	table->newest = entry;
	table->count++;
	return entry;
}

void
message_set_text(char **field, const char *data, size_t length)
{
	free(*field);
	*field = xstrndup(
	    data, length > MESSAGE_TEXT_MAX ? MESSAGE_TEXT_MAX : length);
}

void
message_table_free(struct message_table *table)
{
	if (table == NULL)
		return;
	while (table->oldest != NULL)
		unlink_entry(table, table->oldest);
	free(table->buckets);
	free(table);
}
