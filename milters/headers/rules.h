/*
 * rules.h - the normalization rules of waypost-headers, and what they share
 */
#ifndef WAYPOST_RULES_H
#define WAYPOST_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buffer.h"
#include "header_list.h"
#include "headers_config.h"

/* Whether a user may send as an address (rule_from_owner.c). */
enum identity_answer { IDENTITY_NOT_OWNED, IDENTITY_OWNED, IDENTITY_UNKNOWN };

/* An address as the header holds it (not NUL-terminated). */
struct identity_address {
	const char *text;
	size_t length;
};

/* Asks the identity sources about every address at once: IDENTITY_OWNED
 * if the user owns them all; else the answer for the first that is not
 * owned (*first its index), IDENTITY_UNKNOWN with the reason in why
 * when no source could answer for it. */
typedef enum identity_answer (*identity_lookup)(void *source, const char *user,
    const struct identity_address *addresses, size_t count, size_t *first,
    char *why, size_t why_size);

/* What a rule knows about the message, and what it leaves for the
 * others: the change log, or a refusal. */
struct rule_context {
	const struct headers_section *config;
	struct header_list *headers;
	bool trusted_client;  /* internal network, local, or authenticated */
	bool smtputf8;        /* the client asked for SMTPUTF8 */
	const char *user;     /* SMTP AUTH name, or NULL */
	identity_lookup owns; /* what user may send as */
	void *identity_source;
	const char *queue_id;
	time_t arrival;
	const char *message_id_domain;
	const char *authserv_id;
	struct buffer changes; /* "added Message-ID, removed X-Mailer" */
	/* A refusal: "550", "5.7.1" and the text, or reply_code[0] == 0. */
	char reply_code[4];
	char status[8];
	char reply_text[256];
	/* Set by normalize(), for the metrics: the rules that planned an
	 * edit (bit i: normalize_rule_names[i]), and the one that refused. */
	unsigned changed_rules;
	int refused_by; /* -1: none */
};

enum rule_result { RULE_PASS, RULE_REFUSE };

typedef enum rule_result (*rule_function)(struct rule_context *context);

enum rule_result rule_syntax(struct rule_context *context);
enum rule_result rule_duplicates(struct rule_context *context);
enum rule_result rule_from(struct rule_context *context);
enum rule_result rule_from_owner(struct rule_context *context);
enum rule_result rule_message_id(struct rule_context *context);
enum rule_result rule_date(struct rule_context *context);
enum rule_result rule_privacy(struct rule_context *context);
enum rule_result rule_trust(struct rule_context *context);
enum rule_result rule_list_unsubscribe(struct rule_context *context);
enum rule_result rule_8bit(struct rule_context *context);
enum rule_result rule_fold(struct rule_context *context);

/* For the rules. */
void rule_log(struct rule_context *context, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
enum rule_result rule_refuse(struct rule_context *context, const char *status,
    const char *format, ...) __attribute__((format(printf, 3, 4)));
enum rule_result rule_defer(struct rule_context *context, const char *status,
    const char *format, ...) __attribute__((format(printf, 3, 4)));
void rule_delete(struct rule_context *context, size_t at, const char *why);
void rule_replace_keeping(struct rule_context *context, size_t at,
    const char *value, const char *original_name);
bool rule_matches(const struct config_list *patterns, const char *name);

#endif
