/*
 * fuzz_dkim_tables.c - fuzz target: OpenDKIM KeyTable and SigningTable parsers
 *
 * The input is parsed as a KeyTable, as a plain SigningTable and as a
 * refile SigningTable, and each accepted SigningTable is looked up with
 * addresses taken from the input, so the lookup's candidate walk and the
 * wildcard matcher run on arbitrary patterns too.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dkim_tables.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_errors errors;
	struct keytable keytable;
	struct signtable signtable;
	struct author_address author;
	const char *names[8];

	memset(&errors, 0, sizeof(errors));
	keytable_parse(
	    "KeyTable", (const char *)data, size, &keytable, &errors);
	for (size_t i = 0; i < keytable.count; i++)
		keytable_find(&keytable, keytable.entries[i].name);
	keytable_free(&keytable);
	for (int wildcards = 0; wildcards < 2; wildcards++) {
		memset(&errors, 0, sizeof(errors));
		signtable_parse("SigningTable", (const char *)data, size,
		    wildcards, &signtable, &errors);
		memset(&author, 0, sizeof(author));
		memcpy(author.local, data, size < 20 ? size : 20);
		author.local[size < 20 ? size : 20] = '\0';
		snprintf(author.domain, sizeof(author.domain), "%s",
		    size > 20 ? "sub.example.com" : "example.com");
		signtable_lookup(&signtable, &author, names, 8);
		signtable_free(&signtable);
	}
	return 0;
}
