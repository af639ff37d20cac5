/*
 * policy_server.h - Postfix's policy connections, on the event loop
 */
#ifndef WAYPOST_POLICY_SERVER_H
#define WAYPOST_POLICY_SERVER_H

#include <event2/event.h>

#define POLICY_IDLE_TIMEOUT_SECONDS 600
/* Connections beyond this many, or beyond what the file limit allows,
 * are closed on arrival, with a log line (every smtpd process holds one
 * connection: Postfix's default_process_limit is 100 per service). */
#define POLICY_CONNECTIONS_MAX 4096

struct policy_server;

struct policy_server *policy_server_start(
    struct event_base *base, int listen_fd, char *error, size_t error_size);
void policy_server_stop(struct policy_server *server);

#endif
