/*
 * NAME
 *	header_field - header names: what RFC 5322 allows
 * SYNOPSIS
 *	#include "header_field.h"
 *
 *	bool header_field_name_valid(name, length)
 *	void header_field_check_names(list, key, question_allowed, report)
 * DESCRIPTION
 *	header_field_name_valid(): an RFC 5322 2.2 field name, printable
 *	ASCII but the colon, one to 998 octets.
 *
 *	header_field_check_names() reports each item of a configuration
 *	list that is not one; with question_allowed a trailing "?" (the
 *	"when present" mark of oversign_headers) is not part of the name.
 */
#include "config.h"

#include <string.h>

#include "header_field.h"

bool
header_field_name_valid(const char *name, size_t length)
{
	if (length == 0 || length > 998)
		return false;
	for (size_t i = 0; i < length; i++)
		if (name[i] < 33 || name[i] > 126 || name[i] == ':')
			return false;
	return true;
}

void
header_field_check_names(const struct config_list *list, const char *key,
    bool question_allowed, struct config_report *report)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *name = list->items[i];
		size_t length = strlen(name);

		if (question_allowed && length > 1 && name[length - 1] == '?')
			length--;
		if (!header_field_name_valid(name, length))
			config_report_error(report,
			    "%s: \"%s\" is not a header name", key, name);
	}
}
