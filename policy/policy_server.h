/*
 * policy_server.h - Postfix's policy connections, on the event loop
 */
#ifndef WAYPOST_POLICY_SERVER_H
#define WAYPOST_POLICY_SERVER_H

#include <event2/event.h>

#define POLICY_IDLE_TIMEOUT_SECONDS 600

struct policy_server;

struct policy_server *policy_server_start(
    struct event_base *base, int listen_fd, char *error, size_t error_size);
void policy_server_stop(struct policy_server *server);

#endif
