/*
 * NAME
 *	recipient_domains - the recipient domains of the message in progress
 * SYNOPSIS
 *	#include "recipient_domains.h"
 *
 *	void recipient_domains_note(seen, request)
 *	const struct recipient_domains *recipient_domains_of(seen, request)
 *	void recipient_domains_free(seen)
 * DESCRIPTION
 *	At END-OF-MESSAGE Postfix names the recipient only when there is
 *	one; a limit whose subject has recipient_domain needs each domain
 *	and how many recipients the message has in it. Postfix asks about
 *	every recipient at RCPT, on the same policy connection as the end of
 *	the message (one smtpd process serves the session), so each
 *	connection keeps what it saw of the message in progress, keyed by
 *	Postfix's instance attribute: a request of another instance starts
 *	afresh.
 *
 *	recipient_domains_note() counts a RCPT request's recipient under its
 *	domain (lower case). recipient_domains_of() gives the domains noted
 *	for the request's message, or NULL when there are none (then the
 *	request's own recipient, if any, is all there is).
 *
 *	A recipient that a restriction after the policy service refuses was
 *	still noted: list check_policy_service last in
 *	smtpd_recipient_restrictions, and the domains match what was
 *	accepted.
 * SECURITY
 *	Bounds: RECIPIENT_DOMAINS_MAX domains per message, each at most
 *	RECIPIENT_DOMAIN_MAX bytes; beyond, recipients are not noted (the
 *	limit then counts what was noted).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "recipient_domains.h"
#include "text_copy.h"
#include "xmalloc.h"

static void
start_message(struct recipient_domains *seen, const char *instance)
{
	seen->count = 0;
	text_copy(seen->instance, sizeof(seen->instance), instance);
}

void
recipient_domains_note(
    struct recipient_domains *seen, const struct policy_request *request)
{
	const char *instance = policy_request_value(request, POLICY_INSTANCE);
	const char *recipient = policy_request_value(request, POLICY_RECIPIENT);
	const char *at = strrchr(recipient, '@');
	char domain[RECIPIENT_DOMAIN_MAX + 1];
	size_t length;

	if (instance[0] == '\0' || strlen(instance) > INSTANCE_MAX)
		return;
	if (strcmp(instance, seen->instance) != 0)
		start_message(seen, instance);
	if (at == NULL || (length = strlen(at + 1)) == 0 ||
	    length > RECIPIENT_DOMAIN_MAX)
		return;
	for (size_t i = 0; i <= length; i++)
		domain[i] = (char)tolower((unsigned char)at[1 + i]);
	for (size_t i = 0; i < seen->count; i++)
		if (strcmp(seen->domains[i].name, domain) == 0) {
			seen->domains[i].recipients++;
			return;
		}
	if (seen->count >= RECIPIENT_DOMAINS_MAX)
		return;
	seen->domains = xreallocarray(
	    seen->domains, seen->count + 1, sizeof(*seen->domains));
	memcpy(seen->domains[seen->count].name, domain, length + 1);
	seen->domains[seen->count++].recipients = 1;
}

const struct recipient_domains *
recipient_domains_of(
    const struct recipient_domains *seen, const struct policy_request *request)
{
	const char *instance = policy_request_value(request, POLICY_INSTANCE);

	if (seen == NULL || seen->count == 0 || instance[0] == '\0' ||
	    strcmp(instance, seen->instance) != 0)
		return NULL;
	return seen;
}

void
recipient_domains_free(struct recipient_domains *seen)
{
	free(seen->domains);
	memset(seen, 0, sizeof(*seen));
}
