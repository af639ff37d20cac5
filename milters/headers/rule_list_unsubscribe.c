/*
 * NAME
 *	rule_list_unsubscribe - rule 9: one-click unsubscribe done right
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_list_unsubscribe(context)
 * DESCRIPTION
 *	RFC 8058, which Gmail and Yahoo require of bulk senders:
 *
 *	.  at most one List-Unsubscribe and one List-Unsubscribe-Post;
 *	.  List-Unsubscribe-Post is exactly "List-Unsubscribe=One-Click";
 *	.  with it, List-Unsubscribe has an https URI.
 *
 *	With list_unsubscribe = fix: later copies are removed, a
 *	List-Unsubscribe-Post whose value differs only in case or white
 *	space is written right, and one that is wrong otherwise, or comes
 *	without an https List-Unsubscribe, is removed (the mail still
 *	offers what List-Unsubscribe has). With reject: refused (5.7.1).
 *	The values are never folded or encoded (rules 5 and 6 leave them).
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "header_text.h"
#include "rules.h"

#define ONE_CLICK "List-Unsubscribe=One-Click"

static bool
has_https(const char *value)
{
	for (const char *p = value; (p = strchr(p, '<')) != NULL; p++) {
		while (
		    p[1] == ' ' || p[1] == '\t' || p[1] == '\n' || p[1] == '\r')
			p++;
		if (strncasecmp(p + 1, "https://", 8) == 0)
			return true;
	}
	return false;
}

static enum rule_result
fix_or_refuse(struct rule_context *context, const char *text)
{
	if (context->config->list_unsubscribe == REJECT)
		return rule_refuse(context, "5.7.1", "%s", text);
	return RULE_PASS;
}

static enum rule_result
single(struct rule_context *context, const char *name)
{
	size_t first = header_list_find(context->headers, name, 0), at;

	if (first == HEADER_NOT_FOUND)
		return RULE_PASS;
	while ((at = header_list_find(context->headers, name, first + 1)) !=
	       HEADER_NOT_FOUND) {
		if (fix_or_refuse(context,
		        "More than one List-Unsubscribe "
		        "or List-Unsubscribe-Post header") == RULE_REFUSE)
			return RULE_REFUSE;
		rule_delete(context, at, "(a second one)");
	}
	return RULE_PASS;
}

enum rule_result
rule_list_unsubscribe(struct rule_context *context)
{
	struct header_list *headers = context->headers;
	size_t post, list;
	struct buffer value = {0};
	enum rule_result result = RULE_PASS;

	if (context->config->list_unsubscribe == OFF)
		return RULE_PASS;
	if (single(context, "List-Unsubscribe") == RULE_REFUSE ||
	    single(context, "List-Unsubscribe-Post") == RULE_REFUSE)
		return RULE_REFUSE;
	post = header_list_find(headers, "List-Unsubscribe-Post", 0);
	if (post == HEADER_NOT_FOUND)
		return RULE_PASS;
	list = header_list_find(headers, "List-Unsubscribe", 0);
	header_unfold_trim(header_list_value(headers, post), &value);
	if (list == HEADER_NOT_FOUND ||
	    !has_https(header_list_value(headers, list))) {
		result = fix_or_refuse(context,
		    "List-Unsubscribe-Post needs a List-Unsubscribe with an "
		    "https URI");
		if (result == RULE_PASS)
			rule_delete(
			    context, post, "(no https List-Unsubscribe)");
	} else if (strcasecmp(value.data, ONE_CLICK) == 0 &&
	           strcmp(header_list_value(headers, post), " " ONE_CLICK) !=
	               0) {
		result = fix_or_refuse(context,
		    "List-Unsubscribe-Post must be exactly " ONE_CLICK);
		if (result == RULE_PASS) {
			header_list_change(headers, post, " " ONE_CLICK);
			rule_log(context, "repaired List-Unsubscribe-Post");
		}
	} else if (strcasecmp(value.data, ONE_CLICK) != 0) {
		result = fix_or_refuse(context,
		    "List-Unsubscribe-Post must be exactly " ONE_CLICK);
		if (result == RULE_PASS)
			rule_delete(context, post, "(not " ONE_CLICK ")");
	}
	buffer_free(&value);
	return result;
}
