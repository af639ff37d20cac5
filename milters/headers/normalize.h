/*
 * normalize.h - run the rules of waypost-headers over one message
 */
#ifndef WAYPOST_NORMALIZE_H
#define WAYPOST_NORMALIZE_H

#include "rules.h"

/* The rules in the order they run, by the names of their switches in
 * waypost-headers(8) (duplicates, check_from...). */
#define NORMALIZE_RULES 11
extern const char *const normalize_rule_names[NORMALIZE_RULES];

void normalize_context_init(struct rule_context *context,
    const struct headers_section *config, struct header_list *headers);
void normalize_context_free(struct rule_context *context);
enum rule_result normalize(struct rule_context *context);

#endif
