/*
 * date_repair.h - check an RFC 5322 Date, repair the common wrong ones
 */
#ifndef WAYPOST_DATE_REPAIR_H
#define WAYPOST_DATE_REPAIR_H

#include <stddef.h>
#include <time.h>

/* "Mon, 23 Nov 2026 10:00:00 +0100" and a little room. */
#define DATE_TEXT_MAX 40

enum date_state {
	DATE_VALID,    /* RFC 5322 3.3 (obsolete zone names included) */
	DATE_REPAIRED, /* out holds the same instant, written right */
	DATE_INVALID,  /* nothing sure to keep */
};

enum date_state date_repair(const char *value, char *out, size_t out_size);
void date_format(time_t when, char *out, size_t out_size);

#endif
