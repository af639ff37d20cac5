/*
 * NAME
 *	limit_subject - what a limit counts a request under
 * SYNOPSIS
 *	#include "limit_subject.h"
#include "mail_domain.h"
 *
 *	bool limit_subject(limit, policy, request, recipient, subject)
 *	bool limit_subject_parse(limit, policy, text, subject)
 *	bool limit_exempt(limit, request)
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
 *
 *	limit_subject_parse() is the way back, for an operator's tool
 *	(waypostctl quota): the subject of limit that text names, as
 *	limit_subject() makes it from a request, so both name one key.
 *	text is the parts joined with "|", as the log lines show them
 *	(%XX decoded first); each part is normalized as a request's value
 *	is (lower case, a domain without its final dot, the canonical
 *	form of an address): a sender_domain or recipient_domain holds no
 *	"@", a client_address is an address, a client_network the
 *	network's address and "/" the prefix length the [policy] section
 *	gives its family, global is "*". It returns false when text does
 *	not fit the limit's subject (or is longer than
 *	LIMIT_SUBJECT_TEXT_MAX).
 *
 *	limit_exempt(): the request's user is one of the limit's
 *	exempt_users (in any case) or its client is in exempt_networks; the
 *	limit does not count it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "limit_subject.h"
#include "mail_domain.h"

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

/* One part of an operator's text, %XX decoded into out; false if it is
 * empty, too long or holds a "%" that starts no %XX. */
static bool
decode_part(const char *text, size_t length, char *out, size_t size)
{
	size_t used = 0;

	for (size_t i = 0; i < length; i++) {
		char hex[3] = {0};
		char *end;

		if (used + 1 >= size)
			return false;
		if (text[i] != '%') {
			out[used++] = text[i];
			continue;
		}
		if (i + 2 >= length)
			return false;
		memcpy(hex, text + i + 1, 2);
		if (!isxdigit((unsigned char)hex[0]) ||
		    !isxdigit((unsigned char)hex[1]))
			return false;
		out[used++] = (char)strtoul(hex, &end, 16);
		i += 2;
	}
	out[used] = '\0';
	return used > 0 && strlen(out) == used;
}

/* "ADDRESS/PREFIX" of client_network, with the prefix [policy] gives
 * the address's family. */
static bool
append_network(
    struct buffer *subject, char *text, const struct policy_section *policy)
{
	struct ip_address address;
	char *slash = strrchr(text, '/');
	unsigned prefix4 = (unsigned)policy->ipv4_network_prefix;
	unsigned prefix6 = (unsigned)policy->ipv6_network_prefix;
	size_t before = subject->length;

	if (slash == NULL)
		return false;
	*slash = '\0';
	if (!ip_address_parse(text, &address) ||
	    !append_client(subject, &address, prefix4, prefix6, true))
		return false;
	/* The prefix written must be the one the daemon masks with. */
	return strcmp(strrchr(subject->data + before, '/') + 1, slash + 1) == 0;
}

static bool
append_part(struct buffer *subject, int part, char *value,
    const struct policy_section *policy)
{
	struct ip_address address;
	size_t length = strlen(value);

	switch (part) {
	case SUBJECT_SENDER:
		length = mail_address_normalize(value, length);
		break;
	case SUBJECT_SENDER_DOMAIN:
	case SUBJECT_RECIPIENT_DOMAIN:
		if (strchr(value, '@') != NULL)
			return false;
		length = mail_domain_normalize(value, length);
		break;
	case SUBJECT_CLIENT_ADDRESS:
		return ip_address_parse(value, &address) &&
		       append_client(subject, &address, 0, 0, false);
	case SUBJECT_CLIENT_NETWORK:
		return append_network(subject, value, policy);
	case SUBJECT_GLOBAL:
		if (strcmp(value, "*") != 0)
			return false;
		break;
	default:
		break;
	}
	append_escaped(subject, value, length);
	return length > 0;
}

bool
limit_subject_parse(const struct limit_section *limit,
    const struct policy_section *policy, const char *text,
    struct buffer *subject)
{
	char part[LIMIT_SUBJECT_TEXT_MAX + 1];

	buffer_reset(subject);
	buffer_append_text(subject, "");
	if (strlen(text) > LIMIT_SUBJECT_TEXT_MAX)
		return false;
	for (size_t i = 0; i < limit->part_count; i++) {
		size_t length = strcspn(text, "|");

		if (i > 0)
			buffer_append_char(subject, '|');
		if ((text[length] == '\0') != (i + 1 == limit->part_count) ||
		    !decode_part(text, length, part, sizeof(part)) ||
		    !append_part(subject, limit->parts[i], part, policy))
			return false;
		text += length + (text[length] != '\0');
	}
	return true;
}

bool
limit_exempt(
    const struct limit_section *limit, const struct policy_request *request)
{
	const char *user = policy_request_value(request, POLICY_SASL_USERNAME);

	for (size_t i = 0; i < limit->exempt_users.count; i++)
		if (user[0] != '\0' &&
		    strcasecmp(limit->exempt_users.items[i], user) == 0)
			return true;
	return cidr_list_match(&limit->exempt_networks, &request->client);
}
