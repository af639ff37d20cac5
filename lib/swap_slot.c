/*
 * NAME
 *	swap_slot - a value threads share and a reload replaces whole
 * SYNOPSIS
 *	#include "swap_slot.h"
 *
 *	void swap_slot_install(slot, item)
 *	struct swap_item *swap_slot_acquire(slot)
 *	void swap_slot_release(slot, item)
 * DESCRIPTION
 *	What a daemon's worker threads read and a reload replaces (keys,
 *	rules): a worker acquires the current item at the start of a piece
 *	of work and releases it at the end, so a reload never changes
 *	anything under it. An item starts with one reference, its maker's:
 *	swap_slot_install() makes item current, the slot taking over that
 *	reference, and releases the one it replaces; an item is destroyed by its
 *destroy() when the last holder releases it. Installing NULL empties the slot.
 * SECURITY
 *	The lock guards only the current pointer and the reference counts;
 *	an item never changes once installed.
 */
#include "config.h"

#include "swap_slot.h"

void
swap_slot_install(struct swap_slot *slot, struct swap_item *item)
{
	struct swap_item *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->current;
	slot->current = item;
	pthread_mutex_unlock(&slot->lock);
	swap_slot_release(slot, old);
}

struct swap_item *
swap_slot_acquire(struct swap_slot *slot)
{
	struct swap_item *item;

	pthread_mutex_lock(&slot->lock);
	item = slot->current;
	if (item != NULL)
		item->references++;
	pthread_mutex_unlock(&slot->lock);
	return item;
}

void
swap_slot_release(struct swap_slot *slot, struct swap_item *item)
{
	int left;

	if (item == NULL)
		return;
	pthread_mutex_lock(&slot->lock);
	left = --item->references;
	pthread_mutex_unlock(&slot->lock);
	if (left == 0)
		item->destroy(item);
}
