/*
 * file_limit.h - how many connections the file descriptor limit allows
 */
#ifndef WAYPOST_FILE_LIMIT_H
#define WAYPOST_FILE_LIMIT_H

#include <stddef.h>

/* Descriptors kept for everything but connections: logs, key and
 * configuration files, Redis, the listening socket. */
#define FILE_LIMIT_RESERVED 64

size_t file_limit_connections(size_t wanted);

#endif
