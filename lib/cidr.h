/*
 * cidr.h - IPv4 and IPv6 networks: parse, match, format
 */
#ifndef WAYPOST_CIDR_H
#define WAYPOST_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text form: an IPv6 address, "/128" and the NUL. */
#define CIDR_TEXT_MAX 64
/* Most networks one list may hold. */
#define CIDR_LIST_MAX 1024

struct cidr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t address[16]; /* network byte order; IPv4 uses 4 bytes */
	unsigned prefix;     /* 0..32 or 0..128 */
};

/* An address as inet_pton() reads it; family 0: none. */
struct ip_address {
	int family; /* AF_INET, AF_INET6 or 0 */
	uint8_t bytes[16];
};

struct cidr_list {
	size_t count;
	struct cidr *networks;
};

bool cidr_parse(
    const char *text, struct cidr *network, char *error, size_t error_size);
void cidr_format(const struct cidr *network, char *out, size_t out_size);
bool cidr_contains(
    const struct cidr *network, int family, const uint8_t *address);
bool cidr_list_parse(
    const char *text, struct cidr_list *list, char *error, size_t error_size);
bool ip_address_parse(const char *text, struct ip_address *address);
bool cidr_list_match(
    const struct cidr_list *list, const struct ip_address *address);
bool cidr_list_match_text(const struct cidr_list *list, const char *address);
void cidr_list_free(struct cidr_list *list);

#endif
