/*
 * NAME
 *	swap_slot - what work reads, replaced whole by a reload
 * SYNOPSIS
 *	#include "swap_slot.h"
 *
 *	void swap_item_init(item, destroy)
 *	void swap_item_release(item)
 *	void swap_slot_install(slot, item, retired)
 *	struct swap_item *swap_slot_acquire(slot)
 * DESCRIPTION
 *	The one way a Waypost daemon survives a reload. What its work
 *	reads (the keys, the rules, the limits, and the configuration they
 *	were built from) is an item, built whole and never changed once
 *	installed. A piece of work (a message, a policy request) acquires
 *	the current item when it starts and releases it when it ends, so a
 *	reload never changes anything under it, and items are freed only
 *	when no work holds them. lib/daemon.c drives it for every daemon
 *	(waypost-dkim, waypost-headers, waypost-policyd): it builds the item
 *	a configuration makes and installs it at start and at each reload.
 *
 *	swap_item_init() gives an item its one reference, its maker's, and
 *	the function that frees it. swap_slot_install() makes item current
 *	(NULL empties the slot), the slot taking over that reference, and
 *	releases the slot's reference to the item it replaces. retired is
 *	what that replaced item read and the new one does not (the
 *	configuration a reload replaced, lib/daemon.c wraps it in an item):
 *	it is released just after the replaced item ends, or at once if
 *	there was none.
 *
 *	Items end in the order they were installed: each replaced item
 *	holds a reference to the one installed over it until it ends. So
 *	what an item retires outlives every item installed before it, and
 *	an item may read the configuration it was built from even when
 *	several items were built from one configuration (waypost-dkim
 *	builds a key set again when a key file changes). Holding an old
 *	item keeps the newer ones too, until the work holding it ends.
 *
 *	swap_slot_acquire() returns the current item with a reference for
 *	the caller, or NULL when the slot is empty; swap_item_release()
 *	gives one back, and the last one frees the item (then what it
 *	retired, then its successor's reference).
 *
 *	Threads: the slot's lock is taken to read the current item and
 *	count the new reference together, so an install cannot free the
 *	item in between; the counts themselves are atomic, so a release
 *	takes no lock. waypost-policyd runs on one thread and takes the
 *	same lock, never contended: an acquire and a release cost it some
 *	70 instructions (about 10 ns) more than the plain count it kept
 *	before, of some 87,000 per decision.
 * SECURITY
 *	An item never changes once installed: holders share it without
 *	locks.
 */
#include "config.h"

#include <stddef.h>

#include "swap_slot.h"

void
swap_item_init(struct swap_item *item, void (*destroy)(struct swap_item *item))
{
	atomic_init(&item->references, 1);
	item->destroy = destroy;
	item->successor = NULL;
	item->retired = NULL;
}

void
swap_item_release(struct swap_item *item)
{
	while (item != NULL && atomic_fetch_sub(&item->references, 1) == 1) {
		struct swap_item *successor = item->successor;
		struct swap_item *retired = item->retired;

		item->destroy(item);
		swap_item_release(retired);
		item = successor;
	}
}

void
swap_slot_install(
    struct swap_slot *slot, struct swap_item *item, struct swap_item *retired)
{
	struct swap_item *old;

	pthread_mutex_lock(&slot->lock);
	old = slot->current;
	slot->current = item;
	if (old != NULL) {
		old->retired = retired;
		old->successor = item;
		if (item != NULL)
			atomic_fetch_add(&item->references, 1);
	}
	pthread_mutex_unlock(&slot->lock);
	if (old == NULL)
		swap_item_release(retired);
	swap_item_release(old);
}

struct swap_item *
swap_slot_acquire(struct swap_slot *slot)
{
	struct swap_item *item;

	pthread_mutex_lock(&slot->lock);
	item = slot->current;
	if (item != NULL)
		atomic_fetch_add(&item->references, 1);
	pthread_mutex_unlock(&slot->lock);
	return item;
}
