/*
 * swap_slot.h - what work reads, replaced whole by a reload
 */
#ifndef WAYPOST_SWAP_SLOT_H
#define WAYPOST_SWAP_SLOT_H

#include <pthread.h>
#include <stdatomic.h>

/* The first member of what a slot holds. */
struct swap_item {
	atomic_int references;
	void (*destroy)(struct swap_item *item);
	struct swap_item *successor; /* installed over this one: held */
	struct swap_item *retired;   /* released just after this one ends */
};

struct swap_slot {
	pthread_mutex_t lock;
	struct swap_item *current; /* under lock */
};

#define SWAP_SLOT_INITIALIZER                                                  \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, NULL                                \
	}

void swap_item_init(
    struct swap_item *item, void (*destroy)(struct swap_item *item));
void swap_item_release(struct swap_item *item);
void swap_slot_install(
    struct swap_slot *slot, struct swap_item *item, struct swap_item *retired);
struct swap_item *swap_slot_acquire(struct swap_slot *slot);

#endif
