/*
 * test_record_batch.c - the record script's arguments: each operation
 * has exactly the count of arguments record_contract.h gives it, at the
 * places it names, keys as lib/redis_keys.c makes them; positions are
 * written and read back, and a batch follows the one before it
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "record_batch.h"
#include "record_contract.h"
#include "unit_test.h"

static const struct record_settings settings = {
    .prefix = "wp:",
    .relay = "relay-1",
    .keep_position = true,
    .record_ttl = 604800,
    .events_max = 1000000,
    .defer_interval = 14400,
    .suppress_ttl = 2592000,
    .suppress_any = false,
    .soft_count = 3,
    .soft_span = 259200,
    .guard_window = 86400,
    .guard_minimum = 200,
    .guard_warn = 50,
    .guard_pause = 100,
};

static const char **words;
static const size_t *lengths;

static int
arguments(const struct record_batch *batch)
{
	return record_batch_arguments(batch, &words, &lengths);
}

/* Argument n (1-based, as ARGV) is text, its length counted. */
static void
assert_word(int n, const char *text)
{
	if (lengths[n - 1] != strlen(text) ||
	    memcmp(words[n - 1], text, lengths[n - 1]) != 0)
		fail_msg("ARGV[%d] is \"%.*s\", not \"%s\"", n,
		    (int)lengths[n - 1], words[n - 1], text);
}

static struct track_outcome
outcome_of(void)
{
	struct track_outcome outcome;

	memset(&outcome, 0, sizeof(outcome));
	outcome.type = TRACK_OUTCOME_BOUNCED;
	outcome.time = 1796179354;
	outcome.first_seen = 1796179352;
	outcome.queue_id = "4F3A21C0B2";
	outcome.recipient = "Bob@Example.NET";
	outcome.relay = "mx.example.net[192.0.2.2]:25";
	outcome.dsn = "5.1.1";
	outcome.reply = "550 5.1.1 user unknown";
	outcome.class = BOUNCE_CLASS_INVALID_RECIPIENT;
	outcome.message_id = "id@app.example.com";
	outcome.sender = "App@Example.com";
	outcome.tenant = "a:b@example.com";
	outcome.user = "a:b@example.com";
	outcome.record_new = true;
	return outcome;
}

static void
test_fixed_arguments(void **state)
{
	struct record_batch *batch = record_batch_new(&settings);
	struct log_position position = {2049, 131, 4096, 12345678901234ULL};

	(void)state;
	assert_false(record_batch_pending(batch));
	assert_int_equal(arguments(batch), SCRIPT_ARG_FIXED);
	assert_word(SCRIPT_ARG_VERSION, "3");
	assert_word(SCRIPT_ARG_POSITION_KEY, "wp:track-position:relay-1");
	assert_word(SCRIPT_ARG_POSITION, "");
	assert_word(SCRIPT_ARG_POSITION_START, "");
	assert_word(SCRIPT_ARG_EVENTS_KEY, "wp:events");
	assert_word(SCRIPT_ARG_GUARD_PAUSE, "100");
	record_batch_position(batch, &position);
	assert_true(record_batch_pending(batch));
	arguments(batch);
	assert_word(SCRIPT_ARG_POSITION, "2049 131 4096 12345678901234");
	record_batch_free(batch);
}

