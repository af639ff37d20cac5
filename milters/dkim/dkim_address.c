/*
 * NAME
 *	dkim_address - the author address of a From header
 * SYNOPSIS
 *	#include "dkim_address.h"
 *
 *	bool author_address_parse(value, out)
 * DESCRIPTION
 *	Finds the first mailbox of a From field body and splits it into
 *	local part and domain (lowercased), which is what the SigningTable
 *	is keyed by. It understands the RFC 5322 shapes mail really has:
 *
 *	    user@example.com
 *	    Name <user@example.com>
 *	    "Last, First" <user@example.com> (comment)
 *	    user@example.com (Name)
 *
 *	Comments, quoted strings and the display name are skipped; a
 *	quoted local part is kept with its quotes. With several mailboxes
 *	the first one counts (RFC 5322 then wants a Sender; waypost-headers
 *	enforces that). Group syntax, an address without "@", an empty or
 *	over-long part, or bytes that cannot be in a domain all make it
 *	return false: such mail has no author domain to sign for.
 */
#include "config.h"

#include <string.h>

#include "dkim_address.h"

#define ADDRESS_MAX (ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2)

/* Copy the text with comments removed and the first mailbox isolated:
 * the part inside <> if there is one, else everything up to a comma. */
static bool
isolate_mailbox(const char *value, char *out, size_t out_size)
{
	size_t used = 0, angle_start = 0;
	int depth = 0;
	bool quoted = false, in_angle = false, had_angle = false;

	for (const char *p = value; *p; p++) {
		char c = *p;

		if (quoted) {
			if (c == '\\' && p[1]) {
				if (used + 2 >= out_size)
					return false;
				out[used++] = c;
				out[used++] = *++p;
				continue;
			}
			if (c == '"')
				quoted = false;
			if (used + 1 >= out_size)
				return false;
			out[used++] = c; /* spaces inside quotes are kept */
			continue;
		} else if (depth > 0) {
			if (c == '\\' && p[1])
				p++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		} else if (c == '(') {
			depth = 1;
			continue;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '<' && !in_angle) {
			in_angle = had_angle = true;
			angle_start = used;
			continue;
		} else if (c == '>' && in_angle) {
			memmove(out, out + angle_start, used - angle_start);
			used -= angle_start;
			out[used] = '\0';
			return true;
		} else if ((c == ',' || c == ';' || c == ':') && !in_angle) {
			break; /* the next mailbox, or group syntax */
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (used + 1 >= out_size)
			return false;
		out[used++] = c;
	}
	out[used] = '\0';
	return !had_angle && !quoted && depth == 0 && used > 0;
}

static bool
valid_domain(const char *domain)
{
	size_t length = strlen(domain);

	if (length == 0 || length > ADDRESS_DOMAIN_MAX || domain[0] == '.' ||
	    domain[length - 1] == '.' || strstr(domain, "..") != NULL)
		return false;
	return strspn(domain, "abcdefghijklmnopqrstuvwxyz0123456789.-_") ==
	       length;
}

bool
author_address_parse(const char *value, struct author_address *out)
{
	char mailbox[ADDRESS_MAX + 1];
	char *at;
	size_t local_length;

	if (!isolate_mailbox(value, mailbox, sizeof(mailbox)))
		return false;
	at = strrchr(mailbox, '@');
	if (at == NULL || at == mailbox)
		return false;
	local_length = (size_t)(at - mailbox);
	if (local_length > ADDRESS_LOCAL_MAX ||
	    strlen(at + 1) > ADDRESS_DOMAIN_MAX)
		return false;
	memcpy(out->local, mailbox, local_length);
	out->local[local_length] = '\0';
	for (size_t i = 0;; i++) {
		char c = at[1 + i];

		out->domain[i] =
		    c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		if (c == '\0')
			break;
	}
	return valid_domain(out->domain);
}
