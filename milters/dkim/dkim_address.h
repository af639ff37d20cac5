/*
 * dkim_address.h - the author address of a From header
 */
#ifndef WAYPOST_DKIM_ADDRESS_H
#define WAYPOST_DKIM_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 limits: 64 octets of local part, 255 of domain. */
#define ADDRESS_LOCAL_MAX  64
#define ADDRESS_DOMAIN_MAX 255

struct author_address {
	char local[ADDRESS_LOCAL_MAX + 1];
	char domain[ADDRESS_DOMAIN_MAX + 1]; /* lowercased */
};

bool author_address_parse(const char *value, struct author_address *out);

#endif