static void
test_each_operation_has_its_count(void **state)
{
	static const struct {
		enum record_op op;
		int code, count;
	} ops[] = {
	    {RECORD_OP_MESSAGE, SCRIPT_OP_MESSAGE, SCRIPT_M_MESSAGE_COUNT},
	    {RECORD_OP_ACCEPTED, SCRIPT_OP_MESSAGE, SCRIPT_M_MESSAGE_COUNT},
	    {RECORD_OP_OUTCOME, SCRIPT_OP_OUTCOME, SCRIPT_O_COUNT},
	    {RECORD_OP_SUPPRESSED, SCRIPT_OP_SUPPRESSED, SCRIPT_O_COUNT},
	    {RECORD_OP_EXPIRED, SCRIPT_OP_EXPIRED, SCRIPT_X_COUNT},
	    {RECORD_OP_DROPPED, SCRIPT_OP_DROPPED, SCRIPT_X_COUNT},
	    {RECORD_OP_REMOVED, SCRIPT_OP_REMOVED, SCRIPT_M_COMMON},
	};
	struct track_outcome outcome = outcome_of();

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct record_batch *batch = record_batch_new(&settings);
		char code[8], count[8];

		record_batch_add(batch, ops[i].op, &outcome);
		assert_int_equal(record_batch_ops(batch), 1);
		assert_int_equal(
		    arguments(batch), SCRIPT_ARG_FIXED + 2 + ops[i].count);
		snprintf(code, sizeof(code), "%d", ops[i].code);
		snprintf(count, sizeof(count), "%d", ops[i].count);
		assert_word(SCRIPT_ARG_FIXED + 1, code);
		assert_word(SCRIPT_ARG_FIXED + 2, count);
		record_batch_free(batch);
	}
}

/* Argument n of the first operation's group. */
#define OP(n) (SCRIPT_ARG_FIXED + 2 + (n))

static void
test_outcome_fields_and_keys(void **state)
{
	struct record_batch *batch = record_batch_new(&settings);
	struct track_outcome outcome = outcome_of();

	(void)state;
	record_batch_add(batch, RECORD_OP_OUTCOME, &outcome);
	arguments(batch);
	assert_word(
	    OP(SCRIPT_M_RECORD), "wp:message:relay-1:4F3A21C0B2.1796179352");
	assert_word(OP(SCRIPT_M_QUEUE_INDEX), "wp:queue-id:relay-1:4F3A21C0B2");
	/* The tenant holds a ":": escaped where it is a first part. */
	assert_word(OP(SCRIPT_M_TENANT_EVENTS), "wp:events:a:b@example.com");
	assert_word(OP(SCRIPT_M_ISO_TIME), "2026-12-02T02:42:34Z");
	assert_word(OP(SCRIPT_M_NEW), "1");
	assert_word(
	    OP(SCRIPT_O_SUPPRESS_PREFIX), "wp:suppressed:{a%3Ab@example.com}:");
	assert_word(OP(SCRIPT_O_SUPPRESS_ANY_PREFIX), "wp:suppressed-any:");
	assert_word(OP(SCRIPT_O_EXPIRATIONS_PREFIX),
	    "wp:expirations:{a%3Ab@example.com}:");
	assert_word(OP(SCRIPT_O_GUARD), "wp:bounce-rate:{a:b@example.com}");
	assert_word(
	    OP(SCRIPT_O_SUSPEND), "wp:suspended:user:{a:b@example.com}");
	assert_word(OP(SCRIPT_O_TYPE), "bounced");
	assert_word(OP(SCRIPT_O_RECIPIENT), "Bob@Example.NET");
	assert_word(OP(SCRIPT_O_ADDRESS), "bob@example.net");
	assert_word(OP(SCRIPT_O_CLASS), "invalid-recipient");
	assert_word(OP(SCRIPT_O_SUPPRESS), "hard");
	assert_word(OP(SCRIPT_O_BOUNCE), "1");
	assert_word(OP(SCRIPT_O_EVENT_ID), "");
	record_batch_free(batch);

	/* A sender's tenant (no login): the guard pauses its domain; a full
	 * mailbox is soft, never a bounce the guard counts. */
	batch = record_batch_new(&settings);
	outcome.user = NULL;
	outcome.tenant = "app@example.com";
	outcome.class = BOUNCE_CLASS_MAILBOX_FULL;
	record_batch_add(batch, RECORD_OP_OUTCOME, &outcome);
	arguments(batch);
	assert_word(OP(SCRIPT_O_SUSPEND), "wp:suspended:domain:example.com");
	assert_word(OP(SCRIPT_O_SUPPRESS), "soft");
	assert_word(OP(SCRIPT_O_BOUNCE), "");
	record_batch_free(batch);

	/* Postfix's own mail: no tenant, so no tenant keys. */
	batch = record_batch_new(&settings);
	outcome.tenant = NULL;
	outcome.postfix_own = true;
	outcome.class = BOUNCE_CLASS_REPUTATION;
	record_batch_add(batch, RECORD_OP_OUTCOME, &outcome);
	arguments(batch);
	assert_word(OP(SCRIPT_M_TENANT_EVENTS), "");
	assert_word(OP(SCRIPT_M_ORIGIN), "postfix");
	assert_word(OP(SCRIPT_O_SUPPRESS_PREFIX), "");
	assert_word(OP(SCRIPT_O_GUARD), "");
	assert_word(OP(SCRIPT_O_SUPPRESS), "");
	record_batch_free(batch);
}

