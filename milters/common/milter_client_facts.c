/*
 * NAME
 *	milter_client_facts - what a filter asks about its client and message
 * SYNOPSIS
 *	#include "milter_client_facts.h"
 *
 *	const char *milter_queue_id(context, cache)
 *	bool milter_client_authenticated(context)
 *	bool milter_client_internal(address, networks)
 * DESCRIPTION
 *	milter_queue_id(): Postfix's queue ID for the log lines (macro i),
 *	kept in the message's cache once seen, since the macros of a
 *	message are gone by the time a connection closes; "NOQUEUE" before
 *	Postfix has named the queue file.
 *
 *	milter_client_authenticated(): the client logged in with SMTP AUTH
 *	({auth_authen} or {auth_type} set; Postfix sends both by default).
 *
 *	milter_client_internal(): the client is in networks, or has no
 *	address at all (local submission: sendmail, pickup).
 */
#include "config.h"

#include <stdio.h>

#include "milter_client_facts.h"

const char *
milter_queue_id(struct milter_context *context, char cache[MILTER_QUEUE_ID_MAX])
{
	const char *id;

	if (cache[0] == '\0' && (id = milter_macro(context, "i")) != NULL)
		snprintf(cache, MILTER_QUEUE_ID_MAX, "%s", id);
	return cache[0] ? cache : "NOQUEUE";
}

static bool
is_set(const struct milter_context *context, const char *macro)
{
	const char *value = milter_macro(context, macro);

	return value != NULL && value[0] != '\0';
}

bool
milter_client_authenticated(const struct milter_context *context)
{
	return is_set(context, "{auth_authen}") ||
	       is_set(context, "{auth_type}");
}

bool
milter_client_internal(const struct milter_client_address *address,
    const struct cidr_list *networks)
{
	if (address->family == 0)
		return true;
	for (size_t i = 0; i < networks->count; i++)
		if (cidr_contains(&networks->networks[i], address->family,
		        address->bytes))
			return true;
	return false;
}
