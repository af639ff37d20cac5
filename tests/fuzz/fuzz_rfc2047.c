/*
 * fuzz_rfc2047.c - fuzz target: the RFC 2047 encoder
 *
 * The input, when it is UTF-8, is encoded as an unstructured field and
 * as a phrase. Properties: the result is ASCII, every encoded-word is
 * at most RFC2047_WORD_MAX octets, and decoding it (a small decoder for
 * what the encoder writes: Q or B, UTF-8, white space between adjacent
 * encoded-words dropped as RFC 2047 6.2 says) gives back the input.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "header_text.h"
#include "rfc2047.h"

static int
hex(char c)
{
	return c >= 'A' ? c - 'A' + 10 : c - '0';
}

static int
base64(char c)
{
	const char *alphabet =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *at = strchr(alphabet, c);

	return at && c ? (int)(at - alphabet) : -1;
}

/* One encoded-word from *p; false if it is not one. */
static bool
decode_word(const char **p, struct buffer *out)
{
	const char *start = *p, *text, *end;
	bool q;

	if (strncmp(start, "=?UTF-8?", 8) != 0 ||
	    (start[8] != 'Q' && start[8] != 'B') || start[9] != '?')
		return false;
	q = start[8] == 'Q';
	text = start + 10;
	end = strstr(text, "?=");
	if (end == NULL || (size_t)(end + 2 - start) > RFC2047_WORD_MAX)
		abort();
	if (q) {
		for (const char *c = text; c < end; c++) {
			if (*c == '_')
				buffer_append_char(out, ' ');
			else if (*c == '=') {
				buffer_append_char(
				    out, (char)(hex(c[1]) << 4 | hex(c[2])));
				c += 2;
			} else
				buffer_append_char(out, *c);
		}
	} else {
		unsigned long bits = 0;
		int count = 0;

		for (const char *c = text; c < end && *c != '='; c++) {
			bits = bits << 6 | (unsigned long)base64(*c);
			if ((count += 6) >= 8) {
				count -= 8;
				buffer_append_char(
				    out, (char)(bits >> count & 0xff));
			}
		}
	}
	*p = end + 2;
	return true;
}

static void
decode(const char *text, struct buffer *out)
{
	bool last_word = false;

	buffer_append_text(out, "");
	while (*text) {
		const char *space = text;

		while (*space == ' ' || *space == '\t')
			space++;
		if (strncmp(space, "=?UTF-8?", 8) == 0) {
			if (!last_word)
				buffer_append(
				    out, text, (size_t)(space - text));
			text = space;
			if (!decode_word(&text, out))
				abort();
			last_word = true;
			continue;
		}
		if (space != text) {
			buffer_append(out, text, (size_t)(space - text));
			text = space;
			last_word = false;
			continue;
		}
		while (*text && *text != ' ' && *text != '\t')
			buffer_append_char(out, *text++);
		last_word = false;
	}
}

static void
check_ascii(const struct buffer *encoded)
{
	for (size_t i = 0; i < encoded->length; i++)
		if ((unsigned char)encoded->data[i] > 127)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer input = {0}, encoded = {0}, decoded = {0};

	buffer_append(&input, data, size);
	buffer_append_text(&input, "");
	if (strlen(input.data) != size || !header_valid_utf8(input.data) ||
	    strstr(input.data, "=?") != NULL)
		goto done;
	/* As an unstructured field: plain words stay, runs are encoded. */
	rfc2047_encode_unstructured(input.data, &encoded);
	check_ascii(&encoded);
	decode(encoded.data, &decoded);
	if (strcmp(decoded.data, input.data) != 0)
		abort();
	/* As a phrase: all of it, one run. */
	buffer_reset(&encoded);
	buffer_reset(&decoded);
	if (size > 0) {
		rfc2047_encode_words(input.data, size, &encoded);
		check_ascii(&encoded);
		decode(encoded.data, &decoded);
		if (strcmp(decoded.data, input.data) != 0)
			abort();
	}
done:
	buffer_free(&input);
	buffer_free(&encoded);
	buffer_free(&decoded);
	return 0;
}
