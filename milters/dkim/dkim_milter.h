/*
 * dkim_milter.h - the libmilter callbacks of waypost-dkim
 */
#ifndef WAYPOST_DKIM_MILTER_H
#define WAYPOST_DKIM_MILTER_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds on one message's headers; beyond them, on_error applies. */
#define MESSAGE_HEADERS_MAX      1000
#define MESSAGE_HEADER_BYTES_MAX (256 * 1024)

bool milter_register(char *error, size_t error_size);
void milter_refuse_new(void);
size_t milter_wait_idle(long long timeout_ms);

#endif
