/*
 * NAME
 *	header_text - reading header values: unfold, trim, classify bytes
 * SYNOPSIS
 *	#include "header_text.h"
 * DESCRIPTION
 *	header_unfold() removes the line breaks of folds (CR and LF before
 *	white space, RFC 5322 2.2.3), keeping the white space;
 *	header_unfold_trim() also drops leading and trailing white space.
 *
 *	header_is_address() names the fields whose value is an address list
 *	(RFC 5322 3.6.2, 3.6.3, 3.6.6); header_is_unstructured() those whose
 *	value is free text that RFC 2047 encoded-words may replace (Subject,
 *	Comments, and X- fields, which RFC 5322 3.6.8 gives no structure).
 *
 *	header_longest_line() measures the longest physical line of a
 *	header as it is written, "Name:" included, CR and LF excluded.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "header_text.h"

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

void
header_unfold(const char *value, struct buffer *out)
{
	buffer_append_text(out, "");
	for (const char *p = value; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n' || *p == '\r')
			continue;
		buffer_append_char(out, *p);
	}
}

void
header_unfold_trim(const char *value, struct buffer *out)
{
	size_t start = 0;

	header_unfold(value, out);
	while (start < out->length && is_space(out->data[start]))
		start++;
	memmove(out->data, out->data + start, out->length - start + 1);
	out->length -= start;
	while (out->length > 0 && is_space(out->data[out->length - 1]))
		out->data[--out->length] = '\0';
}

bool
header_has_8bit(const char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text > 127)
			return true;
	return false;
}

/* RFC 3629: no overlong forms, no surrogates, nothing over U+10FFFF. */
bool
header_valid_utf8(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	while (*p) {
		unsigned c = *p, length, code;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			length = 2, code = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			length = 3, code = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			length = 4, code = c & 0x07;
		else
			return false;
		for (unsigned i = 1; i < length; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			code = (code << 6) | (p[i] & 0x3f);
		}
		if ((length == 3 &&
		        (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
		    (length == 4 && (code < 0x10000 || code > 0x10ffff)))
			return false;
		p += length;
	}
	return true;
}

static bool
named_in(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(name, *names) == 0)
			return true;
	return false;
}

bool
header_is_address(const char *name)
{
	static const char *const names[] = {"From", "Sender", "Reply-To", "To",
	    "Cc", "Bcc", "Resent-From", "Resent-Sender", "Resent-To",
	    "Resent-Cc", "Resent-Bcc", "Disposition-Notification-To", NULL};

	return named_in(name, names);
}

bool
header_is_unstructured(const char *name)
{
	static const char *const names[] = {"Subject", "Comments", NULL};

	return named_in(name, names) || strncasecmp(name, "X-", 2) == 0;
}

size_t
header_longest_line(const char *name, const char *value)
{
	size_t longest = 0, line = strlen(name) + 1;

	for (const char *p = value;; p++) {
		if (*p == '\0' || *p == '\n') {
			longest = line > longest ? line : longest;
			if (*p == '\0')
				return longest;
			line = 0;
		} else if (*p != '\r' || p[1] != '\n')
			line++;
	}
}
