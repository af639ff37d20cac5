/*
 * dkim_milter.h - the milter callbacks of waypost-dkim
 */
#ifndef WAYPOST_DKIM_MILTER_H
#define WAYPOST_DKIM_MILTER_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds on one message's headers; beyond them, on_error applies. */
#define MESSAGE_HEADERS_MAX      1000
#define MESSAGE_HEADER_BYTES_MAX (256 * 1024)

#include "milter_engine.h"

extern const struct milter_filter dkim_milter_filter;

#endif
