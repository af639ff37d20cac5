/*
 * NAME
 *	ctl_message_find - the records of a message, through
 *	waypost-trackd's indexes
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_message_find(ctl, ref, relay, records)
 *	void ctl_records_free(records)
 *	bool ctl_record_id(ctl, key, relay, id, size)
 * DESCRIPTION
 *	ctl_message_find() fills records with the keys of the records of
 *	the message ref names (ctl_args.c): those its Message-ID's index
 *	names ("message-id:MESSAGEID", a string of keys separated by a
 *	space, oldest first: track/record_contract.h), then, when ref may
 *	be a queue ID, those of the queue ID's index ("queue-id:RELAY:ID")
 *	on the relay given, or on every relay (relay NULL: SCAN, which
 *	reads every key's name of the database, a page at a time), each
 *	key once. With a relay, only its records are kept. No record is
 *	no error: records->count is 0.
 *
 *	ctl_record_id() reads a record's key back (lib/redis_keys.c):
 *	its relay into relay (a buffer), and its QUEUEID.FIRSTSEEN into
 *	id; false for a key that is no record's.
 * SECURITY
 *	At most CTL_RECORDS_MAX keys are kept. An index's value is
 *	Redis': it is split on spaces, and a key longer than a record's
 *	could be is skipped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "xmalloc.h"

/* prefix, "message:", relay, ":", QUEUEID.FIRSTSEEN: well within. */
#define RECORD_KEY_MAX 1024

static void
add_key(struct ctl_records *records, const char *key, size_t length)
{
	if (length == 0 || length > RECORD_KEY_MAX ||
	    records->count >= CTL_RECORDS_MAX)
		return;
	for (size_t i = 0; i < records->count; i++)
		if (strlen(records->keys[i]) == length &&
		    memcmp(records->keys[i], key, length) == 0)
			return;
	records->keys[records->count] = xmalloc(length + 1);
	memcpy(records->keys[records->count], key, length);
	records->keys[records->count][length] = '\0';
	records->count++;
}

/* The keys an index names (a string), each once. */
static int
read_index(struct ctl *ctl, const char *index, struct ctl_records *records)
{
	char *value;
	long long ttl_ms;
	int status = ctl_get_string(ctl, index, &value, &ttl_ms);

	if (status != EX_OK || value == NULL)
		return status;
	for (const char *at = value; *at != '\0';) {
		size_t length = strcspn(at, " ");

		add_key(records, at, length);
		at += length;
		at += strspn(at, " ");
	}
	free(value);
	return EX_OK;
}

static int
each_queue_index(struct ctl *ctl, const char *key, void *context)
{
	return read_index(ctl, key, context);
}

/* Only the records of relay. */
static void
keep_relay(
    const struct ctl *ctl, const char *relay, struct ctl_records *records)
{
	struct buffer name = {0};
	char id[128];
	size_t kept = 0;

	for (size_t i = 0; i < records->count; i++) {
		if (ctl_record_id(
		        ctl, records->keys[i], &name, id, sizeof(id)) &&
		    strcmp(buffer_text(&name), relay) == 0)
			records->keys[kept++] = records->keys[i];
		else
			free(records->keys[i]);
	}
	records->count = kept;
	buffer_free(&name);
}

int
ctl_message_find(struct ctl *ctl, const struct ctl_message_ref *ref,
    const char *relay, struct ctl_records *records)
{
	struct buffer key = {0};
	int status = EX_OK;

	records->count = 0;
	if (ref->message_id[0] != '\0') {
		ctl_key(ctl, &key, REDIS_KEY_MESSAGE_ID, ref->message_id);
		status = read_index(ctl, buffer_text(&key), records);
	}
	if (status == EX_OK && ref->queue_id[0] != '\0' && relay != NULL) {
		ctl_key_pair(
		    ctl, &key, REDIS_KEY_QUEUE_ID, relay, ref->queue_id);
		status = read_index(ctl, buffer_text(&key), records);
	} else if (status == EX_OK && ref->queue_id[0] != '\0') {
		buffer_reset(&key);
		redis_key_append_pattern(&key, ctl->redis->prefix,
		    REDIS_KEY_QUEUE_ID, NULL, ref->queue_id);
		status =
		    ctl_scan(ctl, buffer_text(&key), each_queue_index, records);
	}
	buffer_free(&key);
	if (relay != NULL)
		keep_relay(ctl, relay, records);
	return status;
}

void
ctl_records_free(struct ctl_records *records)
{
	for (size_t i = 0; i < records->count; i++)
		free(records->keys[i]);
	records->count = 0;
}

bool
ctl_record_id(const struct ctl *ctl, const char *key, struct buffer *relay,
    char *id, size_t size)
{
	struct buffer subject = {0};
	bool found = redis_key_parse(key, ctl->redis->prefix, REDIS_KEY_MESSAGE,
	                 relay, &subject) &&
	             subject.length < size && subject.length > 0;

	if (found)
		memcpy(id, buffer_text(&subject), subject.length + 1);
	buffer_free(&subject);
	return found;
}
