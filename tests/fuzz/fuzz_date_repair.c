/*
 * fuzz_date_repair.c - fuzz target: reading and repairing Date values
 *
 * The input is a Date value. Beyond memory errors, two properties: what
 * date_repair() writes as a repair must itself read as a valid RFC 5322
 * date-time (a repair is never half-done), and the same input always
 * gives the same answer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "date_repair.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1), out[DATE_TEXT_MAX],
	     again[DATE_TEXT_MAX];
	enum date_state state;

	if (value == NULL)
		abort();
	memcpy(value, data, size);
	value[size] = '\0';
	state = date_repair(value, out, sizeof(out));
	if (date_repair(value, again, sizeof(again)) != state)
		abort();
	if (state == DATE_REPAIRED &&
	    (strcmp(out, again) != 0 ||
	        date_repair(out, again, sizeof(again)) != DATE_VALID))
		abort();
	free(value);
	return 0;
}
