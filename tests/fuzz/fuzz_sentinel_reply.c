/*
 * fuzz_sentinel_reply.c - fuzz target: what sentinels say, as read
 *
 * The input is any bytes, read two ways (lib/sentinel_reply.c), each
 * from an exact-size copy so a read past its end is a sanitizer report:
 * as a +switch-master message's text, and split at its first newline
 * into the two strings of a SENTINEL get-master-addr-by-name reply, and
 * split at every newline into the field names and values of a SENTINEL
 * MASTER reply (its address and config-epoch).
 * Checks: an address taken is TCP, with a host of at most
 * SOCKET_HOST_MAX characters and no NUL, and a port of 1 to 65535; a
 * message taken names the master "waypost" (after any spaces); a reply refused says why,
 * within its buffer; the same input gives the same answer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sentinel_reply.h"

static void
check_address(const struct socket_spec *address)
{
	size_t length = strnlen(address->host, sizeof(address->host));

	if (address->kind != SOCKET_INET && address->kind != SOCKET_INET6)
		__builtin_trap();
	if (length == 0 || length > SOCKET_HOST_MAX)
		__builtin_trap();
	if (address->port < 1 || address->port > 65535)
		__builtin_trap();
}

static void
check_message(const char *data, size_t size)
{
	struct socket_spec master, again;
	bool taken = sentinel_switch_parse(data, size, "waypost", &master);
	size_t at = 0;

	if (!taken)
		return;
	check_address(&master);
	while (at < size && data[at] == ' ')
		at++;
	if (size - at < 8 || memcmp(data + at, "waypost ", 8) != 0)
		__builtin_trap();
	if (!sentinel_switch_parse(data, size, "waypost", &again) ||
	    !sentinel_same_address(&master, &again))
		__builtin_trap();
}

static void
check_reply(const char *data, size_t size)
{
	const char *newline = memchr(data, '\n', size);
	size_t host_length = newline ? (size_t)(newline - data) : size;
	size_t port_length = newline ? size - host_length - 1 : 0;
	char *host = malloc(host_length + 1), *port = malloc(port_length + 1);
	redisReply strings[2], *elements[2] = {&strings[0], &strings[1]};
	redisReply array;
	struct socket_spec master;
	char why[64];

	memcpy(host, data, host_length);
	host[host_length] = '\0';
	if (port_length > 0)
		memcpy(port, newline + 1, port_length);
	port[port_length] = '\0';
	memset(strings, 0, sizeof(strings));
	memset(&array, 0, sizeof(array));
	strings[0].type = strings[1].type = REDIS_REPLY_STRING;
	strings[0].str = host;
	strings[0].len = host_length;
	strings[1].str = port;
	strings[1].len = port_length;
	array.type = REDIS_REPLY_ARRAY;
	array.elements = 2;
	array.element = elements;
	memset(why, 'x', sizeof(why));
	if (sentinel_reply_master(&array, &master, why, sizeof(why)))
		check_address(&master);
	else if (strnlen(why, sizeof(why)) >= sizeof(why) || why[0] == '\0')
		__builtin_trap();
	free(host);
	free(port);
}

/* SENTINEL MASTER's reply: the input's lines, at most 16, as the array
 * of field names and values; each string an exact-size copy. */
static void
check_state(const char *data, size_t size)
{
	redisReply strings[16], *elements[16], array;
	char *copies[16];
	size_t count = 0, at = 0;
	struct socket_spec master;
	long long epoch = -1;
	char why[64];

	while (count < 16 && at <= size) {
		const char *newline = memchr(data + at, '\n', size - at);
		size_t length =
		    newline ? (size_t)(newline - data - at) : size - at;

		copies[count] = malloc(length + 1);
		memcpy(copies[count], data + at, length);
		copies[count][length] = '\0';
		memset(&strings[count], 0, sizeof(strings[count]));
		strings[count].type = REDIS_REPLY_STRING;
		strings[count].str = copies[count];
		strings[count].len = length;
		elements[count] = &strings[count];
		count++;
		if (newline == NULL)
			break;
		at += length + 1;
	}
	memset(&array, 0, sizeof(array));
	array.type = REDIS_REPLY_ARRAY;
	array.elements = count;
	array.element = elements;
	memset(why, 'x', sizeof(why));
	if (sentinel_reply_master_state(
	        &array, &master, &epoch, why, sizeof(why))) {
		check_address(&master);
		if (epoch < 0 || epoch > 999999999999999999LL)
			__builtin_trap();
	} else if (strnlen(why, sizeof(why)) >= sizeof(why) || why[0] == '\0')
		__builtin_trap();
	for (size_t i = 0; i < count; i++)
		free(copies[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1);

	if (size > 0)
		memcpy(copy, data, size);
	check_message(copy, size);
	check_reply(copy, size);
	check_state(copy, size);
	free(copy);
	return 0;
}
