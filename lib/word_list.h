/*
 * word_list.h - walk the words of a comma- or space-separated list
 */
#ifndef WAYPOST_WORD_LIST_H
#define WAYPOST_WORD_LIST_H

#include <stdbool.h>
#include <stddef.h>

bool word_list_next(const char **cursor, const char **word, size_t *length);

#endif
