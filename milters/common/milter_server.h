/*
 * milter_server.h - serve a milter filter on a listening socket
 */
#ifndef WAYPOST_MILTER_SERVER_H
#define WAYPOST_MILTER_SERVER_H

#include <stddef.h>

#include "milter_engine.h"

/* An MTA connection with no packet for this long is closed (Postfix
 * keeps one open for a whole SMTP session; smtpd's timeout is 300 s). */
#define MILTER_IDLE_TIMEOUT_SECONDS 600
/* Connections beyond this many are closed on arrival, with a log line. */
#define MILTER_CONNECTIONS_MAX 4096
#define MILTER_WORKERS_MAX     64

struct milter_server;

struct milter_server *milter_server_start(const struct milter_filter *filter,
    int listen_fd, unsigned workers, char *error, size_t error_size);
void milter_server_stop(struct milter_server *server);

#endif
