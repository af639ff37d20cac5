/*
 * NAME
 *	domain_list - domain names in the configuration, and matching them
 * SYNOPSIS
 *	#include "domain_list.h"
 *
 *	bool domain_name_valid(text, pattern, error, error_size)
 *	bool domain_list_match(list, domain, length)
 * DESCRIPTION
 *	domain_name_valid() accepts a domain name as the configuration
 *	writes one: labels of letters, digits, "-" and "_" joined by
 *	dots; with pattern, also with a leading dot (".example.com": every
 *	subdomain of example.com, not example.com itself). It says why it
 *	refuses one in error.
 *
 *	domain_list_match() tells whether the domain (length bytes, not
 *	terminated) is in list: equal to an entry without regard to case,
 *	or below an entry that starts with a dot.
 * SECURITY
 *	Bounds: DOMAIN_NAME_MAX bytes in all, DOMAIN_LABEL_MAX per label.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "domain_list.h"

bool
domain_name_valid(
    const char *text, bool pattern, char *error, size_t error_size)
{
	const char *name = pattern && text[0] == '.' ? text + 1 : text;
	size_t label = 0, length = strlen(name);

	if (length == 0 || length > DOMAIN_NAME_MAX) {
		snprintf(error, error_size, "\"%.40s\" is not 1 to %d bytes",
		    text, DOMAIN_NAME_MAX);
		return false;
	}
	for (const char *p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > DOMAIN_LABEL_MAX) {
				snprintf(error, error_size,
				    "\"%.40s\": a label is empty or longer "
				    "than %d bytes",
				    text, DOMAIN_LABEL_MAX);
				return false;
			}
			if (*p == '\0')
				return true;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			snprintf(error, error_size,
			    "\"%.40s\" is not a domain name (letters, digits, "
			    "\"-\" and \"_\" between dots%s)",
			    text, pattern ? ", or a leading dot" : "");
			return false;
		}
		label++;
	}
}

bool
domain_list_match(
    const struct config_list *list, const char *domain, size_t length)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *entry = list->items[i];
		size_t size = strlen(entry);

		if (entry[0] != '.') {
			if (size == length &&
			    strncasecmp(entry, domain, length) == 0)
				return true;
		} else if (length >= size &&
		           strncasecmp(entry, domain + length - size, size) ==
		               0) {
			return true;
		}
	}
	return false;
}
