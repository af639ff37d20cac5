/*
 * milter_client.h - the MTA side of the milter protocol
 */
#ifndef WAYPOST_MILTER_CLIENT_H
#define WAYPOST_MILTER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "header_field.h"
#include "socket_spec.h"

/* Largest body chunk, as sendmail and Postfix send them. */
#define MILTER_CHUNK 65535
/* Largest reply packet we accept from a filter. */
#define MILTER_REPLY_MAX (1024 * 1024)

enum milter_verdict {
	MILTER_CONTINUE,
	MILTER_ACCEPT,
	MILTER_TEMPFAIL,
	MILTER_REJECT,
	MILTER_DISCARD,
	MILTER_ERROR, /* protocol error or connection lost */
};

/* A header the filter added ('h': at the end) or inserted ('i'). */
struct milter_change {
	long index; /* -1: add at the end */
	struct header_field field;
};

struct milter_session {
	int fd;
	unsigned long actions;  /* negotiated SMFIF_* */
	unsigned long protocol; /* negotiated SMFIP_* */
	struct buffer out;      /* packets not yet written */
	char in[8192];          /* read ahead: replies come in bursts */
	size_t in_start, in_end;
	char reply_code[256];          /* from an 'y' reply */
	bool skipping;                 /* the filter said SMFIR_SKIP */
	struct milter_change *changes; /* 'h' and 'i' replies, in order */
	size_t change_count;
	char error[256];
};

bool milter_open(struct milter_session *session, const struct socket_spec *spec,
    unsigned long protocol);
void milter_close(struct milter_session *session);
void milter_macro(
    struct milter_session *session, char command, const char *const *pairs);
enum milter_verdict milter_connect(
    struct milter_session *session, const char *hostname, const char *address);
enum milter_verdict milter_mail(
    struct milter_session *session, const char *sender);
enum milter_verdict milter_helo(
    struct milter_session *session, const char *name);
enum milter_verdict milter_recipient(
    struct milter_session *session, const char *recipient);
enum milter_verdict milter_data(struct milter_session *session);
enum milter_verdict milter_header(
    struct milter_session *session, const char *name, const char *value);
enum milter_verdict milter_end_of_headers(struct milter_session *session);
enum milter_verdict milter_body(
    struct milter_session *session, const char *data, size_t length);
enum milter_verdict milter_end_of_message(struct milter_session *session);
void milter_forget_changes(struct milter_session *session);
size_t milter_apply_changes(const struct milter_session *session,
    const struct header_field *headers, size_t count,
    const struct header_field **out, size_t out_max);
const char *milter_verdict_name(enum milter_verdict verdict);

#endif
