/*
 * NAME
 *	policy_server - Postfix's policy connections, on the event loop
 * SYNOPSIS
 *	#include "policy_server.h"
 *
 *	struct policy_server *policy_server_start(base, listen_fd, error,
 *		error_size)
 *	void policy_server_stop(server)
 * DESCRIPTION
 *	Every smtpd process keeps a connection to the policy service and
 *	sends requests on it one after the other. All of them are served
 *	by one libevent loop: a bufferevent per connection, no thread per
 *	connection. Each request, once its empty line has arrived, is
 *	parsed (policy_request.c) and answered (policy_decide.c) with
 *	"action=...", then an empty line, written at once. While a request waits
 *for Redis, what the client sends meanwhile waits in its buffer (bounded by the
 *	read watermark) and is answered in order after; reading is not
 *	switched off and on for each request, which would cost two
 *	epoll_ctl() calls each.
 *
 *	A request over POLICY_REQUEST_MAX bytes, or one the parser
 *	refuses, closes the connection with a log line; Postfix then
 *	applies smtpd_policy_service_default_action. A connection silent
 *	for POLICY_IDLE_TIMEOUT_SECONDS is closed (Postfix reconnects).
 *
 *	policy_server_stop() closes the listener and every connection; an
 *	answer still on its way from Redis is dropped with it.
 * SECURITY
 *	Bounds: one request of at most POLICY_REQUEST_MAX bytes buffered
 *	per connection beyond what was answered; connections as many as
 *	the file limit allows (accept fails beyond, logged by libevent).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "log.h"
#include "policy_decide.h"
#include "policy_request.h"
#include "policy_server.h"
#include "text_escape.h"
#include "xmalloc.h"

struct connection {
	struct policy_server *server;
	struct bufferevent *events;
	struct decision *pending;
	size_t looked; /* bytes of the input seen to hold no request end */
	struct recipient_domains recipients; /* of the message in progress */
	struct connection *previous, *next;
};

struct policy_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct connection *connections;
};

static void serve(struct connection *connection);

static void
connection_close(struct connection *connection)
{
	struct policy_server *server = connection->server;

	decide_forget(connection->pending);
	if (connection->previous != NULL)
		connection->previous->next = connection->next;
	else
		server->connections = connection->next;
	if (connection->next != NULL)
		connection->next->previous = connection->previous;
	bufferevent_free(connection->events);
	recipient_domains_free(&connection->recipients);
	free(connection);
}

/* Written at once, since the client waits for it: a write event added
 * and removed per answer would cost two epoll_ctl() calls. What the socket
 * does not take now, the bufferevent writes when it can. */
static void
write_answer(struct connection *connection, const char *action)
{
	struct evbuffer *output = bufferevent_get_output(connection->events);

	evbuffer_add_printf(output, "action=%s\n\n", action);
	if (!(bufferevent_get_enabled(connection->events) & EV_WRITE) &&
	    (evbuffer_write(output, bufferevent_getfd(connection->events)) <
	            0 ||
	        evbuffer_get_length(output) > 0))
		bufferevent_enable(connection->events, EV_WRITE);
}

/* Redis answered: write it, then serve what the client sent since. */
static void
answered(void *context, const char *action)
{
	struct connection *connection = context;

	connection->pending = NULL;
	write_answer(connection, action);
	serve(connection);
}

/* Answer the complete requests in the buffer, until one waits. */
static void
serve(struct connection *connection)
{
	struct evbuffer *input = bufferevent_get_input(connection->events);
	struct policy_request request;
	char action[POLICY_ACTION_MAX], error[256];

	while (connection->pending == NULL) {
		size_t available = evbuffer_get_length(input);
		size_t look = available > POLICY_REQUEST_MAX
		                  ? POLICY_REQUEST_MAX
		                  : available;
		char *data = (char *)evbuffer_pullup(input, (ev_ssize_t)look);
		size_t end = data ? policy_request_end_from(
		                        data, look, connection->looked)
		                  : 0;

		if (end == 0) {
			connection->looked = look;
			if (available >= POLICY_REQUEST_MAX) {
				log_warning("closing a policy connection: a "
				            "request over %d bytes",
				    POLICY_REQUEST_MAX);
				connection_close(connection);
			}
			return;
		}
		connection->looked = 0;
		/* Parsed where it lies: the decision copies what it keeps,
		 * and the request is drained after it. */
		if (!policy_request_parse(
		        data, end, &request, error, sizeof(error))) {
			char shown[512];

			text_escape(shown, sizeof(shown), error, strlen(error));
			log_warning("closing a policy connection: %s", shown);
			connection_close(connection);
			return;
		}
		if (strcmp(
		        policy_request_value(&request, POLICY_PROTOCOL_STATE),
		        "RCPT") == 0)
			recipient_domains_note(
			    &connection->recipients, &request);
		connection->pending = decide(&request,
		    recipient_domains_of(&connection->recipients, &request),
		    answered, connection, action, sizeof(action));
		evbuffer_drain(input, end);
		if (connection->pending == NULL)
			write_answer(connection, action);
	}
}

static void
on_read(struct bufferevent *events, void *context)
{
	(void)events;
	serve(context);
}

static void
on_event(struct bufferevent *events, short what, void *context)
{
	(void)events;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		connection_close(context);
}

static void
on_accept(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *address, int length, void *context)
{
	struct policy_server *server = context;
	struct connection *connection = xcalloc(1, sizeof(*connection));
	struct timeval idle = {POLICY_IDLE_TIMEOUT_SECONDS, 0};

	(void)listener;
	(void)address;
	(void)length;
	connection->server = server;
	connection->events =
	    bufferevent_socket_new(server->base, fd, BEV_OPT_CLOSE_ON_FREE);
	connection->next = server->connections;
	if (server->connections != NULL)
		server->connections->previous = connection;
	server->connections = connection;
	bufferevent_setcb(
	    connection->events, on_read, NULL, on_event, connection);
	bufferevent_set_timeouts(connection->events, &idle, NULL);
	bufferevent_setwatermark(
	    connection->events, EV_READ, 0, POLICY_REQUEST_MAX + 1);
	bufferevent_enable(connection->events, EV_READ);
}

struct policy_server *
policy_server_start(
    struct event_base *base, int listen_fd, char *error, size_t error_size)
{
	struct policy_server *server = xcalloc(1, sizeof(*server));

	server->base = base;
	evutil_make_socket_nonblocking(listen_fd);
	server->listener = evconnlistener_new(
	    base, on_accept, server, LEV_OPT_CLOSE_ON_FREE, -1, listen_fd);
	if (server->listener == NULL) {
		snprintf(error, error_size, "cannot listen on the socket");
		free(server);
		return NULL;
	}
	return server;
}

void
policy_server_stop(struct policy_server *server)
{
	if (server == NULL)
		return;
	evconnlistener_free(server->listener);
	while (server->connections != NULL)
		connection_close(server->connections);
	free(server);
}
