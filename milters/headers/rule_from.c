/*
 * NAME
 *	rule_from - rule 2: one From, with one author or a Sender
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_from(context)
 * DESCRIPTION
 *	RFC 5322 3.6.2: a message has exactly one From; it may list several
 *	mailboxes only if a Sender names the one that sent it. Refused
 *	(5.7.1), with a text saying which: no From, a From that does not
 *	parse, a From with no mailbox (an empty group), several authors
 *	and no Sender, a Sender with other than one mailbox. DKIM signs on
 *	behalf of the From domain and DMARC checks it: a message whose
 *	From cannot be read has no author to sign for.
 *
 *	White space before the colon is rule 10's (rule_syntax.c), which
 *	runs first. Several From headers are rule 1's.
 */
#include "config.h"

#include "address_list.h"
#include "header_text.h"
#include "rules.h"

/* Mailboxes in the first header named name; -1: it does not parse. */
static long
mailboxes(struct rule_context *context, size_t at)
{
	struct buffer text = {0};
	struct address_list list;
	long count;

	header_unfold_trim(header_list_value(context->headers, at), &text);
	count = address_list_parse(text.data, &list) ? (long)list.count : -1;
	address_list_free(&list);
	buffer_free(&text);
	return count;
}

enum rule_result
rule_from(struct rule_context *context)
{
	size_t from = header_list_find(context->headers, "From", 0);
	size_t sender = header_list_find(context->headers, "Sender", 0);
	long authors, senders;

	if (from == HEADER_NOT_FOUND)
		return rule_refuse(
		    context, "5.7.1", "Message has no From header");
	authors = mailboxes(context, from);
	if (authors < 0)
		return rule_refuse(
		    context, "5.7.1", "The From header cannot be parsed");
	if (authors == 0)
		return rule_refuse(
		    context, "5.7.1", "The From header names no mailbox");
	if (sender != HEADER_NOT_FOUND) {
		senders = mailboxes(context, sender);
		if (senders != 1)
			return rule_refuse(context, "5.7.1",
			    "The Sender header must name exactly one mailbox");
	}
	if (authors > 1 && sender == HEADER_NOT_FOUND)
		return rule_refuse(context, "5.7.1",
		    "The From header names %ld mailboxes and there is no "
		    "Sender header",
		    authors);
	return RULE_PASS;
}
