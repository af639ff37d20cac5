/*
 * NAME
 *	limit_subject - what a limit counts a request under
 * SYNOPSIS
 *	#include "limit_subject.h"
 *
 *	bool limit_subject(limit, policy, request, recipient, subject)
 * DESCRIPTION
 *	The subject of a request for one limit: the value of each part of
 *	the limit's subject, in the order the configuration names them,
 *	joined with "|". recipient is the recipient to count under (the
 *	request's own at RCPT; the caller's choice at END-OF-MESSAGE, where
 *	Postfix sends none for a message with several).
 *
 *	.  sasl_username, sender: in lower case (addresses compare without
 *	   regard to case);
 *	.  sender_domain, recipient_domain: after the last "@", in lower
 *	   case;
 *	.  client_address: in the canonical text form (inet_ntop), so
 *	   "::FFFF:1.2.3.4" and "::ffff:1.2.3.4" are one client; an IPv4
 *	   address mapped into IPv6 counts as IPv4;
 *	.  client_network: the address masked to ipv4_network_prefix or
 *	   ipv6_network_prefix, as "192.0.2.0/24";
 *	.  global: "*".
 *
 *	It returns false when a part is empty (an unauthenticated client
 *	for sasl_username, the null sender, an address with no domain, no
 *	or no valid client address): such a request is not counted by that
 *	limit.
 *
 *	In each part, "|", "%" and bytes outside printable ASCII are
 *	written %XX, so two different requests never share a subject and
 *	the Redis key stays one readable line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <sys/socket.h>

#include "limit_subject.h"

static void
append_escaped(struct buffer *subject, const char *text, size_t length)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < length; i++) {
		unsigned char c =
		    (unsigned char)tolower((unsigned char)text[i]);

		if (c == '|' || c == '%' || c <= ' ' || c >= 127) {
			buffer_append_char(subject, '%');
			buffer_append_char(subject, hex[c >> 4]);
			buffer_append_char(subject, hex[c & 15]);
		} else
			buffer_append_char(subject, (char)c);
	}
}

/* The domain of an address: after its last "@"; "" when none. */
static const char *
domain_of(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "";
}

/* The client address, or its network; false if it is no address. */
static bool
append_client(struct buffer *subject, const struct ip_address *client,
    unsigned prefix4, unsigned prefix6, bool network)
{
	unsigned char address[16];
	char out[INET6_ADDRSTRLEN];
	int family = client->family;
	unsigned prefix;

	if (family == 0)
		return false;
	memcpy(address, client->bytes, sizeof(address));
	if (family == AF_INET6 &&
	    memcmp(address, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(address, address + 12, 4);
		family = AF_INET;
	}
	prefix = family == AF_INET ? prefix4 : prefix6;
	if (network) {
		size_t bytes = family == AF_INET ? 4 : 16;

		for (size_t i = 0; i < bytes; i++) {
			unsigned keep =
			    prefix > i * 8 ? prefix - (unsigned)i * 8 : 0;

			if (keep < 8)
				address[i] &= (unsigned char)(0xff00 >> keep);
		}
	}
	inet_ntop(family, address, out, sizeof(out));
	buffer_append_text(subject, out);
	if (network)
		buffer_printf(subject, "/%u", prefix);
	return true;
}

bool
limit_subject(const struct limit_section *limit,
    const struct policy_section *policy, const struct policy_request *request,
    const char *recipient, struct buffer *subject)
{
	buffer_reset(subject);
	buffer_append_text(subject, "");
	for (size_t i = 0; i < limit->part_count; i++) {
		const char *value = "";

		if (i > 0)
			buffer_append_char(subject, '|');
		switch (limit->parts[i]) {
		case SUBJECT_SASL_USERNAME:
			value =
			    policy_request_value(request, POLICY_SASL_USERNAME);
			break;
		case SUBJECT_SENDER:
			value = policy_request_value(request, POLICY_SENDER);
			break;
		case SUBJECT_SENDER_DOMAIN:
			value = domain_of(
			    policy_request_value(request, POLICY_SENDER));
			break;
		case SUBJECT_RECIPIENT_DOMAIN:
			value = domain_of(recipient);
			break;
		case SUBJECT_CLIENT_ADDRESS:
		case SUBJECT_CLIENT_NETWORK:
			if (!append_client(subject, &request->client,
			        (unsigned)policy->ipv4_network_prefix,
			        (unsigned)policy->ipv6_network_prefix,
			        limit->parts[i] == SUBJECT_CLIENT_NETWORK))
				return false;
			continue;
		case SUBJECT_GLOBAL:
			value = "*";
			break;
		}
		if (value[0] == '\0')
			return false;
		append_escaped(subject, value, strlen(value));
	}
	return true;
}
