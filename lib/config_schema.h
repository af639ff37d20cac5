/*
 * config_schema.h - sections and keys of a schema, found by name or place
 */
#ifndef WAYPOST_CONFIG_SCHEMA_H
#define WAYPOST_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

const struct config_section *config_section_find(
    const struct config_schema *schema, const char *name);
bool config_section_is_other(
    const struct config_schema *schema, const char *name);
void config_section_label(const struct config_section *section,
    const char *instance_name, char *out, size_t out_size);

size_t config_section_key_count(const struct config_section *section);
const struct config_key *config_section_key(
    const struct config_section *section, size_t index, size_t *group_offset);
bool config_section_key_find(
    const struct config_section *section, const char *name, size_t *index);

void config_suggest_section(const struct config_schema *schema,
    const char *name, char *out, size_t out_size);
void config_suggest_key(const struct config_section *section, const char *name,
    char *out, size_t out_size);

#endif
