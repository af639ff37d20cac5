/*
 * NAME
 *	request_server - a daemon's client connections, one request after
 *	another, on the event loop
 * SYNOPSIS
 *	#include "request_server.h"
 *
 *	struct request_server *request_server_start(base, listen_fd,
 *		protocol, error, error_size)
 *	void request_server_stop(server)
 *	void request_server_answer(connection, answer, length)
 * DESCRIPTION
 *	Postfix keeps a connection to a policy service or a socketmap
 *	table per process, and sends requests on it one after the other.
 *	All of them are served by one libevent loop, no thread per
 *	connection. The protocol (struct request_protocol) says where a
 *	request ends and answers it, at once or later
 *	(request_server_answer(), once Redis has answered). While a
 *	request waits, what the client sends meanwhile waits in the
 *	connection's buffer and is answered in order after.
 *
 *	The I/O is plain read() and send() on a persistent read event, not
 *	a bufferevent: measured with strace, a bufferevent asked the kernel
 *	for the bytes waiting (FIONREAD) before each read, and added and
 *	removed a write event for each answer (two epoll_ctl() calls), for
 *	answers that fit the socket at once. Here an answer is sent at
 *	once; only what the socket does not take waits for a write event.
 *	Reading stops only while a full buffer waits for an answer, or
 *	while an answer waits for the client to read it (Postfix always
 *	reads it before its next request; a client that sends requests
 *	without reading the answers waits for them, and the answers it
 *	has not read do not pile up here).
 *
 *	A request over the protocol's request_max bytes, or one the
 *	protocol refuses, closes the connection with a log line; Postfix
 *	then applies its default (a policy service's default action, a
 *	table's lookup error). A connection silent for idle_seconds, or
 *	that reads no answer for as long, is closed (Postfix reconnects).
 *
 *	Connections: at most connections_max, fewer when the file limit
 *	cannot be raised that far (lib/file_limit.c); one more is closed
 *	on arrival, with at most one log line a second. Should accept(2)
 *	still run out of descriptors (EMFILE, ENFILE), the listener
 *	pauses, with one log line, until a connection closes or a second
 *	has passed: accepting in a loop would spin, and log each turn.
 *
 *	request_server_stop() closes the listener and every connection; an
 *	answer still on its way is dropped with it (the protocol's close).
 * SECURITY
 *	Bounds: at most request_max + 1 bytes of requests buffered per
 *	connection beyond what was answered, and one answer not yet taken
 *	by the socket; connections_max connections, or as many as the
 *	file limit allows.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>

#include "file_limit.h"
#include "log.h"
#include "request_server.h"
#include "text_escape.h"
#include "xmalloc.h"

#define READ_CHUNK 4096

static const struct timeval pause_time = {1, 0};

struct request_connection {
	struct request_server *server;
	int fd;
	void *session;
	struct event *readable; /* persistent, with the idle timeout */
	struct event *writable; /* added while output waits */
	struct buffer in;       /* unanswered input, from in_start */
	size_t in_start;
	size_t looked;     /* bytes from in_start seen to hold no request end */
	struct buffer out; /* answers the socket has not taken, from out_done */
	size_t out_done;
	struct buffer answer; /* a request's answer, made by the protocol */
	bool pending;         /* a request waits for its answer */
	struct request_connection *previous, *next;
};

struct request_server {
	struct event_base *base;
	const struct request_protocol *protocol;
	struct timeval idle_timeout;
	size_t input_max; /* a whole request, and a byte to tell one too long */
	struct evconnlistener *listener;
	struct request_connection *connections;
	size_t connection_count, connection_limit;
	bool paused;          /* accept(2) ran out of descriptors */
	struct event *resume; /* a timer: try accepting again */
	time_t last_refusal;  /* of the last refusal logged */
};

static void serve(struct request_connection *connection);
static void accept_resume(struct request_server *server);

static void
connection_close(struct request_connection *connection)
{
	struct request_server *server = connection->server;

	server->protocol->close(connection->session);
	if (connection->previous != NULL)
		connection->previous->next = connection->next;
	else
		server->connections = connection->next;
	if (connection->next != NULL)
		connection->next->previous = connection->previous;
	event_free(connection->readable);
	event_free(connection->writable);
	close(connection->fd);
	buffer_free(&connection->in);
	buffer_free(&connection->out);
	buffer_free(&connection->answer);
	free(connection);
	server->connection_count--;
	accept_resume(server); /* a descriptor is free */
}

