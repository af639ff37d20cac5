/*
 * config_value.h - parse, format and free one typed configuration value
 */
#ifndef WAYPOST_CONFIG_VALUE_H
#define WAYPOST_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

/* Longest formatted value config_value_format() writes before "...". */
#define CONFIG_FORMAT_MAX CONFIG_VALUE_MAX

bool config_value_parse(const struct config_key *key, const char *text,
    void *target, char *error, size_t error_size);
bool config_value_is_set(const struct config_key *key, const void *target);
void config_value_format(const struct config_key *key, const void *target,
    char *out, size_t out_size);
void config_value_free(const struct config_key *key, void *target);

bool config_parse_duration(const char *text, long long *milliseconds);
bool config_parse_size(const char *text, long long *bytes);
bool config_parse_bool(const char *text, bool *value);
void config_format_duration(long long milliseconds, char *out, size_t size);
void config_format_size(long long bytes, char *out, size_t size);

#endif
