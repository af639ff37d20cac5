/*
 * metrics_http.h - the HTTP endpoint of the metrics (metrics_http.c)
 */
#ifndef WAYPOST_METRICS_HTTP_H
#define WAYPOST_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "socket_spec.h"

#define METRICS_ALLOW_DEFAULT "127.0.0.0/8, ::1/128"

struct metrics_http;

bool metrics_http_check(const struct socket_spec *spec, bool allow_set,
    const char *section, char *error, size_t error_size);
int metrics_http_bind(
    const struct socket_spec *spec, char *error, size_t error_size);
struct metrics_http *metrics_http_start(
    int fd, const struct cidr_list *allow, char *error, size_t error_size);
void metrics_http_stop(struct metrics_http *http);

#endif
