/*
 * socket_connect.h - connect to a unix:, inet: or inet6: socket spec
 */
#ifndef WAYPOST_SOCKET_CONNECT_H
#define WAYPOST_SOCKET_CONNECT_H

#include <stddef.h>

#include "socket_spec.h"

int socket_spec_connect(
    const struct socket_spec *spec, char *error, size_t error_size);

#endif
