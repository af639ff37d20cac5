/*
 * config_read.h - the INI file read into sections and raw key texts
 *
 * The first pass of loading (config_read.c); config_file.c turns what
 * it reads into a program's struct.
 */
#ifndef WAYPOST_CONFIG_READ_H
#define WAYPOST_CONFIG_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

/* The text of one key as written in the file, continuation lines joined. */
struct config_raw_value {
	char *text; /* NULL: not in the file */
	int line;
};

/* One [section] or [section "name"] of the file that the program owns. */
struct config_instance {
	const struct config_section *section;
	char name[CONFIG_INSTANCE_NAME_MAX + 1];
	int line;
	size_t key_count;
	struct config_raw_value *values; /* one per key, in key order */
};

struct config_read_result {
	struct config_instance *instances;
	size_t instance_count;
};

bool config_read(const struct config_schema *schema, const char *file,
    const char *data, size_t size, struct config_errors *errors,
    struct config_read_result *result);
void config_read_free(struct config_read_result *result);

#endif
