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
 *	bool ctl_parse_count(text, max, count, error, error_size)
 *	bool ctl_parse_address(text, out, size, error, error_size)
 *	bool ctl_parse_message(text, out, size, error, error_size)
 *	bool ctl_parse_message_ref(text, ref, error, error_size)
 *	bool ctl_parse_relay(text, out, size, error, error_size)
 *	bool ctl_parse_stream_id(text, out, size, error, error_size)
 *	bool ctl_parse_domain(text, out, size, error, error_size)
 *	bool ctl_parse_max(text, max, error, error_size)
 *	bool ctl_parse_value(text, what, error, error_size)
 *	bool ctl_parse_client(text, error, error_size)
 *	bool ctl_parse_window(text, hours, error, error_size)
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
 *	.  --count: 1 to max, in decimal;
 *	.  a recipient's address as waypost-policyd's suppression check
 *	   and waypost-trackd write it (sender_identity_members(): lower
 *	   case, the domain without its final dot);
 *	.  a message as waypost-hookd names its attempts: QUEUEID.FIRSTSEEN
 *	   (an event's id, whose last two parts are cut), letters and
 *	   digits then "." and the Unix second;
 *	.  a message as an operator knows it (ctl_parse_message_ref()): a
 *	   Message-ID, with or without its angle brackets, as
 *	   waypost-trackd indexes it (without them; 1 to
 *	   CTL_MESSAGE_ID_MAX bytes, no control characters), or a queue
 *	   ID (1 to CTL_QUEUE_ID_MAX letters and digits), which may be
 *	   a Message-ID too: ref holds each it may be, "" for the other;
 *	.  a relay's name (relay_name of waypost-trackd): 1 to
 *	   CTL_RELAY_MAX bytes, no white space or control characters;
 *	.  a stream entry's id as XREAD takes it: MS or MS-SEQ, decimal.
 *	.  a domain (a warm-up's): as a subject's "@DOMAIN", without "@";
 *	.  a limit's maximum (quota set): 0 to LIMIT_MAX_MAX, in decimal,
 *	   the bound of max in a [limit] section.
 *	.  a value of a policy request that why makes (what names it in
 *	   the error): 1 to CTL_VALUE_MAX bytes, no white space or control
 *	   characters, as one line of Postfix's protocol must be;
 *	.  a client: an IPv4 or IPv6 address, as Postfix sends it;
 *	.  top's --window: whole hours, 1h to CTL_TOP_HOURS_MAX hours
 *	   ("1h", "24h", "1d").
 * SECURITY
 *	Arguments are an operator's, but end up in Redis and in answers
 *	to SMTP clients: every bound is checked here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "ctl.h"
#include "mail_domain.h"
#include "policy_config.h"

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
ctl_parse_count(const char *text, long long max, long long *count, char *error,
    size_t error_size)
{
	char *end;

	errno = 0;
	*count = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' ||
	    text[0] == '+' || *count < 1 || *count > max) {
		snprintf(error, error_size,
		    "bad count \"%.*s\": expected 1 to %lld", SHOWN_MAX, text,
		    max);
		return false;
	}
	return true;
}

bool
ctl_parse_address(
    const char *text, char *out, size_t size, char *error, size_t error_size)
{
	struct identity_members members;

	if (text[0] == '@' ||
	    !sender_identity_members(text, strlen(text), &members) ||
	    strlen(members.address) >= size) {
		snprintf(error, error_size,
		    "\"%.*s\" is not an address (local@domain, at most %d "
		    "bytes, no white space)",
		    SHOWN_MAX, text, IDENTITY_ADDRESS_MAX);
		return false;
	}
	snprintf(out, size, "%s", members.address);
	return true;
}

/* QUEUEID.FIRSTSEEN, at the start of text; its length, or 0. */
static size_t
message_length(const char *text)
{
	size_t letters = 0, digits = 0;

	while (isalnum((unsigned char)text[letters]))
		letters++;
	if (letters == 0 || text[letters] != '.')
		return 0;
	while (isdigit((unsigned char)text[letters + 1 + digits]))
		digits++;
	if (digits == 0 || digits > 19)
		return 0;
	return letters + 1 + digits;
}

bool
ctl_parse_message(
    const char *text, char *out, size_t size, char *error, size_t error_size)
{
	size_t length = message_length(text);
	const char *rest = text + length;

	/* An event's id: QUEUEID.FIRSTSEEN.I.SEQ. */
	if (length > 0 && rest[0] == '.') {
		size_t i = 1, dots = 0;

		for (; rest[i] != '\0'; i++) {
			if (rest[i] == '.')
				dots++;
			else if (!isdigit((unsigned char)rest[i]))
				break;
		}
		if (rest[i] == '\0' && dots == 1 && rest[1] != '.' &&
		    rest[i - 1] != '.')
			rest += i;
	}
	if (length == 0 || *rest != '\0' || length >= size) {
		snprintf(error, error_size,
		    "\"%.*s\" is not QUEUEID.FIRSTSEEN (an event id's first "
		    "two parts)",
		    SHOWN_MAX, text);
		return false;
	}
	memcpy(out, text, length);
	out[length] = '\0';
	return true;
}

/* No byte below a space, no DEL. */
static bool
printable(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)text[i] < ' ' || text[i] == 127)
			return false;
	return true;
}

