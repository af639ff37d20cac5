/*
 * NAME
 *	mail_domain - the one form of a mail domain: lower case, no final dot
 * SYNOPSIS
 *	#include "mail_domain.h"
 *
 *	size_t mail_domain_normalize(domain, length)
 *	size_t mail_address_normalize(address, length)
 *
 *	bool mail_address_folded(address, out, size)
 * DESCRIPTION
 *	A domain is written in many ways that name the same place:
 *	"Example.ORG", "example.org" and "example.org." (the last with
 *	the root's empty label, which Postfix removes before it delivers
 *	the mail). Every domain a daemon compares, or puts in a Redis key,
 *	goes through here first, so that a suspension, a grant or a limit
 *	of example.org holds for all of them.
 *
 *	mail_domain_normalize() writes domain[0, length) in lower case and
 *	removes one trailing dot, in place; mail_address_normalize() does
 *	the same to the domain of an address, after its last "@" (the
 *	local part is left as it is: only its owner knows whether case
 *	matters there). Both return the new length; a dot removed becomes
 *	a NUL, so a string stays a string.
 *
 *	mail_address_folded() copies address to out (size bytes with the
 *	NUL) wholly in lower case, its domain normalized: the form of a
 *	recipient in a suppression's key, which the tracker that writes
 *	it and the policy service that reads it both make here (mailbox
 *	providers treat local parts without case). False, with out "",
 *	when the address is empty or does not fit.
 *
 *	As Postfix's resolver does, a dot is removed only after a label:
 *	"example.org.." and "." are no names Postfix delivers to, and stay
 *	as they are. So normalizing twice changes nothing more.
 * SECURITY
 *	No allocation; nothing grows, so any buffer holding the text holds
 *	the result.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "mail_domain.h"

size_t
mail_domain_normalize(char *domain, size_t length)
{
	for (size_t i = 0; i < length; i++)
		domain[i] = (char)tolower((unsigned char)domain[i]);
	if (length > 1 && domain[length - 1] == '.' &&
	    domain[length - 2] != '.')
		domain[--length] = '\0';
	return length;
}

size_t
mail_address_normalize(char *address, size_t length)
{
	char *at = memrchr(address, '@', length);
	size_t local;

	if (at == NULL)
		return length;
	local = (size_t)(at - address) + 1;
	return local + mail_domain_normalize(at + 1, length - local);
}

bool
mail_address_folded(const char *address, char *out, size_t size)
{
	size_t length = strlen(address);

	if (length == 0 || length >= size) {
		if (size > 0)
			out[0] = '\0';
		return false;
	}
	for (size_t i = 0; i <= length; i++)
		out[i] = (char)tolower((unsigned char)address[i]);
	mail_address_normalize(out, length);
	return true;
}
