/*
 * NAME
 *	normalize - run the rules of waypost-headers over one message
 * SYNOPSIS
 *	#include "normalize.h"
 *
 *	void normalize_context_init(context, config, headers)
 *	enum rule_result normalize(context)
 *	void normalize_context_free(context)
 * DESCRIPTION
 *	The rules that are switched on, in an order where each sees what
 *	the earlier ones made: syntax first (clean names and line breaks
 *	for all), then duplicates, From, the From's owner, Message-ID,
 *	Date, privacy, trust
 *	headers and List-Unsubscribe; 8-bit encoding after everything that
 *	adds or changes text, and folding last. The first refusal stops.
 *	Each rule that planned an edit is noted in changed_rules, the one
 *	that refused in refused_by, by its index in normalize_rule_names:
 *	the names of the switches waypost-headers(8) gives each rule, which
 *	the metrics use as label values.
 *
 *	No I/O but the identity lookup of rule 2, which the caller passes
 *	in (context->owns): the milter (headers_milter.c), the unit tests
 *	and the fuzz target all call this. The caller fills in what it knows
 *	about the client and the message (trusted_client, smtputf8,
 *	queue_id, arrival, the domains) after normalize_context_init().
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "normalize.h"

void
normalize_context_init(struct rule_context *context,
    const struct headers_section *config, struct header_list *headers)
{
	memset(context, 0, sizeof(*context));
	context->config = config;
	context->headers = headers;
	context->arrival = time(NULL);
	context->message_id_domain = "localhost";
	context->authserv_id = "localhost";
	context->refused_by = -1;
	buffer_append_text(&context->changes, "");
}

void
normalize_context_free(struct rule_context *context)
{
	buffer_free(&context->changes);
}

const char *const normalize_rule_names[NORMALIZE_RULES] = {"syntax",
    "duplicates", "check_from", "from_ownership", "message_id", "date",
    "privacy", "trust_headers", "list_unsubscribe", "encode_8bit",
    "fold_long_lines"};

enum rule_result
normalize(struct rule_context *context)
{
	const struct headers_section *config = context->config;
	/* In the order of normalize_rule_names. */
	const struct {
		bool on;
		rule_function rule;
	} rules[NORMALIZE_RULES] = {
	    {true, rule_syntax},
	    {config->duplicates, rule_duplicates},
	    {config->check_from, rule_from},
	    {config->from_ownership != OWNERSHIP_NO, rule_from_owner},
	    {config->message_id, rule_message_id},
	    {config->date, rule_date},
	    {config->privacy, rule_privacy},
	    {config->trust_headers, rule_trust},
	    {true, rule_list_unsubscribe},
	    {config->encode_8bit, rule_8bit},
	    {config->fold_long_lines, rule_fold},
	};

	for (size_t i = 0; i < NORMALIZE_RULES; i++) {
		size_t edits = context->headers->edits;

		if (!rules[i].on)
			continue;
		if (rules[i].rule(context) == RULE_REFUSE) {
			context->refused_by = (int)i;
			return RULE_REFUSE;
		}
		if (context->headers->edits != edits)
			context->changed_rules |= 1U << i;
	}
	return RULE_PASS;
}
