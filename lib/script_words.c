/*
 * NAME
 *	script_words - the words of one Redis call (a script's or a command), in one text
 * SYNOPSIS
 *	#include "script_words.h"
 *
 *	void script_word(words, format, ...)
 *	void script_word_text(words, text)
 *	void script_word_begin(words)
 *	void script_word_end(words)
 *	void script_words_free(words)
 * DESCRIPTION
 *	script_word() appends one word, made as printf() makes it, to the
 *	text of words and its length to their lengths: what
 *	redis_link_eval() or redis_link_command() sends, with no allocation
 *	per word.
 *	script_word_text() appends a word that is one string (most of
 *	them) as it is, without printf(), which perf showed among
 *	waypost-policyd's costs per request. A word that its maker appends
 *	to words->text itself (a key, lib/redis_keys.c's) goes between
 *	script_word_begin() and script_word_end(). Start from a zeroed
 *	struct; script_words_free() frees what is left.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>

#include "script_words.h"
#include "xmalloc.h"

/* Room for one more length; the word's text is appended after. */
static void
word_start(struct script_words *words)
{
	if (words->count == words->capacity) {
		words->capacity = words->capacity * 2 + 16;
		words->lengths = xreallocarray(
		    words->lengths, words->capacity, sizeof(*words->lengths));
	}
}

void
script_word(struct script_words *words, const char *format, ...)
{
	size_t before = words->text.length;
	va_list arguments;

	word_start(words);
	va_start(arguments, format);
	buffer_vprintf(&words->text, format, arguments);
	va_end(arguments);
	words->lengths[words->count++] = words->text.length - before;
}

void
script_word_text(struct script_words *words, const char *text)
{
	size_t before = words->text.length;

	word_start(words);
	buffer_append_text(&words->text, text);
	words->lengths[words->count++] = words->text.length - before;
}

void
script_word_begin(struct script_words *words)
{
	word_start(words);
	words->begun = words->text.length;
}

void
script_word_end(struct script_words *words)
{
	words->lengths[words->count++] = words->text.length - words->begun;
}

void
script_words_free(struct script_words *words)
{
	buffer_free(&words->text);
	free(words->lengths);
	words->lengths = NULL;
	words->count = words->capacity = 0;
}
