/*
 * NAME
 *	rules_common - what the normalization rules share
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	void rule_log(context, format, ...)
 *	enum rule_result rule_refuse(context, status, format, ...)
 *	enum rule_result rule_defer(context, status, format, ...)
 *	void rule_delete(context, at, why)
 *	void rule_replace_keeping(context, at, value, original_name)
 *	bool rule_matches(patterns, name)
 * DESCRIPTION
 *	rule_log() adds one change to the message's log line, so every
 *	change is said once, in the rule that makes it. rule_refuse()
 *	records a permanent refusal (550 and the enhanced status) with its
 *	text, which the client sees and the log line repeats. rule_defer()
 *	records a temporary one (451): the client tries again later.
 *
 *	rule_delete() removes a header and logs "removed Name" with why.
 *	rule_replace_keeping() gives a header a new value and keeps the old
 *	one in a new header named original_name (X-Original-Date...).
 *
 *	rule_matches() compares a header name with a list of names and
 *	fnmatch(3) patterns, ignoring case.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "text_copy.h"

void
rule_log(struct rule_context *context, const char *format, ...)
{
	char text[256];
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(text, sizeof(text), format, arguments);
	va_end(arguments);
	buffer_printf(&context->changes, "%s%s",
	    context->changes.length ? ", " : "", text);
}

static enum rule_result __attribute__((format(printf, 4, 0)))
refusal(struct rule_context *context, const char *code, const char *status,
    const char *format, va_list arguments)
{
	text_copy(context->reply_code, sizeof(context->reply_code), code);
	text_copy(context->status, sizeof(context->status), status);
	vsnprintf(context->reply_text, sizeof(context->reply_text), format,
	    arguments);
	return RULE_REFUSE;
}

enum rule_result
rule_refuse(
    struct rule_context *context, const char *status, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	refusal(context, "550", status, format, arguments);
	va_end(arguments);
	return RULE_REFUSE;
}

enum rule_result
rule_defer(
    struct rule_context *context, const char *status, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	refusal(context, "451", status, format, arguments);
	va_end(arguments);
	return RULE_REFUSE;
}

void
rule_delete(struct rule_context *context, size_t at, const char *why)
{
	header_list_delete(context->headers, at);
	rule_log(context, "removed %s%s%s", context->headers->items[at].name,
	    why ? " " : "", why ? why : "");
}

void
rule_replace_keeping(struct rule_context *context, size_t at, const char *value,
    const char *original_name)
{
	struct header_list *headers = context->headers;

	header_list_insert(
	    headers, original_name, header_list_value(headers, at));
	header_list_change(headers, at, value);
}

bool
rule_matches(const struct config_list *patterns, const char *name)
{
	char trimmed[1000];
	size_t length = strlen(name);

	while (
	    length > 0 && (name[length - 1] == ' ' || name[length - 1] == '\t'))
		length--;
	if (length >= sizeof(trimmed))
		return false;
	memcpy(trimmed, name, length);
	trimmed[length] = '\0';
	for (size_t i = 0; i < patterns->count; i++)
		if (fnmatch(patterns->items[i], trimmed, FNM_CASEFOLD) == 0)
			return true;
	return false;
}
