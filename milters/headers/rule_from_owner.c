/*
 * NAME
 *	rule_from_owner - rule 2: an authenticated user's From is its own
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_from_owner(context)
 * DESCRIPTION
 *	With from_ownership on, a message from a client that logged in
 *	with SMTP AUTH may name as author (every From mailbox) and sender
 *	(Sender) only addresses the user was granted: the address itself
 *	or its whole domain, in the identity sources (sender_identity.c:
 *	the Redis set waypost-policyd also reads, and identities_file).
 *	Clients that did not log in are left alone: rule 2's other half
 *	and waypost-policyd's relay checks are theirs.
 *
 *	A mailbox the user does not own:
 *	.  reject: 550 5.7.1 "From address <x> not owned by user u";
 *	.  rewrite: From becomes the user's own address (its SMTP AUTH
 *	   name, when that is an address; otherwise the message is
 *	   refused as with reject), keeping a single mailbox's display
 *	   name; the original From goes to Reply-To unless the message
 *	   has one (replies already go where the author wanted); a Sender
 *	   is removed, as the one From now names who sent it.
 *	When no source can answer (Redis down and no file grant),
 *	identities_unavailable decides: tempfail (451 4.3.0, the client
 *	tries again) or accept (the message passes, and the log line says
 *	the From was not checked).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address_list.h"
#include "header_text.h"
#include "rules.h"
#include "sender_identity.h"
#include "xmalloc.h"

/* The mailboxes of header at, added to addresses (pointing into text,
 * which must stay); one that does not parse or names none adds
 * "(none)", which no one owns. */
static void
gather(struct rule_context *context, size_t at, struct buffer *text,
    struct identity_address **addresses, size_t *count)
{
	struct address_list list;
	size_t room;

	header_unfold_trim(header_list_value(context->headers, at), text);
	if (!address_list_parse(text->data, &list) || list.count == 0) {
		address_list_free(&list);
		*addresses =
		    xreallocarray(*addresses, *count + 1, sizeof(**addresses));
		(*addresses)[(*count)++] =
		    (struct identity_address){"(none)", 6};
		return;
	}
	room = *count + list.count;
	*addresses = xreallocarray(*addresses, room, sizeof(**addresses));
	for (size_t i = 0; i < list.count; i++) {
		const struct address_element *element = &list.elements[i];

		(*addresses)[(*count)++] =
		    (struct identity_address){text->data + element->spec_start,
		        element->spec_end - element->spec_start};
	}
	address_list_free(&list);
}

/* The user's own address as From: " Name <user>" or " <user>". */
static bool
rewrite(struct rule_context *context, size_t from, const char *unowned)
{
	struct header_list *headers = context->headers;
	struct identity_members own;
	struct buffer text = {0}, value = {0};
	struct address_list list;
	size_t sender = header_list_find(headers, "Sender", 0);
	bool reply_to =
	    header_list_find(headers, "Reply-To", 0) == HEADER_NOT_FOUND;

	if (!sender_identity_members(
	        context->user, strlen(context->user), &own))
		return false;
	header_unfold_trim(header_list_value(headers, from), &text);
	buffer_append_char(&value, ' ');
	if (address_list_parse(text.data, &list) && list.count == 1 &&
	    list.elements[0].angle_open != ADDRESS_NONE &&
	    list.elements[0].angle_open > list.elements[0].start)
		buffer_printf(&value, "%.*s",
		    (int)(list.elements[0].angle_open - list.elements[0].start),
		    text.data + list.elements[0].start);
	buffer_printf(&value, "<%s>", context->user);
	address_list_free(&list);
	if (reply_to)
		header_list_insert(
		    headers, "Reply-To", header_list_value(headers, from));
	header_list_change(headers, from, value.data);
	rule_log(context, "rewrote From (%.100s not owned by user %.100s)%s",
	    unowned, context->user, reply_to ? ", original in Reply-To" : "");
	if (sender != HEADER_NOT_FOUND)
		rule_delete(context, sender, "(From rewritten)");
	buffer_free(&text);
	buffer_free(&value);
	return true;
}

enum rule_result
rule_from_owner(struct rule_context *context)
{
	size_t at[2] = {header_list_find(context->headers, "From", 0),
	    header_list_find(context->headers, "Sender", 0)};
	enum identity_answer answer;
	char unowned[IDENTITY_ADDRESS_MAX + 1] = "", why[256] = "";
	struct buffer text[2] = {{0}, {0}};
	struct identity_address *addresses = NULL;
	size_t count = 0, first;

	if (context->user == NULL || context->owns == NULL)
		return RULE_PASS;
	if (at[0] == HEADER_NOT_FOUND)
		return rule_refuse(context, "5.7.1",
		    "Message has no From header for user %.100s",
		    context->user);
	for (size_t i = 0; i < 2; i++)
		if (at[i] != HEADER_NOT_FOUND)
			gather(context, at[i], &text[i], &addresses, &count);
	/* Every mailbox in one question: one Redis round trip. */
	answer = context->owns(context->identity_source, context->user,
	    addresses, count, &first, why, sizeof(why));
	if (answer != IDENTITY_OWNED)
		snprintf(unowned, sizeof(unowned), "%.*s",
		    (int)addresses[first].length, addresses[first].text);
	free(addresses);
	buffer_free(&text[0]);
	buffer_free(&text[1]);
	if (answer == IDENTITY_OWNED)
		return RULE_PASS;
	if (answer == IDENTITY_UNKNOWN) {
		rule_log(context, "From not checked (%s)", why);
		if (context->config->identities_unavailable ==
		    UNAVAILABLE_TEMPFAIL)
			return rule_defer(context, "4.3.0",
			    "Sender identities unavailable, try again later");
		return RULE_PASS;
	}
	if (context->config->from_ownership == OWNERSHIP_REWRITE &&
	    rewrite(context, at[0], unowned))
		return RULE_PASS;
	return rule_refuse(context, "5.7.1",
	    "From address <%.100s> not owned by user %.100s", unowned,
	    context->user);
}
