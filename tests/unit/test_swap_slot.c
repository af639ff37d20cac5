/*
 * test_swap_slot.c - the reload pattern: items end after their last
 * holder, in the order they were installed, and what they retired after
 * them
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "swap_slot.h"
#include "unit_test.h"

/* Item names in the order they ended. */
static char ended[64];

struct named {
	struct swap_item item;
	char name;
	atomic_bool alive;
};

static void
end_named(struct swap_item *item)
{
	struct named *named = (struct named *)item;
	size_t length = strlen(ended);

	assert_true(atomic_load(&named->alive));
	atomic_store(&named->alive, false);
	if (length + 1 < sizeof(ended))
		ended[length] = named->name;
	free(named);
}

static struct swap_item *
named(char name)
{
	struct named *item = calloc(1, sizeof(*item));

	assert_non_null(item);
	swap_item_init(&item->item, end_named);
	item->name = name;
	atomic_init(&item->alive, true);
	return &item->item;
}

static int
setup(void **state)
{
	(void)state;
	memset(ended, 0, sizeof(ended));
	return 0;
}

static void
test_an_empty_slot_gives_nothing(void **state)
{
	struct swap_slot slot = SWAP_SLOT_INITIALIZER;

	(void)state;
	assert_null(swap_slot_acquire(&slot));
	/* Nothing was replaced: what it retires goes at once. */
	swap_slot_install(&slot, NULL, named('r'));
	assert_string_equal(ended, "r");
	swap_item_release(NULL);
}

static void
test_an_item_ends_after_its_last_holder(void **state)
{
	struct swap_slot slot = SWAP_SLOT_INITIALIZER;
	struct swap_item *held, *current;

	(void)state;
	swap_slot_install(&slot, named('A'), NULL);
	held = swap_slot_acquire(&slot);
	assert_int_equal(((struct named *)held)->name, 'A');
	swap_slot_install(&slot, named('B'), named('a'));
	assert_string_equal(ended, "");
	current = swap_slot_acquire(&slot);
	assert_int_equal(((struct named *)current)->name, 'B');
	swap_item_release(current);
	swap_item_release(held);
	assert_string_equal(ended, "Aa");
	swap_slot_install(&slot, NULL, NULL);
	assert_string_equal(ended, "AaB");
}

static void
test_items_end_in_the_order_they_were_installed(void **state)
{
	struct swap_slot slot = SWAP_SLOT_INITIALIZER;
	struct swap_item *first, *second;

	(void)state;
	/* A and B built from configuration a; a reload to configuration
	 * b (C): a must outlive both A and B, whichever is released
	 * first. */
	swap_slot_install(&slot, named('A'), NULL);
	first = swap_slot_acquire(&slot);
	swap_slot_install(&slot, named('B'), NULL);
	second = swap_slot_acquire(&slot);
	swap_slot_install(&slot, named('C'), named('a'));
	swap_item_release(second);
	assert_string_equal(ended, "");
	swap_item_release(first);
	assert_string_equal(ended, "ABa");
	swap_slot_install(&slot, NULL, NULL);
	assert_string_equal(ended, "ABaC");
}

static void
test_an_unheld_item_ends_when_replaced(void **state)
{
	struct swap_slot slot = SWAP_SLOT_INITIALIZER;

	(void)state;
	swap_slot_install(&slot, named('A'), NULL);
	swap_slot_install(&slot, named('B'), named('a'));
	assert_string_equal(ended, "Aa");
	swap_slot_install(&slot, named('C'), named('b'));
	assert_string_equal(ended, "AaBb");
	swap_slot_install(&slot, NULL, named('c'));
	assert_string_equal(ended, "AaBbCc");
}

/* Worker threads hold and release while the main thread installs. */
#define WORKERS  4
#define INSTALLS 2000

static struct swap_slot shared = SWAP_SLOT_INITIALIZER;
static atomic_bool stopping;
static atomic_int items_ended;

static void
end_counted(struct swap_item *item)
{
	struct named *named = (struct named *)item;

	if (!atomic_exchange(&named->alive, false))
		abort();
	atomic_fetch_add(&items_ended, 1);
	free(named);
}

static void *
worker(void *argument)
{
	(void)argument;
	while (!atomic_load(&stopping)) {
		struct swap_item *item = swap_slot_acquire(&shared);

		if (item != NULL &&
		    !atomic_load(&((struct named *)item)->alive))
			abort();
		swap_item_release(item);
	}
	return NULL;
}

static void
test_threads_never_see_an_ended_item(void **state)
{
	pthread_t threads[WORKERS];

	(void)state;
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(
		    pthread_create(&threads[i], NULL, worker, NULL), 0);
	for (int i = 0; i < INSTALLS; i++) {
		struct named *item = calloc(1, sizeof(*item));

		assert_non_null(item);
		swap_item_init(&item->item, end_counted);
		atomic_init(&item->alive, true);
		swap_slot_install(&shared, &item->item, NULL);
	}
	atomic_store(&stopping, true);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(threads[i], NULL);
	swap_slot_install(&shared, NULL, NULL);
	assert_int_equal(atomic_load(&items_ended), INSTALLS);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_an_empty_slot_gives_nothing, setup),
    cmocka_unit_test_setup(test_an_item_ends_after_its_last_holder, setup),
    cmocka_unit_test_setup(
        test_items_end_in_the_order_they_were_installed, setup),
    cmocka_unit_test_setup(test_an_unheld_item_ends_when_replaced, setup),
    cmocka_unit_test(test_threads_never_see_an_ended_item),
};

UNIT_TEST_MAIN(tests)
