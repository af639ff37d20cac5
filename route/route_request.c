/*
 * NAME
 *	route_request - the socketmap protocol: a netstring request, a
 *	netstring reply
 * SYNOPSIS
 *	#include "route_request.h"
 *
 *	size_t route_request_end(data, length, error, error_size)
 *	bool route_request_parse(data, length, request, error, error_size)
 *	void route_reply_append(out, status, data)
 * DESCRIPTION
 *	Postfix's socketmap(5) client sends each lookup as a netstring
 *	("LENGTH:NAME KEY,", LENGTH in decimal) and reads one netstring
 *	back: "OK DATA", "NOTFOUND ", "TEMP reason", "TIMEOUT reason" or
 *	"PERM reason".
 *
 *	route_request_end() gives the bytes of the first whole netstring
 *	in data, 0 while it is not all there, SIZE_MAX with the reason in
 *	error when data cannot start one: a length that is not digits, has
 *	a leading zero, or exceeds ROUTE_REQUEST_MAX, or no "," after the
 *	payload.
 *
 *	route_request_parse() splits one whole netstring, where it lies,
 *	into the table name and the key (NUL-terminated in data): false
 *	with the reason when there is no space after a name, the name is
 *	empty, or a byte is a control character.
 *
 *	route_reply_append() appends the netstring of "STATUS DATA" to out.
 * SECURITY
 *	The request is Postfix's, from a socket only Postfix may reach,
 *	and still checked: ROUTE_REQUEST_MAX bytes, no NUL or control
 *	byte in the name or key.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "route_request.h"

size_t
route_request_end(
    const char *data, size_t length, char *error, size_t error_size)
{
	size_t size = 0, digits = 0;

	while (digits < length && data[digits] >= '0' && data[digits] <= '9') {
		size = size * 10 + (size_t)(data[digits] - '0');
		if (++digits > 4 || size > ROUTE_REQUEST_MAX) {
			snprintf(error, error_size, "a netstring over %d bytes",
			    ROUTE_REQUEST_MAX);
			return SIZE_MAX;
		}
	}
	if (digits == length)
		return 0;
	if (digits == 0 || data[digits] != ':' ||
	    (digits > 1 && data[0] == '0')) {
		snprintf(error, error_size, "not a netstring");
		return SIZE_MAX;
	}
	if (length < digits + 1 + size + 1)
		return 0;
	if (data[digits + 1 + size] != ',') {
		snprintf(error, error_size, "a netstring without its \",\"");
		return SIZE_MAX;
	}
	return digits + 1 + size + 1;
}

bool
route_request_parse(char *data, size_t length, struct route_request *request,
    char *error, size_t error_size)
{
	char *payload = memchr(data, ':', length);
	char *end = data + length - 1; /* the "," */
	char *space;

	if (payload == NULL || length < 2 || *end != ',') {
		snprintf(error, error_size, "not a netstring");
		return false;
	}
	payload++;
	for (char *p = payload; p < end; p++)
		if ((unsigned char)*p < 32 || *p == 127) {
			snprintf(error, error_size,
			    "a control character in a lookup");
			return false;
		}
	space = memchr(payload, ' ', (size_t)(end - payload));
	if (space == NULL || space == payload) {
		snprintf(error, error_size, "a lookup without a table name");
		return false;
	}
	*space = '\0';
	*end = '\0';
	request->name = payload;
	request->key = space + 1;
	request->key_length = (size_t)(end - (space + 1));
	return true;
}

void
route_reply_append(struct buffer *out, const char *status, const char *data)
{
	size_t status_length = strlen(status), data_length = strlen(data);

	buffer_printf(out, "%zu:", status_length + 1 + data_length);
	buffer_append(out, status, status_length);
	buffer_append_char(out, ' ');
	buffer_append(out, data, data_length);
	buffer_append_char(out, ',');
}
