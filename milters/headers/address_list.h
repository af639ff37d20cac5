/*
 * address_list.h - the mailboxes of an address header (From, To, Cc...)
 */
#ifndef WAYPOST_ADDRESS_LIST_H
#define WAYPOST_ADDRESS_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_NONE ((size_t)-1)

/* One mailbox, as offsets into the text given to address_list_parse():
 * [start, end) is the whole element (display name, comments, angle
 * address); [spec_start, spec_end) the addr-spec; angle_open is the
 * '<' or ADDRESS_NONE. */
struct address_element {
	size_t start, end;
	size_t angle_open;
	size_t spec_start, spec_end;
	bool spec_8bit;    /* a byte over 127 in the addr-spec */
	bool display_8bit; /* ... in the display name or a comment */
};

struct address_list {
	struct address_element *elements;
	size_t count, capacity;
	size_t groups;     /* "name: a, b;" constructs */
	bool syntax_error; /* unbalanced quote, comment, bracket; no "@" */
};

bool address_list_parse(const char *text, struct address_list *list);
void address_list_free(struct address_list *list);

#endif
