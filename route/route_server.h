/*
 * route_server.h - Postfix's socketmap connections to waypost-routed
 */
#ifndef WAYPOST_ROUTE_SERVER_H
#define WAYPOST_ROUTE_SERVER_H

#include "request_server.h"

#define ROUTE_IDLE_TIMEOUT_SECONDS 600
#define ROUTE_CONNECTIONS_MAX      1024
#define ROUTE_TABLE_ROUTE          "route" /* transport_maps: recipients */
#define ROUTE_TABLE_SENDER         "sender" /* the sender-dependent map: senders */

extern const struct request_protocol route_protocol;

#endif
