/*
 * headers_milter.h - the milter callbacks of waypost-headers
 */
#ifndef WAYPOST_HEADERS_MILTER_H
#define WAYPOST_HEADERS_MILTER_H

#include "milter_engine.h"

extern const struct milter_filter headers_milter_filter;

#endif
