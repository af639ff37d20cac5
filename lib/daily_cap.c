/*
 * NAME
 *	daily_cap - a warm-up schedule's word: a day's cap, or unlimited
 * SYNOPSIS
 *	#include "daily_cap.h"
 *
 *	bool daily_cap_parse(word, cap)
 * DESCRIPTION
 *	The schedules of waypost-policyd's [warmup] sections and of
 *	waypost-routed's pools are lists of daily caps, each a number of
 *	decimal digits up to DAILY_CAP_MAX or "unlimited".
 *	daily_cap_parse() reads one into cap (DAILY_CAP_UNLIMITED for
 *	unlimited); false for any other word.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "daily_cap.h"

bool
daily_cap_parse(const char *word, long long *cap)
{
	*cap = 0;
	if (strcmp(word, "unlimited") == 0) {
		*cap = DAILY_CAP_UNLIMITED;
		return true;
	}
	if (word[0] == '\0' || strlen(word) > 10)
		return false;
	for (const char *p = word; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		*cap = *cap * 10 + (*p - '0');
	}
	return *cap <= DAILY_CAP_MAX;
}
