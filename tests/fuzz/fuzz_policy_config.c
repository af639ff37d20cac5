/*
 * fuzz_policy_config.c - fuzz target: waypost.conf as waypost-policyd
 * reads it
 *
 * The whole file goes through lib's parser with the policy schema, so
 * the checks of [policy], [limit "NAME"] and [warmup "NAME"] sections
 * (subjects joined with "+", actions, domains, schedules) and across
 * them run on arbitrary values; an accepted file is printed as -n
 * prints it, and every limit's subject must have split into known parts.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "policy_config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_errors errors;
	static FILE *sink;
	struct policy_config *config;

	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	memset(&errors, 0, sizeof(errors));
	config = config_load_buffer(
	    &policy_schema, "fuzz.conf", (const char *)data, size, &errors);
	if (config == NULL)
		return 0;
	policy_config_check(config, &errors);
	for (size_t i = 0; i < config->limits.count; i++) {
		const struct limit_section *limit = config->limits.items[i];

		if (limit->part_count == 0 ||
		    limit->part_count > SUBJECT_PART_COUNT)
			__builtin_trap();
		for (size_t j = 0; j < limit->part_count; j++)
			if (limit->parts[j] < 0 ||
			    limit->parts[j] >= SUBJECT_PART_COUNT)
				__builtin_trap();
	}
	if (sink != NULL)
		config_print(&policy_schema, config, sink);
	config_free(&policy_schema, config);
	return 0;
}
