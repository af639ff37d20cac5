/*
 * NAME
 *	ctl_scan - every key that matches a pattern, with SCAN
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_scan(ctl, pattern, each, context)
 * DESCRIPTION
 *	ctl_scan() walks the keys matching pattern with SCAN (never KEYS,
 *	which stops Redis while it runs) and calls each with every key,
 *	until each returns other than EX_OK or the walk ends. SCAN may give
 *	a key twice: each must not mind. Patterns come from
 *	lib/redis_keys.c, which escapes what SCAN gives a meaning, so a
 *	[redis] prefix or an address holding "*" or "?" matches itself.
 * SECURITY
 *	A reply of another shape than SCAN's is EX_TEMPFAIL.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"

int
ctl_scan(
    struct ctl *ctl, const char *pattern, ctl_scan_each each, void *context)
{
	char cursor[32] = "0";
	int status;

	do {
		redisReply *reply;
		const char *words[] = {
		    "SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};

		status = ctl_command(ctl, &reply, 6, words, NULL);
		if (status != EX_OK)
			break;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			return ctl_fail(EX_TEMPFAIL, "SCAN: unexpected reply");
		}
		snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
		for (size_t i = 0;
		     status == EX_OK && i < reply->element[1]->elements; i++) {
			const redisReply *key = reply->element[1]->element[i];

			if (key->type == REDIS_REPLY_STRING)
				status = each(ctl, key->str, context);
		}
		freeReplyObject(reply);
	} while (status == EX_OK && strcmp(cursor, "0") != 0);
	return status;
}
