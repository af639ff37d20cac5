/*
 * table_lines.h - read "key value..." lines of a table file
 */
#ifndef WAYPOST_TABLE_LINES_H
#define WAYPOST_TABLE_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

#define TABLE_LINE_MAX 4096

struct table_lines {
	const char *file;
	const char *data;
	size_t size, position;
	int line; /* of the line last returned */
	struct config_errors *errors;
	char text[TABLE_LINE_MAX + 1];
};

void table_lines_init(struct table_lines *lines, const char *file,
    const char *data, size_t size, struct config_errors *errors);
bool table_lines_next(struct table_lines *lines, char **key, char **rest);
bool table_lines_next_pair(struct table_lines *lines, char **key, char **value);

#endif
