/*
 * bounce_rules.h - the bounce classes file: rules read, checked and kept
 */
#ifndef WAYPOST_BOUNCE_RULES_H
#define WAYPOST_BOUNCE_RULES_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bounce_class.h"
#include "bounce_reply.h"
#include "config_errors.h"

#define BOUNCE_RULES_FILE_MAX        (256 * 1024) /* bytes */
#define BOUNCE_RULES_LINE_MAX        1024         /* bytes per line */
#define BOUNCE_RULES_MAX             1000         /* rules per file */
#define BOUNCE_RULE_DSN_MAX          16           /* dsn= patterns per rule */
#define BOUNCE_RULE_PATTERNS_MAX     32  /* text= and regex= per rule */
#define BOUNCE_RULE_TEXT_MAX         256 /* bytes per text= or regex= */
#define BOUNCE_RULE_REGEX_PLUS_MAX   8   /* "+" per regex= (regcomp's copies) */
#define BOUNCE_RULE_REGEX_PLUS_DEPTH 3   /* "+" of "+": "(x+)+" is 2 */
#define BOUNCE_RULE_REGEX_GROUPS_MAX 16  /* "(" open at once */

struct bounce_rule {
	enum bounce_class class;
	int line;
	unsigned stages; /* bit (1 << stage) each; 0: any stage */
	bool relay_none;
	size_t dsn_count;
	struct bounce_dsn dsn[BOUNCE_RULE_DSN_MAX];
	size_t text_count;
	char **texts; /* lower case */
	size_t regex_count;
	char **regex_sources;
	regex_t *regexes;
};

/* Read only once made: a reload makes a new one. */
struct bounce_rules {
	char *file;
	size_t count;
	struct bounce_rule *rules;
};

struct bounce_rules *bounce_rules_parse(const char *file, const char *data,
    size_t size, struct config_errors *errors);
struct bounce_rules *bounce_rules_load(
    const char *path, struct config_errors *errors);
void bounce_rules_print(const struct bounce_rules *rules, FILE *out);
void bounce_rules_free(struct bounce_rules *rules);

#endif
