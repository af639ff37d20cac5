/*
 * dkim_address.h - the author address of a From header
 */
#ifndef WAYPOST_DKIM_ADDRESS_H
#define WAYPOST_DKIM_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 limits: 64 octets of local part, 255 of domain. */
#define DKIM_LOCAL_MAX  64
#define DKIM_DOMAIN_MAX 255

struct dkim_address {
	char local[DKIM_LOCAL_MAX + 1];
	char domain[DKIM_DOMAIN_MAX + 1]; /* lowercased */
};

bool dkim_address_from_header(const char *value, struct dkim_address *out);

#endif
