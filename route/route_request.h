/*
 * route_request.h - the socketmap protocol: a netstring request, a
 * netstring reply
 */
#ifndef WAYPOST_ROUTE_REQUEST_H
#define WAYPOST_ROUTE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

#define ROUTE_REQUEST_MAX   1024 /* bytes of "NAME KEY" */
#define ROUTE_NETSTRING_MAX (ROUTE_REQUEST_MAX + 6)

struct route_request {
	const char *name; /* the table's name in Postfix's socketmap: */
	const char *key;  /* what Postfix looks up */
	size_t key_length;
};

size_t route_request_end(
    const char *data, size_t length, char *error, size_t error_size);
bool route_request_parse(char *data, size_t length,
    struct route_request *request, char *error, size_t error_size);
void route_reply_append(
    struct buffer *out, const char *status, const char *data);

#endif
