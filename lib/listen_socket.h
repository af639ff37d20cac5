/*
 * listen_socket.h - bind a daemon's listening socket, set its permissions
 */
#ifndef WAYPOST_LISTEN_SOCKET_H
#define WAYPOST_LISTEN_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

#include "socket_spec.h"

#define LISTEN_BACKLOG 1024

int listen_socket_open(const struct socket_spec *spec, unsigned mode,
    const char *group, char *error, size_t error_size);
bool listen_socket_set_permissions(const char *path, unsigned mode,
    const char *group, char *error, size_t error_size);
bool listen_socket_remove_stale(
    const char *path, char *error, size_t error_size);

#endif
