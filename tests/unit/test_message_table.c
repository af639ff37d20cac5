/*
 * test_message_table.c - the open messages: found by queue ID, bounded,
 * the oldest evicted first, a queue ID reused after its "removed"; and
 * what track_lines makes of a message's lines with them
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "message_table.h"
#include "track_lines.h"
#include "unit_test.h"

static struct message_entry *
add(struct message_table *table, const char *queue_id, time_t first_seen,
    struct message_eviction *eviction)
{
	return message_table_add(
	    table, queue_id, strlen(queue_id), first_seen, eviction);
}

static struct message_entry *
find(struct message_table *table, const char *queue_id)
{
	return message_table_find(table, queue_id, strlen(queue_id));
}

static void
test_correlation(void **state)
{
	struct message_table *table = message_table_new(10);
	struct message_eviction eviction;
	struct message_entry *entry;

	(void)state;
	entry = add(table, "4F3A21C0B2", 1000, &eviction);
	assert_non_null(entry);
	assert_false(eviction.evicted);
	message_set_text(&entry->client, "app[192.0.2.1]", 14);
	message_set_text(&entry->sender, "App@Example.com", 15);
	message_set_text(&entry->message_id, "id@example.com", 14);
	entry->size = 1234;
	entry->recipient_count = 3;
	add(table, "5B00000001", 1001, &eviction);
	entry = find(table, "4F3A21C0B2");
	assert_non_null(entry);
	assert_string_equal(entry->queue_id, "4F3A21C0B2");
	assert_int_equal(entry->first_seen, 1000);
	assert_string_equal(entry->client, "app[192.0.2.1]");
	assert_string_equal(entry->sender, "App@Example.com");
	assert_string_equal(entry->message_id, "id@example.com");
	assert_null(entry->sasl_username);
	assert_int_equal(entry->size, 1234);
	assert_int_equal(entry->recipient_count, 3);
	/* A prefix or an extension of a queue ID is another queue ID. */
	assert_null(message_table_find(table, "4F3A21C0B2", 9));
	assert_null(find(table, "4F3A21C0B2X"));
	assert_int_equal(message_table_count(table), 2);
	message_table_free(table);
}

static void
test_bound_evicts_oldest(void **state)
{
	struct message_table *table = message_table_new(3);
	struct message_eviction eviction;

	(void)state;
	add(table, "A00001", 1, &eviction);
	add(table, "A00002", 2, &eviction);
	add(table, "A00003", 3, &eviction);
	assert_false(eviction.evicted);
	add(table, "A00004", 4, &eviction);
	assert_true(eviction.evicted);
	assert_string_equal(eviction.queue_id, "A00001");
	assert_int_equal(eviction.first_seen, 1);
	assert_int_equal(message_table_count(table), 3);
	assert_null(find(table, "A00001"));
	assert_non_null(find(table, "A00004"));
	/* Removing one makes room: the next add evicts nothing. */
	assert_true(message_table_remove(table, "A00003", 6));
	assert_false(message_table_remove(table, "A00003", 6));
	add(table, "A00005", 5, &eviction);
	assert_false(eviction.evicted);
	/* A smaller bound evicts, oldest first, at the next add. */
	message_table_set_max(table, 2);
	add(table, "A00006", 6, &eviction);
	assert_true(eviction.evicted);
	assert_string_equal(eviction.queue_id, "A00004");
	assert_int_equal(message_table_count(table), 2);
	assert_non_null(find(table, "A00005"));
	assert_non_null(find(table, "A00006"));
	message_table_free(table);
}

static void
test_reuse_after_removed(void **state)
{
	struct message_table *table = message_table_new(10);
	struct message_eviction eviction;
	struct message_entry *entry;

	(void)state;
	entry = add(table, "C9693A724FA", 100, &eviction);
	message_set_text(&entry->sasl_username, "alice@example.com", 17);
	assert_true(message_table_remove(table, "C9693A724FA", 11));
	assert_null(find(table, "C9693A724FA"));
	entry = add(table, "C9693A724FA", 200, &eviction);
	assert_int_equal(entry->first_seen, 200);
	assert_null(entry->sasl_username);
	/* Reused with no "removed" between: the new message replaces it. */
	message_set_text(&entry->sender, "bob@example.com", 15);
	entry = add(table, "C9693A724FA", 300, &eviction);
	assert_false(eviction.evicted);
	assert_null(entry->sender);
	assert_int_equal(message_table_count(table), 1);
	message_table_free(table);
}

