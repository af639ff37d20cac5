/*
 * milter_packet.h - the milter protocol's wire format, for both sides
 *
 * A packet is a 4-byte length in network order (the command byte and the
 * data), the command byte, then the data. Numbers inside the data are
 * 4 bytes in network order too. Used by the filter side (milter_engine.c)
 * and the MTA side (milters/client) alike.
 */
#ifndef WAYPOST_MILTER_PACKET_H
#define WAYPOST_MILTER_PACKET_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "buffer.h"

static inline void
milter_put_u32(struct buffer *out, uint32_t value)
{
	uint32_t net = htonl(value);

	buffer_append(out, &net, 4);
}

static inline uint32_t
milter_get_u32(const void *data)
{
	uint32_t net;

	memcpy(&net, data, 4);
	return ntohl(net);
}

/* Append one packet: length, command, data. */
static inline void
milter_packet_append(
    struct buffer *out, char command, const void *data, size_t length)
{
	milter_put_u32(out, (uint32_t)length + 1);
	buffer_append_char(out, command);
	if (length > 0)
		buffer_append(out, data, length);
}

#endif