static void
test_refusal_before_a_queue_file(void **state)
{
	struct record_batch *batch = record_batch_new(&settings);
	struct track_outcome outcome = outcome_of();

	(void)state;
	outcome.queue_id = NULL;
	outcome.event_id = "NOQUEUE.1796179354.4242.82e94c05eb4de182";
	record_batch_add(batch, RECORD_OP_SUPPRESSED, &outcome);
	arguments(batch);
	assert_word(OP(SCRIPT_M_RECORD), "");
	assert_word(OP(SCRIPT_M_QUEUE_INDEX), "");
	assert_word(OP(SCRIPT_M_QUEUE_ID), "NOQUEUE");
	assert_word(OP(SCRIPT_O_TYPE), "suppressed");
	assert_word(OP(SCRIPT_O_SUPPRESS), "");
	assert_word(OP(SCRIPT_O_EVENT_ID), outcome.event_id);
	/* Without a queue ID nothing else has a record to name. */
	record_batch_add(batch, RECORD_OP_OUTCOME, &outcome);
	assert_int_equal(record_batch_ops(batch), 1);
	record_batch_free(batch);
}

static void
test_positions_and_the_chain_of_batches(void **state)
{
	struct record_batch *first = record_batch_new(&settings);
	struct record_batch *second = record_batch_new(&settings);
	struct log_position saved = {1, 2, 3, 4}, end = {1, 2, 900, 77};
	struct log_position read;
	char text[96];
	static const char *const bad[] = {
	    "", "1 2 3", "1 2 3 4 5", "a b c d", "1 2 3 4x", "-"};

	(void)state;
	record_position_format(&end, text, sizeof(text));
	assert_string_equal(text, "1 2 900 77");
	assert_true(record_position_parse(text, &read));
	assert_memory_equal(&read, &end, sizeof(end));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(record_position_parse(bad[i], &read));
	assert_false(record_position_parse(NULL, &read));

	record_batch_start(first, &saved);
	record_batch_position(first, &end);
	arguments(first);
	assert_word(SCRIPT_ARG_POSITION_START, "1 2 3 4");
	assert_word(SCRIPT_ARG_POSITION, "1 2 900 77");
	/* Sent, its reply not read: the next batch follows its end. */
	record_batch_follow(second, first);
	arguments(second);
	assert_word(SCRIPT_ARG_POSITION_START, "1 2 900 77");
	/* Went through: the same batch, cleared, follows its own end. */
	record_batch_clear(first);
	assert_false(record_batch_pending(first));
	arguments(first);
	assert_word(SCRIPT_ARG_POSITION_START, "1 2 900 77");
	assert_int_equal(arguments(first), SCRIPT_ARG_FIXED);
	record_batch_free(first);
	record_batch_free(second);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fixed_arguments),
    cmocka_unit_test(test_each_operation_has_its_count),
    cmocka_unit_test(test_outcome_fields_and_keys),
    cmocka_unit_test(test_refusal_before_a_queue_file),
    cmocka_unit_test(test_positions_and_the_chain_of_batches),
};

UNIT_TEST_MAIN(tests)
