/*
 * swap_slot.h - a value threads share and a reload replaces whole
 */
#ifndef WAYPOST_SWAP_SLOT_H
#define WAYPOST_SWAP_SLOT_H

#include <pthread.h>

/* The first member of what a slot holds. */
struct swap_item {
	int references; /* guarded by the slot's lock */
	void (*destroy)(struct swap_item *item);
};

struct swap_slot {
	pthread_mutex_t lock;
	struct swap_item *current;
};

#define SWAP_SLOT_INITIALIZER                                                  \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, NULL                                \
	}

void swap_slot_install(struct swap_slot *slot, struct swap_item *item);
struct swap_item *swap_slot_acquire(struct swap_slot *slot);
void swap_slot_release(struct swap_slot *slot, struct swap_item *item);

#endif
