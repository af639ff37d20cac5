/*
 * NAME
 *	rule_fold - rule 5: no header line over 998 octets
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_fold(context)
 * DESCRIPTION
 *	RFC 5322 2.1.1: a line is at most 998 octets. A longer header line
 *	that reaches Postfix's SMTP client is broken there with CRLF SPACE
 *	after the signer has seen it, which breaks the DKIM signature, or
 *	refused by the next hop. Runs last, so it also sees what the other
 *	rules wrote.
 *
 *	.  With references_max set, a References with more IDs keeps the
 *	   first and the last references_max (RFC 5322 3.6.4 says the
 *	   first and the last few are the ones that matter).
 *	.  Every header with a line over HEADER_LINE_MAX is refolded at
 *	   its white space (header_fold.c), aiming at 78 octets, never in a
 *	   quoted string of a structured field.
 *	.  A header with a word too long for a line, and List-Unsubscribe
 *	   or List-Unsubscribe-Post (never folded: rule 9), gets
 *	   unfoldable: reject (5.6.0) or pass, logged.
 */
#include "config.h"

#include <string.h>

#include "header_fold.h"
#include "header_text.h"
#include "rules.h"

static void
cap_references(struct rule_context *context)
{
	struct header_list *headers = context->headers;
	size_t at = header_list_find(headers, "References", 0), ids = 0;
	size_t max = (size_t)context->config->references_max, index = 0;
	struct buffer text = {0}, shorter = {0};
	const char *p;

	if (max == 0 || at == HEADER_NOT_FOUND)
		return;
	header_unfold(header_list_value(headers, at), &text);
	for (p = text.data; (p = strchr(p, '<')) != NULL; p++)
		ids++;
	if (ids > max + 1) {
		for (p = text.data; (p = strchr(p, '<')) != NULL; index++) {
			const char *end = strchr(p, '>');
			size_t length = end ? (size_t)(end - p) + 1 : strlen(p);

			if (index == 0 || index >= ids - max) {
				buffer_append_char(&shorter, ' ');
				buffer_append(&shorter, p, length);
			}
			p += length;
		}
		header_list_change(headers, at, shorter.data);
		rule_log(context, "shortened References (%zu to %zu IDs)", ids,
		    max + 1);
	}
	buffer_free(&text);
	buffer_free(&shorter);
}

static enum rule_result
unfoldable(struct rule_context *context, const char *name, size_t word)
{
	if (context->config->unfoldable == UNFOLDABLE_REJECT)
		return rule_refuse(context, "5.6.0",
		    "Header %.64s cannot be folded into lines of %d octets "
		    "(a word of %zu octets)",
		    name, HEADER_LINE_MAX, word);
	rule_log(
	    context, "left %s unfolded (a word of %zu octets)", name, word);
	return RULE_PASS;
}

enum rule_result
rule_fold(struct rule_context *context)
{
	struct header_list *headers = context->headers;

	cap_references(context);
	for (size_t i = 0; i < headers->count; i++) {
		const struct header *header = &headers->items[i];
		const char *value = header_list_value(headers, i);
		size_t longest = header_longest_line(header->name, value), word;
		struct buffer folded = {0};

		if (header->deleted || longest <= HEADER_LINE_MAX)
			continue;
		if (header_list_is(header, "List-Unsubscribe") ||
		    header_list_is(header, "List-Unsubscribe-Post")) {
			if (unfoldable(context, header->name, longest) ==
			    RULE_REFUSE)
				return RULE_REFUSE;
			continue;
		}
		if (header_fold(strlen(header->name), value,
		        !header_is_unstructured(header->name), &folded,
		        &word)) {
			header_list_change(headers, i, folded.data);
			rule_log(context, "refolded %s (%zu octets)",
			    header->name, longest);
		} else if (unfoldable(context, header->name, word) ==
		           RULE_REFUSE) {
			buffer_free(&folded);
			return RULE_REFUSE;
		}
		buffer_free(&folded);
	}
	return RULE_PASS;
}
