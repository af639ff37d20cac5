/*
 * NAME
 *	rule_trust - rule 8: stale trust headers from upstream
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_trust(context)
 * DESCRIPTION
 *	Removes what a client could have written to be believed later:
 *
 *	.  Authentication-Results headers that carry this relay's own
 *	   authserv-id (RFC 8601 5: a border host removes them, since only
 *	   it may have written them, and it has not yet);
 *	.  the headers named in remove_headers (names or fnmatch(3)
 *	   patterns; upstream spam verdicts such as X-Spam-Flag by
 *	   default).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "header_text.h"
#include "rules.h"

/* The authserv-id: the first token, before any version or ";". */
static bool
claims_to_be(const char *value, const char *authserv_id)
{
	struct buffer text = {0};
	size_t length;
	bool same;

	header_unfold_trim(value, &text);
	length = strcspn(text.data, " \t;(");
	same = length == strlen(authserv_id) &&
	       strncasecmp(text.data, authserv_id, length) == 0;
	buffer_free(&text);
	return same;
}

enum rule_result
rule_trust(struct rule_context *context)
{
	struct header_list *headers = context->headers;

	for (size_t i = 0; i < headers->received; i++) {
		const struct header *header = &headers->items[i];

		if (header->deleted)
			continue;
		if (header_list_is(header, "Authentication-Results") &&
		    claims_to_be(header->value, context->authserv_id))
			rule_delete(context, i, "(our authserv-id)");
		else if (rule_matches(
		             &context->config->remove_headers, header->name))
			rule_delete(context, i, NULL);
	}
	return RULE_PASS;
}
