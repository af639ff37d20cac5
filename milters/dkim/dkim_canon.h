/*
 * dkim_canon.h - RFC 6376 canonicalization of headers and body
 */
#ifndef WAYPOST_DKIM_CANON_H
#define WAYPOST_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

enum dkim_canon {
	DKIM_CANON_SIMPLE,
	DKIM_CANON_RELAXED,
};

/* Where canonical body bytes go (the body hasher, or a test). */
typedef void (*dkim_canon_sink)(void *context, const char *data, size_t length);

#define DKIM_CANON_OUT_SIZE 8192

struct dkim_body_canon {
	enum dkim_canon mode;
	dkim_canon_sink sink;
	void *context;
	size_t pending_lines;  /* empty lines not yet known to be inner */
	bool line_has_content; /* the current line has output bytes */
	bool pending_space;    /* relaxed: WSP seen, not yet output */
	bool pending_cr;       /* a CR that may start a CRLF */
	bool emitted;          /* any byte went to the sink */
	size_t out_used;
	char out[DKIM_CANON_OUT_SIZE];
};

void dkim_body_canon_init(struct dkim_body_canon *canon, enum dkim_canon mode,
    dkim_canon_sink sink, void *context);
void dkim_body_canon_update(
    struct dkim_body_canon *canon, const char *data, size_t length);
void dkim_body_canon_final(struct dkim_body_canon *canon);

void dkim_header_canon(enum dkim_canon mode, const char *name,
    const char *value, struct buffer *out);

#endif
