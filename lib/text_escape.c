/*
 * NAME
 *	text_escape - make untrusted bytes safe to print on one log line
 * SYNOPSIS
 *	#include "text_escape.h"
 *
 *	size_t text_escape(char *out, size_t out_size,
 *			   const char *in, size_t in_length)
 * DESCRIPTION
 *	text_escape() copies in[0..in_length) to out, which it always
 *	NUL-terminates when out_size > 0. Printable ASCII passes unchanged;
 *	a backslash becomes "\\", CR, LF and TAB become "\r", "\n" and "\t",
 *	and every other byte (controls, DEL, and bytes >= 0x80) becomes
 *	"\xHH". A peer can therefore neither start a new log line nor hide
 *	text behind terminal escapes, and the escaped form is unambiguous.
 *
 *	An escape sequence is never cut in half: when out is too small the
 *	copy stops before the byte that does not fit.
 * RETURN VALUE
 *	The number of input bytes consumed; less than in_length means the
 *	output was truncated.
 */
#include "config.h"

#include <stdio.h>

#include "text_escape.h"

static size_t
escape_one(unsigned char byte, char sequence[5])
{
	switch (byte) {
	case '\\':
		sequence[0] = '\\', sequence[1] = '\\';
		return 2;
	case '\n':
		sequence[0] = '\\', sequence[1] = 'n';
		return 2;
	case '\r':
		sequence[0] = '\\', sequence[1] = 'r';
		return 2;
	case '\t':
		sequence[0] = '\\', sequence[1] = 't';
		return 2;
	}
	if (byte >= 0x20 && byte < 0x7f) {
		sequence[0] = (char)byte;
		return 1;
	}
	snprintf(sequence, 5, "\\x%02x", byte);
	return 4;
}

size_t
text_escape(char *out, size_t out_size, const char *in, size_t in_length)
{
	size_t used = 0;
	size_t consumed;
	char sequence[5];

	if (out_size == 0)
		return 0;
	for (consumed = 0; consumed < in_length; consumed++) {
		size_t length =
		    escape_one((unsigned char)in[consumed], sequence);

		if (used + length >= out_size)
			break;
		for (size_t i = 0; i < length; i++)
			out[used++] = sequence[i];
	}
	out[used] = '\0';
	return consumed;
}
