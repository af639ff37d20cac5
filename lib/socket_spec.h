/*
 * socket_spec.h - milter-style socket addresses: unix:, inet:, inet6:
 */
#ifndef WAYPOST_SOCKET_SPEC_H
#define WAYPOST_SOCKET_SPEC_H

#include <stdbool.h>
#include <stddef.h>

/* sun_path holds 108 bytes on Linux, the NUL included. */
#define SOCKET_PATH_MAX      107
#define SOCKET_HOST_MAX      253
#define SOCKET_SPEC_TEXT_MAX (SOCKET_HOST_MAX + 16)

enum socket_kind {
	SOCKET_NONE,
	SOCKET_UNIX,
	SOCKET_INET,
	SOCKET_INET6,
};

struct socket_spec {
	enum socket_kind kind;
	unsigned port;
	char path[SOCKET_PATH_MAX + 1];
	char host[SOCKET_HOST_MAX + 1];
};

bool socket_spec_parse(
    const char *text, struct socket_spec *spec, char *error, size_t error_size);
bool socket_spec_parse_address(
    const char *text, struct socket_spec *spec, char *error, size_t error_size);
void socket_spec_format(
    const struct socket_spec *spec, char *out, size_t out_size);
void socket_spec_format_address(
    const struct socket_spec *spec, char *out, size_t out_size);

#endif