static void
test_bounds_of_input(void **state)
{
	struct message_table *table = message_table_new(10);
	struct message_eviction eviction;
	struct message_entry *entry;
	char id[MESSAGE_QUEUE_ID_MAX + 2], text[MESSAGE_TEXT_MAX + 100];

	(void)state;
	memset(id, 'A', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_null(add(table, id, 1, &eviction));
	assert_null(find(table, id));
	id[MESSAGE_QUEUE_ID_MAX] = '\0';
	assert_non_null(add(table, id, 1, &eviction));
	assert_non_null(find(table, id));
	assert_null(message_table_add(table, "", 0, 1, &eviction));
	entry = find(table, id);
	memset(text, 'x', sizeof(text));
	message_set_text(&entry->message_id, text, sizeof(text));
	assert_int_equal(strlen(entry->message_id), MESSAGE_TEXT_MAX);
	message_table_free(table);
}

static void
test_many_messages(void **state)
{
	struct message_table *table = message_table_new(50000);
	struct message_eviction eviction;
	char id[32];
	size_t evicted = 0;

	(void)state;
	for (int i = 0; i < 60000; i++) {
		snprintf(id, sizeof(id), "%010X", i);
		add(table, id, i, &eviction);
		evicted += eviction.evicted;
	}
	assert_int_equal(evicted, 10000);
	assert_int_equal(message_table_count(table), 50000);
	for (int i = 0; i < 60000; i++) {
		snprintf(id, sizeof(id), "%010X", i);
		if (i < 10000)
			assert_null(find(table, id));
		else
			assert_int_equal(find(table, id)->first_seen, i);
	}
	message_table_free(table);
}

/* A message's lines, in the order of a real log, through track_lines. */
static const char *const lines_of_a_bounce[] = {
    "Dec  2 02:42:31 relay postfix/smtpd[100]: 4F3A21C0B2: "
    "client=app[192.0.2.1], sasl_method=PLAIN, "
    "sasl_username=Alice@Example.com",
    "Dec  2 02:42:31 relay postfix/cleanup[101]: 4F3A21C0B2: "
    "message-id=<one@app.example.com>",
    "Dec  2 02:42:31 relay postfix/qmgr[102]: 4F3A21C0B2: "
    "from=<app@example.com>, size=500, nrcpt=1 (queue active)",
    "Dec  2 02:42:32 relay postfix/smtp[103]: 4F3A21C0B2: "
    "to=<nobody@example.net>, relay=mx[192.0.2.2]:25, delay=1, "
    "delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.2] said: "
    "550 5.1.1 user unknown (in reply to RCPT TO command))",
    "Dec  2 02:42:32 relay postfix/cleanup[101]: 5B00000001: "
    "message-id=<20261202.5B00000001@relay>",
    "Dec  2 02:42:32 relay postfix/bounce[104]: 4F3A21C0B2: sender "
    "non-delivery notification: 5B00000001",
    "Dec  2 02:42:32 relay postfix/qmgr[102]: 5B00000001: from=<>, "
    "size=2000, nrcpt=1 (queue active)",
    "Dec  2 02:42:32 relay postfix/qmgr[102]: 4F3A21C0B2: removed",
    "garbage, not a log line",
};

static void
test_lines_of_a_message(void **state)
{
	struct track_lines *lines = track_lines_new(100);
	const struct track_counters *counters;
	size_t count = sizeof(lines_of_a_bounce) / sizeof(*lines_of_a_bounce);

	(void)state;
	for (size_t i = 0; i < count; i++)
		track_lines_read(lines, NULL, lines_of_a_bounce[i],
		    strlen(lines_of_a_bounce[i]), 1796265000);
	counters = track_lines_counters(lines);
	assert_int_equal(counters->lines, count);
	assert_int_equal(counters->outcomes[TRACK_OUTCOME_BOUNCED], 1);
	assert_int_equal(counters->unknown_messages, 0);
	assert_int_equal(counters->notifications, 1);
	assert_int_equal(counters->removed, 1);
	assert_int_equal(counters->invalid, 1);
	/* The bounce is still open; the message it is about is gone. */
	assert_int_equal(track_lines_open_messages(lines), 1);
	track_lines_free(lines);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_correlation),
    cmocka_unit_test(test_bound_evicts_oldest),
    cmocka_unit_test(test_reuse_after_removed),
    cmocka_unit_test(test_bounds_of_input),
    cmocka_unit_test(test_many_messages),
    cmocka_unit_test(test_lines_of_a_message),
};

UNIT_TEST_MAIN(tests)
