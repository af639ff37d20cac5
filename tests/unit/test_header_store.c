/*
 * test_header_store.c - one message's headers as received, within bounds
 *
 * Each bound is met exactly, then crossed by one; a refused header
 * refuses every one after it. Without SMFIP_HDR_LEADSPC the value gets
 * back its leading space, which the bound does not count.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "header_store.h"
#include "unit_test.h"

static const struct header_limits small = {3, 20};

static void
test_the_count_bound_is_met_then_crossed(void **state)
{
	struct header_store store;

	(void)state;
	header_store_init(&store, &small, true);
	assert_true(header_store_receive(&store, "A", " 1"));
	assert_true(header_store_receive(&store, "B", " 2"));
	assert_true(header_store_receive(&store, "C", " 3"));
	assert_false(store.over_limit);
	assert_false(header_store_receive(&store, "D", " 4"));
	assert_true(store.over_limit);
	assert_int_equal(store.count, 3);
	assert_string_equal(store.fields[2].name, "C");
	assert_string_equal(store.fields[2].value, " 3");
	header_store_free(&store);
}

static void
test_the_byte_bound_is_met_then_crossed(void **state)
{
	struct header_store store;

	(void)state;
	header_store_init(&store, &small, true);
	/* 7 + 13 = 20 bytes: exactly the bound. */
	assert_true(header_store_receive(&store, "Subject", " twelve chars"));
	assert_int_equal(store.bytes, 20);
	assert_false(store.over_limit);
	assert_false(header_store_receive(&store, "X", ""));
	assert_true(store.over_limit);
	assert_int_equal(store.count, 1);
	header_store_free(&store);
}

static void
test_one_header_over_the_bytes_is_refused(void **state)
{
	struct header_store store;

	(void)state;
	header_store_init(&store, &small, true);
	assert_false(header_store_receive(&store, "Subject", " thirteen char"));
	assert_true(store.over_limit);
	assert_int_equal(store.count, 0);
	assert_int_equal(store.bytes, 0);
	header_store_free(&store);
}

static void
test_after_a_refusal_nothing_is_kept(void **state)
{
	struct header_store store;
	char *big = malloc(64);

	(void)state;
	memset(big, 'x', 63);
	big[63] = '\0';
	header_store_init(&store, &small, true);
	assert_true(header_store_receive(&store, "A", " 1"));
	assert_false(header_store_receive(&store, "Big", big));
	/* This one would fit: the message's headers are over already. */
	assert_false(header_store_receive(&store, "B", " 2"));
	assert_int_equal(store.count, 1);
	assert_true(store.over_limit);
	header_store_free(&store);
	free(big);
}

static void
test_values_are_kept_byte_for_byte(void **state)
{
	struct header_store store;

	(void)state;
	header_store_init(&store, &(struct header_limits){10, 1000}, true);
	assert_true(header_store_receive(&store, "From ", "  a@x\r\n\tb"));
	assert_true(header_store_receive(&store, "Empty", ""));
	assert_string_equal(store.fields[0].name, "From ");
	assert_string_equal(store.fields[0].value, "  a@x\r\n\tb");
	assert_string_equal(store.fields[1].value, "");
	assert_int_equal(store.bytes, 5 + 9 + 5);
	header_store_free(&store);
}

static void
test_without_leadspc_the_space_comes_back(void **state)
{
	struct header_store store;

	(void)state;
	header_store_init(&store, &small, false);
	assert_true(header_store_receive(&store, "Subject", "hi"));
	assert_true(header_store_receive(&store, "To", ""));
	assert_string_equal(store.fields[0].value, " hi");
	assert_string_equal(store.fields[1].value, " ");
	/* As sent: the space put back is not counted. */
	assert_int_equal(store.bytes, 7 + 2 + 2);
	assert_true(header_store_receive(&store, "X", "12345678"));
	assert_int_equal(store.bytes, 20);
	header_store_free(&store);
}

static void
test_a_freed_store_takes_headers_again(void **state)
{
	struct header_store store;

	(void)state;
	header_store_init(&store, &small, true);
	for (int i = 0; i < 4; i++)
		header_store_receive(&store, "A", " 1");
	assert_true(store.over_limit);
	header_store_free(&store);
	assert_int_equal(store.count, 0);
	assert_false(store.over_limit);
	assert_true(header_store_receive(&store, "A", " 1"));
	header_store_free(&store);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_the_count_bound_is_met_then_crossed),
    cmocka_unit_test(test_the_byte_bound_is_met_then_crossed),
    cmocka_unit_test(test_one_header_over_the_bytes_is_refused),
    cmocka_unit_test(test_after_a_refusal_nothing_is_kept),
    cmocka_unit_test(test_values_are_kept_byte_for_byte),
    cmocka_unit_test(test_without_leadspc_the_space_comes_back),
    cmocka_unit_test(test_a_freed_store_takes_headers_again),
};

UNIT_TEST_MAIN(tests)
