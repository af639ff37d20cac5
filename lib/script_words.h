/*
 * script_words.h - the words of one Redis call, in one text
 */
#ifndef WAYPOST_SCRIPT_WORDS_H
#define WAYPOST_SCRIPT_WORDS_H

#include <stddef.h>

#include "buffer.h"

struct script_words {
	struct buffer text; /* every word, one after the other */
	size_t *lengths;    /* of each word */
	size_t count, capacity;
	size_t begun; /* where the word script_word_begin() began starts */
};

void script_word(struct script_words *words, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void script_word_text(struct script_words *words, const char *text);
void script_word_begin(struct script_words *words);
void script_word_end(struct script_words *words);
void script_words_free(struct script_words *words);

#endif
