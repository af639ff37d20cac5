/*
 * policy_server.h - Postfix's policy connections, on the event loop
 */
#ifndef WAYPOST_POLICY_SERVER_H
#define WAYPOST_POLICY_SERVER_H

#include "request_server.h"

#define POLICY_IDLE_TIMEOUT_SECONDS 600
#define POLICY_CONNECTIONS_MAX      4096

extern const struct request_protocol policy_protocol;

#endif
