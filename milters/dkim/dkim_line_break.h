/*
 * dkim_line_break.h - body lines broken as Postfix's SMTP client sends them
 */
#ifndef WAYPOST_DKIM_LINE_BREAK_H
#define WAYPOST_DKIM_LINE_BREAK_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim_canon.h"

/* The most octets a line may have; smtp_line_length_limit's default. */
#define LINE_BREAK_DEFAULT 998
#define LINE_BREAK_MAX     1000000

struct line_break {
	size_t limit;    /* 0: lines pass as they are */
	size_t column;   /* octets on the current output line */
	bool pending_cr; /* the last chunk ended in a CR */
	canon_sink sink;
	void *context;
};

void line_break_init(
    struct line_break *lines, size_t limit, canon_sink sink, void *context);
void line_break_update(
    struct line_break *lines, const char *data, size_t length);
void line_break_final(struct line_break *lines);

#endif
