/*
 * bounce_class.h - the classes of delivery outcomes, and the classifier
 */
#ifndef WAYPOST_BOUNCE_CLASS_H
#define WAYPOST_BOUNCE_CLASS_H

#include <stdbool.h>
#include <stddef.h>

struct bounce_rules;

/* The order is the order of the names in bounce_class.c, not a rank. */
enum bounce_class {
	BOUNCE_CLASS_UNKNOWN, /* no rule matched */
	BOUNCE_CLASS_INVALID_RECIPIENT,
	BOUNCE_CLASS_BAD_DOMAIN,
	BOUNCE_CLASS_INACTIVE_MAILBOX,
	BOUNCE_CLASS_MAILBOX_FULL,
	BOUNCE_CLASS_SPAM_BLOCK,
	BOUNCE_CLASS_REPUTATION,
	BOUNCE_CLASS_CONTENT,
	BOUNCE_CLASS_AUTH_FAILURE,
	BOUNCE_CLASS_RATE_LIMITED,
	BOUNCE_CLASS_TOO_MANY_RECIPIENTS,
	BOUNCE_CLASS_NETWORK,
	BOUNCE_CLASS_LOCAL,
	BOUNCE_CLASS_COUNT
};

/* One outcome as Postfix logged it. */
struct bounce_outcome {
	const char *dsn;  /* "5.1.1"; NULL or "" when there is none */
	bool relay_none;  /* relay=none: no server answered */
	const char *text; /* inside "status=bounced (...)" */
};

const char *bounce_class_name(enum bounce_class class);
bool bounce_class_from_name(
    const char *name, size_t length, enum bounce_class *class);
bool bounce_class_suppresses(enum bounce_class class);
bool bounce_class_escalates(enum bounce_class class);
enum bounce_class bounce_classify(const struct bounce_rules *rules,
    const struct bounce_outcome *outcome, int *rule_line);

#endif
