/*
 * stream_id.h - Redis stream entry ids, checked and ordered (stream_id.c)
 */
#ifndef WAYPOST_STREAM_ID_H
#define WAYPOST_STREAM_ID_H

#include <stdbool.h>

#define STREAM_ID_MAX 48 /* with its NUL; two 20-digit numbers fit */

bool stream_id_valid(const char *id);
int stream_id_compare(const char *a, const char *b);

#endif
