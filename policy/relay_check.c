/*
 * NAME
 *	relay_check - no open relay: who may send to which recipients
 * SYNOPSIS
 *	#include "relay_check.h"
 *
 *	bool client_trusted(policy, request)
 *	bool recipient_local(policy, address)
 *	bool relay_denied(policy, request)
 * DESCRIPTION
 *	Defence in depth behind Postfix's own smtpd_relay_restrictions:
 *	relay_denied() is true for a RCPT request, with check_relay on,
 *	whose recipient is not local, from a client that neither logged in
 *	with SMTP AUTH nor is trusted. The caller answers
 *	RELAY_DENIED_ACTION. No Redis is asked.
 *
 *	client_trusted(): the client address is in trusted_networks.
 *
 *	recipient_local(): the domain after the last "@" is in
 *	local_domains (domain_list.c); an address without a domain (the
 *	"postmaster" every server must accept) is local. A local part that
 *	still holds "@", "%" or "!" routes the mail elsewhere (source routes
 *	and the old percent and bang hacks): never local.
 */
#include "config.h"

#include <string.h>

#include "cidr.h"
#include "domain_list.h"
#include "relay_check.h"

bool
client_trusted(
    const struct policy_section *policy, const struct policy_request *request)
{
	return cidr_list_match(&policy->trusted_networks, &request->client);
}

bool
recipient_local(const struct policy_section *policy, const char *address)
{
	const char *at = strrchr(address, '@');

	if (at == NULL)
		return strpbrk(address, "%!") == NULL;
	if (memchr(address, '%', (size_t)(at - address)) != NULL ||
	    memchr(address, '!', (size_t)(at - address)) != NULL ||
	    memchr(address, '@', (size_t)(at - address)) != NULL)
		return false;
	return domain_list_match(
	    &policy->local_domains, at + 1, strlen(at + 1));
}

bool
relay_denied(
    const struct policy_section *policy, const struct policy_request *request)
{
	return policy->check_relay && request->state == POLICY_STATE_RCPT &&
	       policy_request_value(request, POLICY_SASL_USERNAME)[0] == '\0' &&
	       !client_trusted(policy, request) &&
	       !recipient_local(
	           policy, policy_request_value(request, POLICY_RECIPIENT));
}
