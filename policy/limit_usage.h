/*
 * limit_usage.h - where a subject stands in a limit or a warm-up, read
 * as waypost-policyd decides
 */
#ifndef WAYPOST_LIMIT_USAGE_H
#define WAYPOST_LIMIT_USAGE_H

#include <stdbool.h>

#include "policy_config.h"
#include "script_words.h"

/* An amount no maximum reaches: the script refuses it, with the count. */
#define LIMIT_USAGE_ALL 1000000000000000000ULL

struct warmup_usage {
	bool started;   /* a message was charged: the schedule runs */
	long long day;  /* of the schedule, 0 the first */
	long long cap;  /* today's; -1: unlimited */
	long long sent; /* today */
};

void limit_usage_words(const struct limit_section *limit, const char *subject,
    unsigned long long amount, const char *prefix, struct script_words *words);
const struct warmup_section *warmup_find(
    const struct policy_config *config, const char *domain);
const char *warmup_subject(
    const struct warmup_section *warmup, const char *domain);
void warmup_usage_read(const struct warmup_section *warmup, const char *state,
    long long today, struct warmup_usage *usage);

#endif
