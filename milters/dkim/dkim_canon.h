/*
 * dkim_canon.h - RFC 6376 canonicalization of headers and body
 */
#ifndef WAYPOST_DKIM_CANON_H
#define WAYPOST_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

enum canon_mode {
	CANON_SIMPLE,
	CANON_RELAXED,
};

/* Where canonical body bytes go (the body hasher, or a test). */
typedef void (*canon_sink)(void *context, const char *data, size_t length);

#define CANON_OUT_SIZE 8192

struct body_canon {
	enum canon_mode mode;
	canon_sink sink;
	void *context;
	size_t pending_lines;  /* empty lines not yet known to be inner */
	bool line_has_content; /* the current line has output bytes */
	bool pending_space;    /* relaxed: WSP seen, not yet output */
	bool pending_cr;       /* a CR that may start a CRLF */
	bool emitted;          /* any byte went to the sink */
	size_t out_used;
	char out[CANON_OUT_SIZE];
};

void body_canon_init(struct body_canon *canon, enum canon_mode mode,
    canon_sink sink, void *context);
void body_canon_update(
    struct body_canon *canon, const char *data, size_t length);
void body_canon_final(struct body_canon *canon);

void canon_header(enum canon_mode mode, const char *name, const char *value,
    struct buffer *out);

#endif
