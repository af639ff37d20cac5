/*
 * NAME
 *	stream_id - Redis stream entry ids, checked and ordered
 * SYNOPSIS
 *	#include "stream_id.h"
 *
 *	bool stream_id_valid(id)
 *	int stream_id_compare(a, b)
 * DESCRIPTION
 *	An entry's id is MS-SEQ: two decimal numbers of 64 bits, the time
 *	Redis added it in milliseconds and a sequence within it.
 *
 *	stream_id_valid() says whether id is one, shorter than
 *	STREAM_ID_MAX: digits only, no sign, no space, neither number
 *	beyond 64 bits.
 *
 *	stream_id_compare() orders two valid ids as Redis does, by their
 *	numbers (not as texts: "10-0" comes after "9-0"): < 0, 0 or > 0.
 *	An invalid id counts as 0-0.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stream_id.h"

static bool
number(const char **text, unsigned long long *value)
{
	char *end;

	if (**text < '0' || **text > '9')
		return false;
	errno = 0;
	*value = strtoull(*text, &end, 10);
	if (errno != 0)
		return false;
	*text = end;
	return true;
}

static bool
parse(const char *id, unsigned long long *ms, unsigned long long *seq)
{
	if (!number(&id, ms) || *id++ != '-' || !number(&id, seq))
		return false;
	return *id == '\0';
}

bool
stream_id_valid(const char *id)
{
	unsigned long long ms, seq;

	return strnlen(id, STREAM_ID_MAX) < STREAM_ID_MAX &&
	       parse(id, &ms, &seq);
}

int
stream_id_compare(const char *a, const char *b)
{
	unsigned long long a_ms = 0, a_seq = 0, b_ms = 0, b_seq = 0;

	if (!parse(a, &a_ms, &a_seq))
		a_ms = a_seq = 0;
	if (!parse(b, &b_ms, &b_seq))
		b_ms = b_seq = 0;
	if (a_ms != b_ms)
		return a_ms < b_ms ? -1 : 1;
	if (a_seq != b_seq)
		return a_seq < b_seq ? -1 : 1;
	return 0;
}
