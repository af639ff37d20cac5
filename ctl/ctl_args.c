/*
 * NAME
 *	ctl_args - waypostctl's arguments, checked and normalized
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	bool ctl_parse_user(text, out, size, error, error_size)
 *	bool ctl_parse_subject(text, subject, error, error_size)
 *	bool ctl_parse_grant(text, out, size, error, error_size)
 *	bool ctl_parse_for(text, milliseconds, error, error_size)
 *	bool ctl_parse_reason(text, error, error_size)
 *	bool ctl_parse_count(text, count, error, error_size)
 * DESCRIPTION
 *	Each turns one argument into the form waypost-policyd reads, or
 *	says in error why it cannot (false), before anything is written:
 *
 *	.  a user as lib/sender_identity.c keeps it (lower case, no white
 *	   space or control characters, at most IDENTITY_USER_MAX bytes);
 *	.  a subject: "@DOMAIN" is the domain (lower case, no final dot,
 *	   lib/mail_domain.c), anything else a user;
 *	.  a grant: an address or "@DOMAIN" (sender_identity_grant());
 *	.  --for: a duration as waypost.conf writes them (30m, 24h, 7d),
 *	   from CTL_FOR_MIN_MS to CTL_FOR_MAX_MS;
 *	.  --reason: 1 to CTL_REASON_MAX bytes without control characters
 *	   (it goes back to Postfix on one line);
 *	.  --count: 1 to CTL_AUDIT_COUNT_MAX, in decimal.
 * SECURITY
 *	Arguments are an operator's, but end up in Redis and in answers
 *	to SMTP clients: every bound is checked here.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "ctl.h"
#include "mail_domain.h"

#define SHOWN_MAX 100 /* bytes of a bad argument quoted in an error */

bool
ctl_parse_user(
    const char *text, char *out, size_t size, char *error, size_t error_size)
{
	if (text[0] == '@' || !sender_identity_user(text, out, size)) {
		snprintf(error, error_size,
		    "\"%.*s\" is not a user name (1 to %d bytes, no white "
		    "space, not starting with @)",
		    SHOWN_MAX, text, IDENTITY_USER_MAX);
		return false;
	}
	return true;
}

static bool
domain_name(const char *text, char *out, size_t size)
{
	size_t length = strlen(text);

	if (length == 0 || length >= size || strchr(text, '@') != NULL)
		return false;
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)text[i] <= ' ' || text[i] == 127)
			return false;
	memcpy(out, text, length + 1);
	return mail_domain_normalize(out, length) > 0 && out[0] != '.';
}

bool
ctl_parse_subject(const char *text, struct ctl_subject *subject, char *error,
    size_t error_size)
{
	subject->domain = text[0] == '@';
	if (!subject->domain)
		return ctl_parse_user(text, subject->name,
		    sizeof(subject->name), error, error_size);
	if (!domain_name(text + 1, subject->name, sizeof(subject->name))) {
		snprintf(error, error_size, "\"%.*s\" is not @DOMAIN",
		    SHOWN_MAX, text);
		return false;
	}
	return true;
}

bool
ctl_parse_grant(
    const char *text, char *out, size_t size, char *error, size_t error_size)
{
	if (!sender_identity_grant(text, out, size)) {
		snprintf(error, error_size,
		    "\"%.*s\" is neither an address nor @DOMAIN", SHOWN_MAX,
		    text);
		return false;
	}
	return true;
}

bool
ctl_parse_for(
    const char *text, long long *milliseconds, char *error, size_t error_size)
{
	if (!config_parse_duration(text, milliseconds) ||
	    *milliseconds < CTL_FOR_MIN_MS || *milliseconds > CTL_FOR_MAX_MS) {
		snprintf(error, error_size,
		    "bad duration \"%.*s\": expected 1s to 10 years, such as "
		    "30m, 24h or 7d",
		    SHOWN_MAX, text);
		return false;
	}
	return true;
}

bool
ctl_parse_reason(const char *text, char *error, size_t error_size)
{
	size_t length = strlen(text);

	for (size_t i = 0; i < length; i++)
		if ((unsigned char)text[i] < ' ' || text[i] == 127) {
			snprintf(error, error_size,
			    "the reason holds a control character");
			return false;
		}
	if (length == 0 || length > CTL_REASON_MAX) {
		snprintf(error, error_size,
		    "the reason must be 1 to %d bytes, not %zu", CTL_REASON_MAX,
		    length);
		return false;
	}
	return true;
}

bool
ctl_parse_count(
    const char *text, long long *count, char *error, size_t error_size)
{
	char *end;

	errno = 0;
	*count = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' ||
	    text[0] == '+' || *count < 1 || *count > CTL_AUDIT_COUNT_MAX) {
		snprintf(error, error_size,
		    "bad count \"%.*s\": expected 1 to %d", SHOWN_MAX, text,
		    CTL_AUDIT_COUNT_MAX);
		return false;
	}
	return true;
}
