/*
 * NAME
 *	cidr - IPv4 and IPv6 networks: parse, match, format
 * SYNOPSIS
 *	#include "cidr.h"
 * DESCRIPTION
 *	cidr_parse() reads "192.0.2.0/24", "2001:db8::/32" or a bare address
 *	(a /32 or /128 network). A network with bits set after the prefix
 *	("192.0.2.1/24") is refused with a hint: such a line is almost
 *	always a typo, and guessing what was meant is not our job.
 *
 *	cidr_list_parse() reads a word list (word_list.c) of networks, at
 *	most CIDR_LIST_MAX of them.
 *
 *	ip_address_parse() reads an IPv4 or IPv6 address as inet_pton()
 *	does, once, for the matches after it. cidr_contains(),
 *	cidr_list_match() and cidr_list_match_text() match an address; an
 *	IPv4-mapped IPv6 address (::ffff:192.0.2.1) matches IPv4 networks,
 *	as Postfix reports such clients either way.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "word_list.h"
#include "xmalloc.h"

static bool
parse_prefix(const char *text, unsigned maximum, unsigned *prefix)
{
	unsigned value = 0;

	if (*text == '\0' || strlen(text) > 3)
		return false;
	for (; *text; text++) {
		if (*text < '0' || *text > '9')
			return false;
		value = value * 10 + (unsigned)(*text - '0');
	}
	if (value > maximum)
		return false;
	*prefix = value;
	return true;
}

static bool
host_bits_clear(const struct cidr *network)
{
	size_t length = network->family == AF_INET ? 4 : 16;

	for (size_t bit = network->prefix; bit < length * 8; bit++)
		if (network->address[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

bool
cidr_parse(
    const char *text, struct cidr *network, char *error, size_t error_size)
{
	char address[CIDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t length = slash ? (size_t)(slash - text) : strlen(text);
	unsigned maximum;

	memset(network, 0, sizeof(*network));
	if (length == 0 || length >= sizeof(address)) {
		snprintf(
		    error, error_size, "\"%.80s\" is not an IP address", text);
		return false;
	}
	memcpy(address, text, length);
	address[length] = '\0';
	if (inet_pton(AF_INET, address, network->address) == 1) {
		network->family = AF_INET;
		maximum = 32;
	} else if (inet_pton(AF_INET6, address, network->address) == 1) {
		network->family = AF_INET6;
		maximum = 128;
	} else {
		snprintf(error, error_size, "\"%.80s\" is not an IP address",
		    address);
		return false;
	}
	network->prefix = maximum;
	if (slash && !parse_prefix(slash + 1, maximum, &network->prefix)) {
		snprintf(error, error_size,
		    "\"%.80s\": the prefix length must be 0 to %u", text,
		    maximum);
		return false;
	}
	if (!host_bits_clear(network)) {
		struct cidr masked = *network;

		for (size_t bit = masked.prefix; bit < maximum; bit++)
			masked.address[bit / 8] &=
			    (uint8_t) ~(0x80 >> (bit % 8));
		cidr_format(&masked, address, sizeof(address));
		snprintf(error, error_size,
		    "\"%.80s\" has bits set after the prefix; did you mean %s?",
		    text, address);
		return false;
	}
	return true;
}

void
cidr_format(const struct cidr *network, char *out, size_t out_size)
{
	char address[INET6_ADDRSTRLEN];

	inet_ntop(network->family, network->address, address, sizeof(address));
	snprintf(out, out_size, "%s/%u", address, network->prefix);
}

bool
cidr_contains(const struct cidr *network, int family, const uint8_t *address)
{
	static const uint8_t v4_mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned whole, rest;

	if (family == AF_INET6 && network->family == AF_INET &&
	    memcmp(address, v4_mapped, sizeof(v4_mapped)) == 0) {
		family = AF_INET;
		address += sizeof(v4_mapped);
	}
	if (family != network->family)
		return false;
	whole = network->prefix / 8;
	rest = network->prefix % 8;
	if (memcmp(network->address, address, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((network->address[whole] ^ address[whole]) &
	           (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
cidr_list_parse(
    const char *text, struct cidr_list *list, char *error, size_t error_size)
{
	const char *cursor = text, *word;
	size_t length;
	char item[CIDR_TEXT_MAX];

	list->count = 0;
	list->networks = NULL;
	while (word_list_next(&cursor, &word, &length)) {
		if (list->count == CIDR_LIST_MAX) {
			snprintf(error, error_size,
			    "more than %d networks in one list", CIDR_LIST_MAX);
			cidr_list_free(list);
			return false;
		}
		if (length >= sizeof(item)) {
			snprintf(error, error_size,
			    "\"%.40s...\" is not an IP address", word);
			cidr_list_free(list);
			return false;
		}
		memcpy(item, word, length);
		item[length] = '\0';
		list->networks = xreallocarray(
		    list->networks, list->count + 1, sizeof(*list->networks));
		if (!cidr_parse(item, &list->networks[list->count], error,
		        error_size)) {
			cidr_list_free(list);
			return false;
		}
		list->count++;
	}
	return true;
}

bool
ip_address_parse(const char *text, struct ip_address *address)
{
	memset(address, 0, sizeof(*address));
	if (inet_pton(AF_INET, text, address->bytes) == 1)
		address->family = AF_INET;
	else if (inet_pton(AF_INET6, text, address->bytes) == 1)
		address->family = AF_INET6;
	return address->family != 0;
}

bool
cidr_list_match(const struct cidr_list *list, const struct ip_address *address)
{
	if (address->family == 0)
		return false;
	for (size_t i = 0; i < list->count; i++)
		if (cidr_contains(
		        &list->networks[i], address->family, address->bytes))
			return true;
	return false;
}

bool
cidr_list_match_text(const struct cidr_list *list, const char *text)
{
	struct ip_address address;

	return ip_address_parse(text, &address) &&
	       cidr_list_match(list, &address);
}

void
cidr_list_free(struct cidr_list *list)
{
	free(list->networks);
	list->networks = NULL;
	list->count = 0;
}
