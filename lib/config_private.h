/*
 * config_private.h - what the configuration reader hands to the loader
 *
 * Private to config_read.c, config_file.c and config_print.c.
 */
#ifndef WAYPOST_CONFIG_PRIVATE_H
#define WAYPOST_CONFIG_PRIVATE_H

#include "config_file.h"

/* The text of one key as written in the file, continuation lines joined. */
struct config_raw_value {
	char *text; /* NULL: not in the file */
	int line;
};

/* One [section] or [section "name"] of the file. */
struct config_instance {
	const struct config_section *section; /* NULL: skipped */
	char name[CONFIG_INSTANCE_NAME_MAX + 1];
	int line;
	size_t key_count;
	struct config_raw_value *values; /* one per key, in key order */
};

struct config_read_result {
	struct config_instance *instances;
	size_t instance_count;
};

struct config_report {
	struct config_errors *errors;
	const char *file;
	int line; /* 0: the section is not in the file */
	char label[CONFIG_INSTANCE_NAME_MAX + 64];
	bool failed;
};

bool config_read(const struct config_schema *schema, const char *file,
    const char *data, size_t size, struct config_errors *errors,
    struct config_read_result *result);
void config_read_free(struct config_read_result *result);

size_t config_section_key_count(const struct config_section *section);
const struct config_key *config_section_key(
    const struct config_section *section, size_t index, size_t *group_offset);
void config_section_label(const struct config_section *section,
    const char *instance_name, char *out, size_t out_size);

#endif
