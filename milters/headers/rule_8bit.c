/*
 * NAME
 *	rule_8bit - rule 6: 8-bit header text in mail that is not SMTPUTF8
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_8bit(context)
 * DESCRIPTION
 *	Without SMTPUTF8 (RFC 6531) a header must be ASCII (RFC 5322 2.2).
 *	For each header with a byte over 127, unless the client asked for
 *	SMTPUTF8:
 *
 *	.  text that is not UTF-8 is read in fallback_charset with
 *	   iconv(3) (invalid_utf8 = decode), or refused (reject, 5.6.7);
 *	.  an unstructured field (Subject, Comments, X-...) is RFC 2047
 *	   encoded, word runs that need it only;
 *	.  in an address field, display names and comments are encoded,
 *	   while an 8-bit address is refused (5.6.7): only SMTPUTF8 can
 *	   carry one;
 *	.  other structured fields are left as they are, and logged:
 *	   encoded-words are not allowed in them (RFC 2047 5).
 *
 *	The result is folded at 78 octets (header_fold.c). List-Unsubscribe
 *	and List-Unsubscribe-Post are never encoded.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address_list.h"
#include "header_fold.h"
#include "header_text.h"
#include "rfc2047.h"
#include "rules.h"
#include "xmalloc.h"

/* text from charset into UTF-8; false if iconv cannot. */
static bool
to_utf8(const char *charset, const char *text, struct buffer *out)
{
	iconv_t converter = iconv_open("UTF-8", charset);
	size_t in_left = strlen(text), out_size = 4 * in_left + 4;
	size_t out_left = out_size - 1;
	char *in = (char *)text, *result = xmalloc(out_size), *o = result;
	bool done;

	if (converter == (iconv_t)-1) {
		free(result);
		return false;
	}
	done = iconv(converter, &in, &in_left, &o, &out_left) != (size_t)-1 &&
	       iconv(converter, NULL, NULL, &o, &out_left) != (size_t)-1;
	*o = '\0';
	iconv_close(converter);
	if (done)
		buffer_append_text(out, result);
	free(result);
	return done;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Copy text, encoding the content of each comment that has 8-bit. */
static void
encode_comments(const char *text, size_t length, struct buffer *out)
{
	size_t at = 0;

	while (at < length) {
		size_t open = at, close;
		int depth = 0;
		bool eight_bit = false, quoted = false;

		while (open < length && (text[open] != '(' || quoted)) {
			if (text[open] == '\\' && open + 1 < length)
				open++;
			else if (text[open] == '"')
				quoted = !quoted;
			open++;
		}
		buffer_append(out, text + at, open - at);
		if (open == length)
			return;
		for (close = open; close < length; close++) {
			unsigned char c = (unsigned char)text[close];

			eight_bit |= c > 127;
			if (c == '\\' && close + 1 < length)
				close++;
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				break;
		}
		if (close == length) { /* unbalanced: copied as it is */
			buffer_append(out, text + open, length - open);
			return;
		}
		if (eight_bit) {
			buffer_append_char(out, '(');
			rfc2047_encode_words(
			    text + open + 1, close - open - 1, out);
			buffer_append_char(out, ')');
		} else
			buffer_append(out, text + open, close - open + 1);
		at = close + 1;
	}
}

/* A display name: a quoted string loses its quotes and quoting. */
static void
encode_phrase(const char *text, size_t length, struct buffer *out)
{
	struct buffer plain = {0};

	while (length > 0 && is_space(text[length - 1]))
		length--;
	if (length >= 2 && text[0] == '"' && text[length - 1] == '"') {
		for (size_t i = 1; i + 1 < length; i++) {
			if (text[i] == '\\' && i + 2 < length)
				i++;
			buffer_append_char(&plain, text[i]);
		}
		text = plain.data;
		length = plain.length;
	}
	rfc2047_encode_words(text, length, out);
	buffer_append_char(out, ' ');
	buffer_free(&plain);
}

/* false: an 8-bit address, which cannot be encoded. */
static bool
encode_addresses(const char *text, struct buffer *out)
{
	struct address_list list;
	size_t at = 0;

	if (!address_list_parse(text, &list)) {
		/* Unparsable: only comments can be encoded safely. */
		address_list_free(&list);
		encode_comments(text, strlen(text), out);
		return true;
	}
	for (size_t i = 0; i < list.count; i++) {
		const struct address_element *element = &list.elements[i];

		if (element->spec_8bit) {
			address_list_free(&list);
			return false;
		}
		if (!element->display_8bit)
			continue;
		buffer_append(out, text + at, element->start - at);
		if (element->angle_open != ADDRESS_NONE) {
			encode_phrase(text + element->start,
			    element->angle_open - element->start, out);
			at = element->angle_open;
		} else
			at = element->start;
		encode_comments(text + at, element->end - at, out);
		at = element->end;
	}
	buffer_append_text(out, text + at);
	address_list_free(&list);
	return true;
}

static enum rule_result
encode_one(struct rule_context *context, size_t at)
{
	const struct header *header = &context->headers->items[at];
	struct buffer text = {0}, utf8 = {0}, encoded = {0}, folded = {0};
	const char *charset = NULL;
	enum rule_result result = RULE_PASS;
	bool unstructured = header_is_unstructured(header->name);

	header_unfold_trim(header_list_value(context->headers, at), &text);
	if (!header_valid_utf8(text.data)) {
		if (context->config->invalid_utf8 == INVALID_UTF8_REJECT ||
		    !to_utf8(
		        context->config->fallback_charset, text.data, &utf8)) {
			result = rule_refuse(context, "5.6.7",
			    "Header %.64s is not valid UTF-8", header->name);
			goto done;
		}
		charset = context->config->fallback_charset;
	} else
		buffer_append_text(&utf8, text.data);
	buffer_append_char(&encoded, ' ');
	if (unstructured)
		rfc2047_encode_unstructured(utf8.data, &encoded);
	else if (!encode_addresses(utf8.data, &encoded)) {
		result = rule_refuse(context, "5.6.7",
		    "Header %.64s has a non-ASCII address, which needs SMTPUTF8",
		    header->name);
		goto done;
	}
	header_fold(
	    strlen(header->name), encoded.data, !unstructured, &folded, NULL);
	header_list_change(context->headers, at, folded.data);
	rule_log(context, "encoded %s (RFC 2047%s%s)", header->name,
	    charset ? ", from " : "", charset ? charset : "");
done:
	buffer_free(&text);
	buffer_free(&utf8);
	buffer_free(&encoded);
	buffer_free(&folded);
	return result;
}

enum rule_result
rule_8bit(struct rule_context *context)
{
	struct header_list *headers = context->headers;

	if (context->smtputf8)
		return RULE_PASS;
	for (size_t i = 0; i < headers->count; i++) {
		const struct header *header = &headers->items[i];

		if (header->deleted ||
		    !header_has_8bit(header_list_value(headers, i)) ||
		    header_list_is(header, "List-Unsubscribe") ||
		    header_list_is(header, "List-Unsubscribe-Post"))
			continue;
		if (header_is_unstructured(header->name) ||
		    header_is_address(header->name)) {
			if (encode_one(context, i) == RULE_REFUSE)
				return RULE_REFUSE;
		} else
			rule_log(context, "left 8-bit %s (structured)",
			    header->name);
	}
	return RULE_PASS;
}
