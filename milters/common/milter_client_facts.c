/*
 * NAME
 *	milter_client_facts - what a filter asks about its client and message
 * SYNOPSIS
 *	#include "milter_client_facts.h"
 *
 *	const char *milter_queue_id(context, cache)
 *	bool milter_client_authenticated(context)
 *	bool milter_client_internal(address, networks)
 *	void milter_client_from_macro(context, address)
 *
 *	extern const struct milter_macro_list milter_client_macros[]
 *	extern const struct milter_macro_list milter_client_macros_eoh[]
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
 *	address at all (local submission: sendmail, pickup). A client whose
 *	address the MTA did not give (MILTER_ADDRESS_MISSING) is not.
 *
 *	milter_client_macros: the macros these need, for a filter's
 *	macro_lists: the client's address and SMTP AUTH at MAIL FROM, the
 *	queue ID at the end of the headers and of the message.
 *	milter_client_macros_eoh: the same for a filter that skips MAIL FROM
 *	too: all of them at the end of the headers (Postfix's cleanup has
 *	them there, as smtpd has them at MAIL FROM), the queue ID again at
 *	the end of the message.
 *
 *	milter_client_from_macro(): the client's address from the macro
 *	{client_addr}, for a filter that skips the connect step (it costs a
 *	wake-up per SMTP session) and asks for the macro at MAIL FROM or at
 *	the end of the headers. Postfix
 *	gives "unknown" for a client without one (family 0, as its connect
 *	step would), IPv6 addresses with or without "IPv6:". Without the
 *	macro the address stays as it was; one that does not parse is
 *	MILTER_ADDRESS_MISSING.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "milter_client_facts.h"
#include "text_copy.h"

const struct milter_macro_list milter_client_macros[] = {
    {SMFIM_ENVFROM, "{client_addr} {auth_type} {auth_authen}"},
    {SMFIM_EOH, "i"},
    {SMFIM_EOM, "i"},
    {0, NULL},
};

const struct milter_macro_list milter_client_macros_eoh[] = {
    {SMFIM_EOH, "i {client_addr} {auth_type} {auth_authen}"},
    {SMFIM_EOM, "i"},
    {0, NULL},
};

const char *
milter_queue_id(struct milter_context *context, char cache[MILTER_QUEUE_ID_MAX])
{
	const char *id;

	if (cache[0] == '\0' && (id = milter_macro(context, "i")) != NULL)
		text_copy(cache, MILTER_QUEUE_ID_MAX, id);
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
	if (address->family == MILTER_ADDRESS_MISSING)
		return false;
	for (size_t i = 0; i < networks->count; i++)
		if (cidr_contains(&networks->networks[i], address->family,
		        address->bytes))
			return true;
	return false;
}

void
milter_client_from_macro(
    const struct milter_context *context, struct milter_client_address *address)
{
	const char *text = milter_macro(context, "{client_addr}");

	if (text == NULL)
		return;
	memset(address, 0, sizeof(*address));
	if (strcmp(text, "unknown") == 0)
		return;
	if (strncasecmp(text, "IPv6:", 5) == 0)
		text += 5;
	if (inet_pton(AF_INET, text, address->bytes) == 1)
		address->family = AF_INET;
	else if (inet_pton(AF_INET6, text, address->bytes) == 1)
		address->family = AF_INET6;
	else
		address->family = MILTER_ADDRESS_MISSING;
}
