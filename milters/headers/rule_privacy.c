/*
 * NAME
 *	rule_privacy - rule 7: what a submitting client's mail says about it
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_privacy(context)
 * DESCRIPTION
 *	Only for mail from trusted clients (internal_networks, local
 *	submission, or authenticated): RFC 6409 8 lets a submission server
 *	change such mail, while RFC 5321 4.4 forbids a relay to delete the
 *	trace headers of mail it only passes on.
 *
 *	.  Headers named in privacy_headers (names or fnmatch(3) patterns:
 *	   X-Originating-IP, X-PHP-Originating-Script, X-Mailer,
 *	   User-Agent, X-Enigmail by default) are removed.
 *	.  With privacy_received, a Received header is removed when its
 *	   "from" clause gives the sending host's address as a literal
 *	   ([10.1.2.3]) and every such address there is private: RFC 1918,
 *	   loopback, link-local, RFC 4193 unique local. The relay's own
 *	   Received header (the one with this message's queue ID) is never
 *	   touched; Postfix does not show it to milters anyway.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "header_text.h"
#include "rules.h"

/* RFC 1918, loopback, link-local, RFC 4193 unique local. */
static const struct cidr private_networks[] = {
    {AF_INET, {10}, 8},
    {AF_INET, {172, 16}, 12},
    {AF_INET, {192, 168}, 16},
    {AF_INET, {127}, 8},
    {AF_INET, {169, 254}, 16},
    {AF_INET6, {[15] = 1}, 128},
    {AF_INET6, {0xfe, 0x80}, 10},
    {AF_INET6, {0xfc}, 7},
};

static bool
private_address(const char *text)
{
	unsigned char bytes[16];
	int family = AF_INET;

	if (strncasecmp(text, "IPv6:", 5) == 0) {
		text += 5;
		family = AF_INET6;
	} else if (strchr(text, ':') != NULL)
		family = AF_INET6;
	if (inet_pton(family, text, bytes) != 1)
		return false;
	/* An IPv4-mapped IPv6 address is its IPv4 address. */
	if (family == AF_INET6 &&
	    memcmp(bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(bytes, bytes + 12, 4);
		family = AF_INET;
	}
	for (size_t i = 0;
	     i < sizeof(private_networks) / sizeof(private_networks[0]); i++)
		if (cidr_contains(&private_networks[i], family, bytes))
			return true;
	return false;
}

/* The "from" clause: after a leading "from", up to " by ". Its address
 * literals all private, and at least one. */
static bool
from_private_hop(const char *value)
{
	struct buffer text = {0};
	const char *p, *end;
	size_t literals = 0, private = 0;

	header_unfold_trim(value, &text);
	if (strncasecmp(text.data, "from ", 5) != 0) {
		buffer_free(&text);
		return false;
	}
	end = strcasestr(text.data, " by ");
	if (end == NULL)
		end = text.data + text.length;
	for (p = text.data; p < end && (p = memchr(p, '[', (size_t)(end - p)));
	     p++) {
		const char *close = memchr(p, ']', (size_t)(end - p));
		char address[64];

		if (close == NULL || (size_t)(close - p - 1) >= sizeof(address))
			break;
		memcpy(address, p + 1, (size_t)(close - p - 1));
		address[close - p - 1] = '\0';
		literals++;
		private += private_address(address);
	}
	buffer_free(&text);
	return literals > 0 && private == literals;
}

static bool
relays_own(struct rule_context *context, const char *value)
{
	char id[64];

	if (context->queue_id == NULL || context->queue_id[0] == '\0')
		return false;
	snprintf(id, sizeof(id), " id %s", context->queue_id);
	return strstr(value, id) != NULL;
}

enum rule_result
rule_privacy(struct rule_context *context)
{
	struct header_list *headers = context->headers;

	if (!context->trusted_client)
		return RULE_PASS;
	for (size_t i = 0; i < headers->received; i++) {
		const struct header *header = &headers->items[i];

		if (header->deleted)
			continue;
		if (rule_matches(
		        &context->config->privacy_headers, header->name))
			rule_delete(context, i, NULL);
		else if (context->config->privacy_received &&
		         header_list_is(header, "Received") &&
		         !relays_own(context, header->value) &&
		         from_private_hop(header->value))
			rule_delete(context, i, "(a private hop)");
	}
	return RULE_PASS;
}
