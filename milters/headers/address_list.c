/*
 * NAME
 *	address_list - the mailboxes of an address header (From, To, Cc...)
 * SYNOPSIS
 *	#include "address_list.h"
 *
 *	bool address_list_parse(text, list)
 *	void address_list_free(list)
 * DESCRIPTION
 *	Splits an unfolded RFC 5322 address-list or mailbox-list into its
 *	mailboxes, with quoted strings, nested comments, quoted pairs,
 *	angle addresses (an obsolete source route is skipped) and groups.
 *	An empty element between commas (obsolete syntax) counts as none.
 *	The result says where each mailbox and its addr-spec are, so the
 *	rules can count mailboxes, check addresses and rewrite display
 *	names without reparsing.
 *
 *	Returns false, with syntax_error set, on an unbalanced quote,
 *	comment or angle bracket, or a mailbox with no "@".
 * SECURITY
 *	The text is from the client: one pass, no recursion (comment depth
 *	is a counter), offsets only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "address_list.h"
#include "xmalloc.h"

struct scan {
	const char *text;
	size_t at;
	struct address_element element;
	bool in_element; /* something but whitespace since the last comma */
	size_t spec_first, spec_last; /* outside angles: the bare address */
	bool saw_at;
	bool bare_8bit;    /* outside angles and comments */
	bool comment_8bit; /* in a comment */
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
element_begin(struct scan *scan)
{
	memset(&scan->element, 0, sizeof(scan->element));
	scan->element.start = scan->at;
	scan->element.angle_open = ADDRESS_NONE;
	scan->element.spec_start = ADDRESS_NONE;
	scan->in_element = false;
	scan->spec_first = ADDRESS_NONE;
	scan->saw_at = false;
	scan->bare_8bit = false;
	scan->comment_8bit = false;
}

static bool
element_end(struct scan *scan, struct address_list *list)
{
	struct address_element *element = &scan->element;

	if (!scan->in_element)
		return true;
	element->end = scan->at;
	while (element->end > element->start &&
	       is_space(scan->text[element->end - 1]))
		element->end--;
	if (element->angle_open == ADDRESS_NONE) {
		if (scan->spec_first == ADDRESS_NONE)
			return true; /* comments only */
		element->spec_start = scan->spec_first;
		element->spec_end = scan->spec_last;
		/* A bare address has no display name: 8-bit outside its
		 * comments is the address's. */
		element->spec_8bit = scan->bare_8bit;
		element->display_8bit = scan->comment_8bit;
	} else
		element->display_8bit = scan->bare_8bit || scan->comment_8bit;
	if (!scan->saw_at)
		return false;
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? 2 * list->capacity : 8;
		list->elements = xreallocarray(
		    list->elements, list->capacity, sizeof(*list->elements));
	}
	list->elements[list->count++] = *element;
	return true;
}

/* From the opening quote or parenthesis to just past its match. */
static bool
skip_quoted(struct scan *scan, bool *eight_bit)
{
	const char *text = scan->text;
	char open = text[scan->at];
	int depth = 0;

	for (; text[scan->at] != '\0'; scan->at++) {
		unsigned char c = (unsigned char)text[scan->at];

		*eight_bit |= c > 127;
		if (c == '\\' && text[scan->at + 1] != '\0') {
			scan->at++;
			continue;
		}
		if (open == '(' && c == '(')
			depth++;
		else if (open == '(' && c == ')' && --depth == 0)
			break;
		else if (open == '"' && c == '"' && depth++ > 0)
			break;
	}
	if (text[scan->at] == '\0')
		return false;
	scan->at++;
	return true;
}

/* "<" [route ":"] addr-spec ">" */
static bool
angle_address(struct scan *scan)
{
	const char *text = scan->text;
	struct address_element *element = &scan->element;
	bool eight_bit = false;

	if (element->angle_open != ADDRESS_NONE)
		return false; /* two angle addresses in one mailbox */
	element->angle_open = scan->at++;
	element->spec_start = scan->at;
	for (; text[scan->at] != '>'; scan->at++) {
		if (text[scan->at] == '\0' || text[scan->at] == '<')
			return false;
		if (text[scan->at] == '"') {
			if (!skip_quoted(scan, &eight_bit))
				return false;
			scan->at--;
			continue;
		}
		if (text[scan->at] == ':' && text[element->spec_start] == '@')
			element->spec_start = scan->at + 1; /* source route */
		if (text[scan->at] == '@')
			scan->saw_at = true;
		eight_bit |= (unsigned char)text[scan->at] > 127;
	}
	element->spec_end = scan->at++;
	element->spec_8bit |= eight_bit;
	return true;
}

bool
address_list_parse(const char *text, struct address_list *list)
{
	struct scan scan;
	bool in_group = false;

	memset(&scan, 0, sizeof(scan));
	scan.text = text;
	memset(list, 0, sizeof(*list));
	element_begin(&scan);
	while (text[scan.at] != '\0') {
		char c = text[scan.at];
		size_t before = scan.at;

		if (is_space(c)) {
			scan.at++;
			continue;
		}
		if (c == ',' || (c == ';' && in_group)) {
			if (!element_end(&scan, list))
				goto bad;
			in_group &= c == ',';
			scan.at++;
			element_begin(&scan);
			continue;
		}
		if (c == ':' && !in_group &&
		    scan.element.angle_open == ADDRESS_NONE) {
			/* The group's name is not a mailbox. */
			in_group = true;
			list->groups++;
			scan.at++;
			element_begin(&scan);
			continue;
		}
		scan.in_element = true;
		if (c == '(' || c == '"') {
			bool eight_bit = false;

			if (!skip_quoted(&scan, &eight_bit))
				goto bad;
			if (c == '(')
				scan.comment_8bit |= eight_bit;
			else if (scan.element.angle_open != ADDRESS_NONE)
				scan.bare_8bit |= eight_bit;
			else {
				/* A quoted local part, or a display name. */
				scan.bare_8bit |= eight_bit;
				if (scan.spec_first == ADDRESS_NONE)
					scan.spec_first = before;
				scan.spec_last = scan.at;
			}
			continue;
		}
		if (c == '<') {
			if (!angle_address(&scan))
				goto bad;
			continue;
		}
		if (c == '>' || c == ')')
			goto bad;
		if (c == '@')
			scan.saw_at = true;
		scan.bare_8bit |= (unsigned char)c > 127;
		if (scan.spec_first == ADDRESS_NONE)
			scan.spec_first = scan.at;
		scan.spec_last = ++scan.at;
	}
	if (!element_end(&scan, list))
		goto bad;
	return true;
bad:
	list->syntax_error = true;
	return false;
}

void
address_list_free(struct address_list *list)
{
	free(list->elements);
	memset(list, 0, sizeof(*list));
}
