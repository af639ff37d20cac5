/*
 * NAME
 *	route_server - Postfix's socketmap connections to waypost-routed
 * SYNOPSIS
 *	#include "route_server.h"
 *
 *	const struct request_protocol route_protocol
 * DESCRIPTION
 *	The socketmap(5) protocol on lib/request_server.c: each request a
 *	netstring "TABLE KEY" (route_request.c), each answer a netstring.
 *	Two tables:
 *
 *	route	transport_maps of the trivial-rewrite that only qmgr
 *		asks: KEY is a recipient, answered by route_decide.c.
 *	sender	sender_dependent_default_transport_maps of the same
 *		trivial-rewrite: KEY is the message's sender, always
 *		answered NOTFOUND, and kept as the connection's sender.
 *
 *	Postfix's transport_maps carry no sender, and a pool serves some
 *	tenants only. trivial-rewrite (resolve.c) looks the sender up in
 *	its sender-dependent map before it looks the recipient up in
 *	transport_maps, for every recipient it resolves, on the one
 *	connection its process keeps to this socket, and waits for each
 *	answer: so the sender a connection sent last is the sender of the
 *	recipient it asks about next. Keys that start with "@" (the domain
 *	probes of the sender's map) leave it as it is. A connection that
 *	sent no sender gets the pool of tenant "*".
 *
 *	Any other table is refused with PERM. A request over
 *	ROUTE_REQUEST_MAX bytes, or one that is not a netstring, closes
 *	the connection with a log line; Postfix then logs a lookup error
 *	and defers the recipient.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_decide.h"
#include "route_request.h"
#include "route_server.h"
#include "xmalloc.h"

struct session {
	struct request_connection *connection;
	struct route_call *pending;
	char sender[ROUTE_REQUEST_MAX + 1]; /* "": none yet */
};

static void *
session_open(void)
{
	return xcalloc(1, sizeof(struct session));
}

static void
session_close(void *context)
{
	struct session *session = context;

	route_decide_forget(session->pending);
	free(session);
}

static void
answered(void *context, const struct buffer *reply)
{
	struct session *session = context;

	session->pending = NULL;
	request_server_answer(session->connection, reply->data, reply->length);
}

static size_t
request_end(const char *data, size_t length, size_t looked, char *error,
    size_t error_size)
{
	(void)looked;
	return route_request_end(data, length, error, error_size);
}

static enum request_outcome
handle(void *context, struct request_connection *connection, char *data,
    size_t length, struct buffer *answer, char *error, size_t error_size)
{
	struct session *session = context;
	struct route_request request;
	char reason[128];

	if (!route_request_parse(data, length, &request, error, error_size))
		return REQUEST_REFUSED;
	if (strcmp(request.name, ROUTE_TABLE_SENDER) == 0) {
		if (request.key[0] != '@')
			snprintf(session->sender, sizeof(session->sender), "%s",
			    request.key);
		route_reply_append(answer, "NOTFOUND", "");
		return REQUEST_ANSWERED;
	}
	if (strcmp(request.name, ROUTE_TABLE_ROUTE) != 0) {
		snprintf(reason, sizeof(reason),
		    "no table \"%.40s\" (%s or %s)", request.name,
		    ROUTE_TABLE_ROUTE, ROUTE_TABLE_SENDER);
		route_reply_append(answer, "PERM", reason);
		return REQUEST_ANSWERED;
	}
	session->connection = connection;
	session->pending =
	    route_decide(session->sender[0] != '\0' ? session->sender : NULL,
	        request.key, answered, session, answer);
	return session->pending != NULL ? REQUEST_PENDING : REQUEST_ANSWERED;
}

const struct request_protocol route_protocol = {
    .name = "socketmap",
    .request_max = ROUTE_NETSTRING_MAX,
    .connections_max = ROUTE_CONNECTIONS_MAX,
    .idle_seconds = ROUTE_IDLE_TIMEOUT_SECONDS,
    .request_end = request_end,
    .open = session_open,
    .close = session_close,
    .handle = handle,
};
