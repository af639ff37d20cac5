/*
 * NAME
 *	rule_duplicates - rule 1: headers RFC 5322 allows only once
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_duplicates(context)
 * DESCRIPTION
 *	For each name in single_headers (RFC 5322 3.6: From, Sender,
 *	Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References,
 *	Subject, Date by default):
 *
 *	.  a second From or Sender is refused (5.7.1): which one a reader
 *	   sees and which one DKIM and DMARC check can differ, the spoofing
 *	   of "Composition Kills" (USENIX Security 2020);
 *	.  a later copy with the same value (unfolded) is removed;
 *	.  a later copy with another value is removed with
 *	   differing_duplicates = keep_first, or refused with reject.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "header_text.h"
#include "rules.h"

static bool
same_value(const char *a, const char *b)
{
	struct buffer left = {0}, right = {0};
	bool same;

	header_unfold_trim(a, &left);
	header_unfold_trim(b, &right);
	same = strcmp(left.data, right.data) == 0;
	buffer_free(&left);
	buffer_free(&right);
	return same;
}

static enum rule_result
check_name(struct rule_context *context, const char *name)
{
	struct header_list *headers = context->headers;
	size_t first = header_list_find(headers, name, 0), at;
	bool identity =
	    strcasecmp(name, "From") == 0 || strcasecmp(name, "Sender") == 0;

	if (first == HEADER_NOT_FOUND)
		return RULE_PASS;
	for (at = first + 1;
	     (at = header_list_find(headers, name, at)) != HEADER_NOT_FOUND;
	     at++) {
		bool same = same_value(header_list_value(headers, first),
		    header_list_value(headers, at));

		if (identity)
			return rule_refuse(context, "5.7.1",
			    "Message has more than one %s header", name);
		if (same)
			rule_delete(context, at, "(a copy)");
		else if (context->config->differing_duplicates ==
		         DIFFERING_KEEP_FIRST)
			rule_delete(context, at, "(a second, different one)");
		else
			return rule_refuse(context, "5.7.1",
			    "Message has more than one %s header", name);
	}
	return RULE_PASS;
}

enum rule_result
rule_duplicates(struct rule_context *context)
{
	const struct config_list *names = &context->config->single_headers;

	for (size_t i = 0; i < names->count; i++)
		if (check_name(context, names->items[i]) == RULE_REFUSE)
			return RULE_REFUSE;
	return RULE_PASS;
}
