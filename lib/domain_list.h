/*
 * domain_list.h - domain names in the configuration, and matching them
 */
#ifndef WAYPOST_DOMAIN_LIST_H
#define WAYPOST_DOMAIN_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

#define DOMAIN_NAME_MAX  253
#define DOMAIN_LABEL_MAX 63

bool domain_name_valid(
    const char *text, bool pattern, char *error, size_t error_size);
bool domain_list_match(
    const struct config_list *list, const char *domain, size_t length);

#endif