bool
ctl_parse_message_ref(const char *text, struct ctl_message_ref *ref,
    char *error, size_t error_size)
{
	size_t length = strlen(text), letters = 0;

	ref->message_id[0] = '\0';
	ref->queue_id[0] = '\0';
	while (isalnum((unsigned char)text[letters]))
		letters++;
	if (letters == length && length <= CTL_QUEUE_ID_MAX)
		memcpy(ref->queue_id, text, length + 1);
	if (length >= 2 && text[0] == '<' && text[length - 1] == '>') {
		text++;
		length -= 2;
	}
	if (!printable(text, length)) {
		snprintf(error, error_size,
		    "the Message-ID holds a control character");
		return false;
	}
	if (length == 0 || length > CTL_MESSAGE_ID_MAX) {
		snprintf(error, error_size,
		    "a Message-ID is 1 to %d bytes (without <>), not %zu",
		    CTL_MESSAGE_ID_MAX, length);
		return false;
	}
	memcpy(ref->message_id, text, length);
	ref->message_id[length] = '\0';
	return true;
}

bool
ctl_parse_relay(
    const char *text, char *out, size_t size, char *error, size_t error_size)
{
	size_t length = strlen(text);

	if (length == 0 || length > CTL_RELAY_MAX || length >= size ||
	    !printable(text, length) || strchr(text, ' ') != NULL) {
		snprintf(error, error_size,
		    "\"%.*s\" is not a relay name (1 to %d bytes, no white "
		    "space)",
		    SHOWN_MAX, text, CTL_RELAY_MAX);
		return false;
	}
	memcpy(out, text, length + 1);
	return true;
}

/* Decimal digits, at most 19 (a long long); their count, or 0. */
static size_t
decimal_length(const char *text)
{
	size_t digits = 0;

	while (isdigit((unsigned char)text[digits]))
		digits++;
	return digits <= 19 ? digits : 0;
}

bool
ctl_parse_stream_id(
    const char *text, char *out, size_t size, char *error, size_t error_size)
{
	size_t milliseconds = decimal_length(text), sequence = 0;

	if (milliseconds > 0 && text[milliseconds] == '-')
		sequence = decimal_length(text + milliseconds + 1);
	if (milliseconds == 0 ||
	    (text[milliseconds] != '\0' &&
	        (sequence == 0 || text[milliseconds + 1 + sequence] != '\0')) ||
	    strlen(text) >= size) {
		snprintf(error, error_size,
		    "\"%.*s\" is not a stream entry id (MILLISECONDS or "
		    "MILLISECONDS-SEQUENCE, such as 1764583354000-0)",
		    SHOWN_MAX, text);
		return false;
	}
	memcpy(out, text, strlen(text) + 1);
	return true;
}

bool
ctl_parse_domain(
    const char *text, char *out, size_t size, char *error, size_t error_size)
{
	if (!domain_name(text, out, size)) {
		snprintf(error, error_size, "\"%.*s\" is not a domain",
		    SHOWN_MAX, text);
		return false;
	}
	return true;
}

bool
ctl_parse_max(const char *text, long long *max, char *error, size_t error_size)
{
	char *end;

	errno = 0;
	*max = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' ||
	    !isdigit((unsigned char)text[0]) || *max > LIMIT_MAX_MAX) {
		snprintf(error, error_size,
		    "bad maximum \"%.*s\": expected 0 to %lld, in decimal",
		    SHOWN_MAX, text, LIMIT_MAX_MAX);
		return false;
	}
	return true;
}

bool
ctl_parse_value(
    const char *text, const char *what, char *error, size_t error_size)
{
	size_t length = strlen(text);
	bool fit = length > 0 && length <= CTL_VALUE_MAX;

	for (size_t i = 0; fit && i < length; i++)
		fit = (unsigned char)text[i] > ' ' && text[i] != 127;
	if (!fit)
		snprintf(error, error_size,
		    "bad %s \"%.*s\": 1 to %d bytes, no white space or control "
		    "characters",
		    what, SHOWN_MAX, text, CTL_VALUE_MAX);
	return fit;
}

bool
ctl_parse_client(const char *text, char *error, size_t error_size)
{
	unsigned char address[16];

	if (inet_pton(AF_INET, text, address) == 1 ||
	    inet_pton(AF_INET6, text, address) == 1)
		return true;
	snprintf(error, error_size,
	    "\"%.*s\" is not a client address (IPv4 or IPv6)", SHOWN_MAX, text);
	return false;
}

bool
ctl_parse_window(
    const char *text, long long *hours, char *error, size_t error_size)
{
	long long milliseconds;

	if (!config_parse_duration(text, &milliseconds) ||
	    milliseconds % 3600000 != 0 || milliseconds < 3600000 ||
	    milliseconds > CTL_TOP_HOURS_MAX * 3600000LL) {
		snprintf(error, error_size,
		    "bad window \"%.*s\": whole hours, 1h to %dh", SHOWN_MAX,
		    text, CTL_TOP_HOURS_MAX);
		return false;
	}
	*hours = milliseconds / 3600000;
	return true;
}
