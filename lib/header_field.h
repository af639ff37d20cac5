/*
 * header_field.h - one message header, as milters see it
 *
 * The name as sent, and the value with its leading space and its folds
 * (LF or CRLF), as libmilter delivers them with SMFIP_HDR_LEADSPC.
 */
#ifndef WAYPOST_HEADER_FIELD_H
#define WAYPOST_HEADER_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"

struct header_field {
	char *name;
	char *value;
};

bool header_field_name_valid(const char *name, size_t length);
void header_field_check_names(const struct config_list *list, const char *key,
    bool question_allowed, struct config_report *report);

#endif