static void
set_reading(struct request_connection *connection, bool on)
{
	if (on == (event_pending(connection->readable, EV_READ, NULL) != 0))
		return;
	if (on)
		event_add(
		    connection->readable, &connection->server->idle_timeout);
	else
		event_del(connection->readable);
}

static bool
output_waits(const struct request_connection *connection)
{
	return connection->out.length > connection->out_done;
}

/* Sent at once, since the client waits for it. What the socket does not
 * take waits for the write event. A socket that fails is left to the
 * read event, which sees the end of the connection and closes it. */
static void
write_answer(
    struct request_connection *connection, const char *answer, size_t length)
{
	ssize_t sent = 0;

	if (!output_waits(connection)) {
		sent = send(connection->fd, answer, length, MSG_NOSIGNAL);
		if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return;
		if (sent < 0)
			sent = 0;
	}
	if ((size_t)sent == length)
		return;
	buffer_append(&connection->out, answer + sent, length - (size_t)sent);
	event_add(connection->writable, &connection->server->idle_timeout);
}

static void
on_writable(evutil_socket_t fd, short what, void *context)
{
	struct request_connection *connection = context;
	struct buffer *out = &connection->out;
	ssize_t sent;

	if (what & EV_TIMEOUT) {
		connection_close(connection);
		return;
	}
	sent = send(fd, out->data + connection->out_done,
	    out->length - connection->out_done, MSG_NOSIGNAL);
	if (sent < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (sent < 0) {
		connection_close(connection);
		return;
	}
	connection->out_done += (size_t)sent;
	if (connection->out_done == out->length) {
		buffer_reset(out);
		connection->out_done = 0;
		event_del(connection->writable);
		serve(connection);
	}
}

void
request_server_answer(
    struct request_connection *connection, const char *answer, size_t length)
{
	connection->pending = false;
	write_answer(connection, answer, length);
	serve(connection);
}

/* The answered requests out of the input buffer. */
static void
input_compact(struct request_connection *connection)
{
	struct buffer *in = &connection->in;
	size_t left = in->length - connection->in_start;

	if (connection->in_start == 0)
		return;
	memmove(in->data, in->data + connection->in_start, left);
	in->length = left;
	in->data[left] = '\0';
	connection->in_start = 0;
}

static void
refuse_request(struct request_connection *connection, const char *why)
{
	char shown[512];

	text_escape(shown, sizeof(shown), why, strlen(why));
	log_warning("closing a %s connection: %s",
	    connection->server->protocol->name, shown);
	connection_close(connection);
}

/* Answer the complete requests in the buffer, until one waits or the
 * client has an answer to read. */
static void
serve(struct request_connection *connection)
{
	const struct request_protocol *protocol = connection->server->protocol;
	struct buffer *in = &connection->in;
	char error[256];

	while (!connection->pending && !output_waits(connection)) {
		size_t available = in->length - connection->in_start;
		char *data = in->data + connection->in_start;
		size_t end = 0;
		enum request_outcome outcome;
		char saved;

		if (available > 0)
			end = protocol->request_end(data, available,
			    connection->looked, error, sizeof(error));
		if (end == SIZE_MAX) {
			refuse_request(connection, error);
			return;
		}
		if (end == 0) {
			connection->looked = available;
			if (available >= protocol->request_max) {
				snprintf(error, sizeof(error),
				    "a request over %zu bytes",
				    protocol->request_max);
				refuse_request(connection, error);
				return;
			}
			break;
		}
		connection->looked = 0;
		/* Handled where it lies: the protocol copies what it keeps,
		 * and the request is passed over after it. */
		saved = data[end];
		data[end] = '\0';
		buffer_reset(&connection->answer);
		outcome = protocol->handle(connection->session, connection,
		    data, end, &connection->answer, error, sizeof(error));
		data[end] = saved;
		if (outcome == REQUEST_REFUSED) {
			refuse_request(connection, error);
			return;
		}
		connection->in_start += end;
		connection->pending = outcome == REQUEST_PENDING;
		if (outcome == REQUEST_ANSWERED)
			write_answer(connection, connection->answer.data,
			    connection->answer.length);
	}
	input_compact(connection);
	set_reading(connection, in->length < connection->server->input_max &&
	                            !output_waits(connection));
}

static void
on_readable(evutil_socket_t fd, short what, void *context)
{
	struct request_connection *connection = context;
	size_t room = connection->server->input_max - connection->in.length;
	char chunk[READ_CHUNK];
	ssize_t got;

	if (what & EV_TIMEOUT) {
		connection_close(connection);
		return;
	}
	got = read(fd, chunk, room < sizeof(chunk) ? room : sizeof(chunk));
	if (got < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (got <= 0) {
		connection_close(connection);
		return;
	}
	buffer_append(&connection->in, chunk, (size_t)got);
	serve(connection);
}

/* One connection too many: closed, logged at most once a second. */
static void
refuse(struct request_server *server, evutil_socket_t fd)
{
	time_t now = time(NULL);

	close(fd);
	if (now == server->last_refusal)
		return;
	server->last_refusal = now;
	log_warning("refusing a %s connection: %zu open, the most allowed "
	            "(the program's maximum or the file limit)",
	    server->protocol->name, server->connection_count);
}

static void
accept_resume(struct request_server *server)
{
	if (server->paused)
		evconnlistener_enable(server->listener);
}

static void
on_resume_time(evutil_socket_t fd, short what, void *context)
{
	(void)fd;
	(void)what;
	accept_resume(context);
}

/* accept(2) failed: out of descriptors, pause until one frees (a
 * connection closes) or a second has passed, logged once per pause. */
static void
on_accept_error(struct evconnlistener *listener, void *context)
{
	struct request_server *server = context;
	int error = EVUTIL_SOCKET_ERROR();

	(void)listener;
	if (error != EMFILE && error != ENFILE && error != ENOBUFS &&
	    error != ENOMEM) {
		log_warning("accept: %s", strerror(error));
		return;
	}
	if (!server->paused)
		log_warning("accept: %s: not accepting %s connections until "
		            "one closes (%zu open)",
		    strerror(error), server->protocol->name,
		    server->connection_count);
	server->paused = true;
	evconnlistener_disable(server->listener);
	event_add(server->resume, &pause_time);
}

static void
on_accept(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *address, int length, void *context)
{
	struct request_server *server = context;
	struct request_connection *connection;

	(void)listener;
	(void)address;
	(void)length;
	if (server->paused) {
		server->paused = false;
		event_del(server->resume);
		log_info("accepting %s connections again (%zu open)",
		    server->protocol->name, server->connection_count);
	}
	if (server->connection_count >= server->connection_limit) {
		refuse(server, fd);
		return;
	}
	connection = xcalloc(1, sizeof(*connection));
	server->connection_count++;
	connection->server = server;
	connection->fd = fd;
	connection->session = server->protocol->open();
	connection->readable = event_new(
	    server->base, fd, EV_READ | EV_PERSIST, on_readable, connection);
	connection->writable = event_new(
	    server->base, fd, EV_WRITE | EV_PERSIST, on_writable, connection);
	if (connection->readable == NULL || connection->writable == NULL)
		log_fatal("out of memory");
	connection->next = server->connections;
	if (server->connections != NULL)
		server->connections->previous = connection;
	server->connections = connection;
	set_reading(connection, true);
}

struct request_server *
request_server_start(struct event_base *base, int listen_fd,
    const struct request_protocol *protocol, char *error, size_t error_size)
{
	struct request_server *server = xcalloc(1, sizeof(*server));

	server->base = base;
	server->protocol = protocol;
	server->idle_timeout.tv_sec = protocol->idle_seconds;
	server->input_max = protocol->request_max + 1;
	server->connection_limit =
	    file_limit_connections(protocol->connections_max);
	evutil_make_socket_nonblocking(listen_fd);
	/* Backlog 0: listening already, with lib/'s LISTEN_BACKLOG (-1
	 * would make libevent listen again with its own 128). */
	server->listener = evconnlistener_new(
	    base, on_accept, server, LEV_OPT_CLOSE_ON_FREE, 0, listen_fd);
	server->resume = evtimer_new(base, on_resume_time, server);
	if (server->listener == NULL || server->resume == NULL) {
		snprintf(error, error_size, "cannot listen on the socket");
		request_server_stop(server);
		return NULL;
	}
	evconnlistener_set_error_cb(server->listener, on_accept_error);
	log_info("serving up to %zu %s connections", server->connection_limit,
	    protocol->name);
	return server;
}

void
request_server_stop(struct request_server *server)
{
	if (server == NULL)
		return;
	if (server->listener != NULL)
		evconnlistener_free(server->listener);
	server->listener = NULL;
	server->paused = false;
	while (server->connections != NULL)
		connection_close(server->connections);
	if (server->resume != NULL)
		event_free(server->resume);
	free(server);
}
