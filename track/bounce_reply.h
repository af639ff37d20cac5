/*
 * bounce_reply.h - what Postfix's status text of one delivery attempt says
 */
#ifndef WAYPOST_BOUNCE_REPLY_H
#define WAYPOST_BOUNCE_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of the text the rules see; Postfix cuts its log records at 2000. */
#define BOUNCE_REPLY_MAX 4096

/* Where in the SMTP session the server answered. */
enum bounce_stage {
	BOUNCE_STAGE_NONE,     /* no server answered: Postfix's own words */
	BOUNCE_STAGE_GREETING, /* "refused to talk to me" */
	BOUNCE_STAGE_HELO,     /* EHLO, HELO, LHLO, STARTTLS, AUTH, ... */
	BOUNCE_STAGE_MAIL,     /* MAIL FROM */
	BOUNCE_STAGE_RCPT,     /* RCPT TO */
	BOUNCE_STAGE_DATA,     /* DATA or end of DATA */
	BOUNCE_STAGE_COUNT
};

/* An enhanced status code, X.Y.Z; -1 in a pattern matches any number. */
struct bounce_dsn {
	int part[3];
};

struct bounce_reply {
	enum bounce_stage stage;
	size_t length;
	char text[BOUNCE_REPLY_MAX + 1]; /* lower case, framing removed */
};

void bounce_reply_read(const char *status_text, struct bounce_reply *reply);
const char *bounce_stage_name(enum bounce_stage stage);
bool bounce_stage_from_name(
    const char *name, size_t length, enum bounce_stage *stage);
bool bounce_dsn_parse(
    const char *text, size_t length, bool wildcards, struct bounce_dsn *dsn);

#endif
