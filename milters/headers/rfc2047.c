/*
 * NAME
 *	rfc2047 - RFC 2047 encoded-words for 8-bit header text
 * SYNOPSIS
 *	#include "rfc2047.h"
 *
 *	void rfc2047_encode_words(text, length, out)
 *	void rfc2047_encode_unstructured(text, out)
 * DESCRIPTION
 *	rfc2047_encode_words() writes UTF-8 text as encoded-words in the
 *	UTF-8 charset, separated by single spaces, each at most
 *	RFC2047_WORD_MAX octets (under the 75 RFC 2047 2 allows), never
 *	splitting a character (RFC 2047 5 (3)): the Q encoding, which a
 *	person can still read, unless it is more than half as long again
 *	as B (most non-Latin scripts). The Q encoding uses only the
 *	characters RFC 2047 5 (3) allows in a phrase, so the result fits a
 *	display name, a comment or free text alike. A decoder ignores the
 *	space between two encoded-words, so the text decodes back exactly.
 *
 *	rfc2047_encode_unstructured() encodes the value of an unstructured
 *	field (RFC 5322 3.2.5): words of plain ASCII stay as they are;
 *	each run of words that holds 8-bit bytes, or that could be taken
 *	for an encoded-word, is encoded whole, with the white space inside
 *	the run, so decoding gives back the same text.
 *
 *	The text must be valid UTF-8 (see header_valid_utf8()).
 */
#include "config.h"

#include <string.h>

#include "rfc2047.h"

#define PREFIX "=?UTF-8?"
/* "=?UTF-8?Q?" and "?=" */
#define OVERHEAD (sizeof(PREFIX) - 1 + 2 + 2)

static bool
q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	       c == '-' || c == '/' || c == ' ';
}

static size_t
q_length(unsigned char c)
{
	return q_plain(c) ? 1 : 3;
}

/* Bytes of the UTF-8 character that starts at text. */
static size_t
character_length(const unsigned char *text, size_t left)
{
	size_t length = 1;

	if (text[0] >= 0xf0)
		length = 4;
	else if (text[0] >= 0xe0)
		length = 3;
	else if (text[0] >= 0xc0)
		length = 2;
	return length <= left ? length : left;
}

static void
q_append(struct buffer *out, const unsigned char *text, size_t length)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < length; i++) {
		unsigned char c = text[i];

		if (c == ' ')
			buffer_append_char(out, '_');
		else if (q_plain(c))
			buffer_append_char(out, (char)c);
		else {
			buffer_append_char(out, '=');
			buffer_append_char(out, hex[c >> 4]);
			buffer_append_char(out, hex[c & 15]);
		}
	}
}

static void
b_append(struct buffer *out, const unsigned char *text, size_t length)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "abcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < length; i += 3) {
		unsigned long group = (unsigned long)text[i] << 16;
		size_t left = length - i;

		if (left > 1)
			group |= (unsigned long)text[i + 1] << 8;
		if (left > 2)
			group |= text[i + 2];
		buffer_append_char(out, alphabet[(group >> 18) & 63]);
		buffer_append_char(out, alphabet[(group >> 12) & 63]);
		buffer_append_char(
		    out, left > 1 ? alphabet[(group >> 6) & 63] : '=');
		buffer_append_char(out, left > 2 ? alphabet[group & 63] : '=');
	}
}

void
rfc2047_encode_words(const char *text, size_t length, struct buffer *out)
{
	const unsigned char *bytes = (const unsigned char *)text;
	size_t q_total = 0, b_total = (length + 2) / 3 * 4;
	size_t room = RFC2047_WORD_MAX - OVERHEAD;
	bool q;

	for (size_t i = 0; i < length; i++)
		q_total += q_length(bytes[i]);
	/* Q reads better: worth half as much again in length. */
	q = 2 * q_total <= 3 * b_total;
	buffer_append_text(out, "");
	for (size_t at = 0; at < length;) {
		size_t take = 0, used = 0;

		/* Whole characters while they fit. */
		while (at + take < length) {
			size_t step = character_length(
			    bytes + at + take, length - at - take);
			size_t cost = 0;

			if (q)
				for (size_t i = 0; i < step; i++)
					cost += q_length(bytes[at + take + i]);
			else
				cost = (take + step + 2) / 3 * 4 - used;
			if (used + cost > room && take > 0)
				break;
			used += cost;
			take += step;
		}
		if (at > 0)
			buffer_append_char(out, ' ');
		buffer_append_text(out, q ? PREFIX "Q?" : PREFIX "B?");
		(q ? q_append : b_append)(out, bytes + at, take);
		buffer_append_text(out, "?=");
		at += take;
	}
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A word that must be encoded: 8-bit, or shaped like an encoded-word. */
static bool
needs_encoding(const char *word, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)word[i] > 127)
			return true;
	return length >= 4 && memcmp(word, "=?", 2) == 0 &&
	       memcmp(word + length - 2, "?=", 2) == 0;
}

void
rfc2047_encode_unstructured(const char *text, struct buffer *out)
{
	size_t at = 0, length = strlen(text);

	buffer_append_text(out, "");
	while (at < length) {
		size_t space = at, word, end, run_end;

		while (space < length && is_space(text[space]))
			space++;
		word = space;
		end = word;
		while (end < length && !is_space(text[end]))
			end++;
		if (word == length ||
		    !needs_encoding(text + word, end - word)) {
			buffer_append(out, text + at, end - at);
			at = end;
			continue;
		}
		/* Extend the run over the next words that need it too. */
		run_end = end;
		for (;;) {
			size_t next = run_end, next_end;

			while (next < length && is_space(text[next]))
				next++;
			next_end = next;
			while (next_end < length && !is_space(text[next_end]))
				next_end++;
			if (next == length ||
			    !needs_encoding(text + next, next_end - next))
				break;
			run_end = next_end;
		}
		buffer_append(out, text + at, word - at);
		rfc2047_encode_words(text + word, run_end - word, out);
		at = run_end;
	}
}
