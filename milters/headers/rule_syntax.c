/*
 * NAME
 *	rule_syntax - rule 10: header names and line breaks RFC 5322 allows
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_syntax(context)
 * DESCRIPTION
 *	Runs first, so the other rules see clean names and values.
 *
 *	.  A name with characters outside printable ASCII (RFC 5322 2.2)
 *	   is refused: there is no telling what it was meant to be.
 *	.  White space before the colon ("From :", obsolete syntax that
 *	   some parsers read as another header): with syntax = repair the
 *	   header is put back under its clean name; reject refuses it.
 *	.  A CR or LF in a value that is not part of a fold (CRLF or LF
 *	   before white space), a bare CR or LF: repair makes it a space;
 *	   reject refuses it.
 *
 *	The MTA's milter protocol cannot carry a NUL in a header: the
 *	engine ends such a connection (see milter_engine.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "header_field.h"
#include "rules.h"
#include "text_escape.h"
#include "xmalloc.h"

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A CR or LF that is part of a fold: CRLF or LF before white space or
 * at the end. */
static bool
in_fold(const char *p)
{
	if (p[0] == '\r' && p[1] == '\n')
		p++;
	return p[0] == '\n' && (is_space(p[1]) || p[1] == '\0');
}

static bool
is_bare_break(const char *p)
{
	return (*p == '\r' || *p == '\n') && !in_fold(p);
}

static bool
has_bare_break(const char *value)
{
	for (; *value; value++)
		if (is_bare_break(value))
			return true;
	return false;
}

/* One pass: each bare CR or LF becomes a space. */
static char *
without_bare_breaks(const char *value)
{
	char *copy = xstrdup(value);

	for (char *p = copy; *p; p++)
		if (is_bare_break(p))
			*p = ' ';
	return copy;
}

static size_t
trimmed_length(const char *name)
{
	size_t length = strlen(name);

	while (length > 0 && is_space(name[length - 1]))
		length--;
	return length;
}

static enum rule_result
check_one(struct rule_context *context, size_t at)
{
	struct header *header = &context->headers->items[at];
	size_t length = trimmed_length(header->name);
	bool repair = context->config->syntax == SYNTAX_REPAIR;
	char printable[128];
	char *name, *value;

	if (!header_field_name_valid(header->name, length)) {
		text_escape(printable, sizeof(printable), header->name,
		    strlen(header->name));
		return rule_refuse(context, "5.6.0",
		    "Header name \"%s\" has characters RFC 5322 does not allow",
		    printable);
	}
	if (length == strlen(header->name) && !has_bare_break(header->value))
		return RULE_PASS;
	if (!repair)
		return rule_refuse(context, "5.6.0",
		    length != strlen(header->name)
		        ? "Header %.64s has white space before the colon"
		        : "Header %.64s has a bare CR or LF",
		    header->name);
	name = xstrdup(header->name);
	name[length] = '\0';
	value = without_bare_breaks(header->value);
	if (length != strlen(header->name)) {
		header_list_delete(context->headers, at);
		header_list_insert(context->headers, name, value);
		rule_log(context, "repaired %s (white space before the colon)",
		    name);
	} else {
		header_list_change(context->headers, at, value);
		rule_log(context, "repaired %s (bare CR or LF)", name);
	}
	free(name);
	free(value);
	return RULE_PASS;
}

enum rule_result
rule_syntax(struct rule_context *context)
{
	for (size_t i = 0; i < context->headers->received; i++)
		if (check_one(context, i) == RULE_REFUSE)
			return RULE_REFUSE;
	return RULE_PASS;
}
