/*
 * NAME
 *	rule_message_id - rule 3: a Message-ID that RFC 5322 allows
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_message_id(context)
 * DESCRIPTION
 *	No Message-ID: one is added, <time.random@message_id_domain>, the
 *	random part 80 bits from getrandom(2). A Message-ID that is not an
 *	RFC 5322 3.6.4 msg-id (angle brackets, one "@", a dot-atom or
 *	quoted string on the left, a dot-atom or domain literal on the
 *	right, printable ASCII, no space inside; comments around it are
 *	fine) is replaced by a new one and its old value kept in
 *	X-Original-Message-ID.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "header_text.h"
#include "rules.h"

static bool
is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* dot-atom-text from *p, up to stop. */
static bool
dot_atom(const char **p, char stop)
{
	const char *start = *p;
	bool dot_ok = false;

	for (; **p != stop; (*p)++) {
		if (**p == '.' && dot_ok)
			dot_ok = false;
		else if (is_atext(**p) && **p != '\0')
			dot_ok = true;
		else
			return false;
	}
	return *p > start && dot_ok;
}

static bool
quoted_left(const char **p)
{
	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		if (**p == '\\')
			(*p)++;
		if (**p < 33 || **p > 126)
			return false;
	}
	(*p)++;
	return **p == '@';
}

static const char *
skip_comments(const char *p)
{
	for (;;) {
		int depth = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '(')
			return p;
		for (; *p; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
		if (depth != 0)
			return p;
	}
}

static bool
valid_message_id(const char *value)
{
	const char *p = skip_comments(value);

	if (header_has_8bit(value) || *p++ != '<')
		return false;
	if (!(*p == '"' ? quoted_left(&p) : dot_atom(&p, '@')))
		return false;
	p++; /* the "@" */
	if (*p == '[') {
		for (p++; *p != ']'; p++)
			if (*p < 33 || *p > 126 || *p == '[' || *p == '\\')
				return false;
		p++;
	} else if (!dot_atom(&p, '>'))
		return false;
	if (*p++ != '>')
		return false;
	return *skip_comments(p) == '\0';
}

static void
new_message_id(struct rule_context *context, char *out, size_t size)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char random[10];
	char text[17];
	struct tm when;

	if (getrandom(random, sizeof(random), 0) != sizeof(random))
		for (size_t i = 0; i < sizeof(random); i++)
			random[i] = (unsigned char)(context->arrival >> i ^ i);
	for (size_t i = 0; i < 16; i++) {
		size_t bit = i * 5;
		unsigned pair =
		    (unsigned)random[bit / 8] << 8 |
		    (bit / 8 + 1 < sizeof(random) ? random[bit / 8 + 1] : 0);

		text[i] = alphabet[(pair >> (11 - bit % 8)) & 31];
	}
	text[16] = '\0';
	gmtime_r(&context->arrival, &when);
	snprintf(out, size, " <%04d%02d%02d%02d%02d%02d.%s@%s>",
	    when.tm_year + 1900, when.tm_mon + 1, when.tm_mday, when.tm_hour,
	    when.tm_min, when.tm_sec, text, context->message_id_domain);
}

enum rule_result
rule_message_id(struct rule_context *context)
{
	struct header_list *headers = context->headers;
	size_t at = header_list_find(headers, "Message-ID", 0);
	struct buffer value = {0};
	char id[320];
	bool valid = false;

	if (at != HEADER_NOT_FOUND) {
		header_unfold_trim(header_list_value(headers, at), &value);
		valid = valid_message_id(value.data);
		buffer_free(&value);
	}
	if (valid)
		return RULE_PASS;
	/* Only now: a clean message costs no getrandom(2). */
	new_message_id(context, id, sizeof(id));
	if (at == HEADER_NOT_FOUND) {
		header_list_insert(headers, "Message-ID", id);
		rule_log(context, "added Message-ID");
	} else {
		rule_replace_keeping(context, at, id, "X-Original-Message-ID");
		rule_log(context, "replaced invalid Message-ID");
	}
	return RULE_PASS;
}
