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
 *	by one libevent loop, no thread per connection. Each request, once
 *	its empty line has arrived, is parsed (policy_request.c) and
 *	answered (policy_decide.c) with "action=...", then an empty line.
 *	While a request waits for Redis, what the client sends meanwhile
 *	waits in the connection's buffer and is answered in order after.
 *
 *	The I/O is plain read() and send() on a persistent read event, not
 *	a bufferevent: measured with strace, a bufferevent asked the kernel
 *	for the bytes waiting (FIONREAD) before each read, and added and
 *	removed a write event for each answer (two epoll_ctl() calls), for
 *	answers that fit the socket at once. Here an answer is sent at
 *	once; only what the socket does not take waits for a write event.
 *	Reading stops only while a full buffer waits for Redis, or while
 *	an answer waits for the client to read it (Postfix always reads
 *	it before its next request; a client that sends requests without
 *	reading the answers waits for them, and the answers it has not
 *	read do not pile up here).
 *
 *	A request over POLICY_REQUEST_MAX bytes, or one the parser
 *	refuses, closes the connection with a log line; Postfix then
 *	applies smtpd_policy_service_default_action. A connection silent
 *	for POLICY_IDLE_TIMEOUT_SECONDS, or that reads no answer for as long,
 *	is closed (Postfix reconnects).
 *
 *	Connections: at most POLICY_CONNECTIONS_MAX, fewer when the file
 *	limit cannot be raised that far (lib/file_limit.c); one more is
 *	closed on arrival, with at most one log line a second. Should
 *	accept(2) still run out of descriptors (EMFILE, ENFILE), the
 *	listener pauses, with one log line, until a connection closes or a
 *	second has passed: accepting in a loop would spin, and log each
 *	turn.
 *
 *	policy_server_stop() closes the listener and every connection; an
 *	answer still on its way from Redis is dropped with it.
 * SECURITY
 *	Bounds: at most POLICY_REQUEST_MAX + 1 bytes of requests buffered
 *	per connection beyond what was answered, and one answer not yet
 *	taken by the socket; POLICY_CONNECTIONS_MAX connections, or as
 *	many as the file limit allows.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>

#include "buffer.h"
#include "file_limit.h"
#include "log.h"
#include "monotonic.h"
#include "policy_decide.h"
#include "policy_metrics.h"
#include "policy_request.h"
#include "policy_server.h"
#include "text_escape.h"
#include "xmalloc.h"

/* Unanswered input kept: one whole request, and a byte to tell one that
 * is too long. */
#define INPUT_MAX  (POLICY_REQUEST_MAX + 1)
#define READ_CHUNK 4096

static const struct timeval idle_timeout = {POLICY_IDLE_TIMEOUT_SECONDS, 0};
static const struct timeval pause_time = {1, 0};

struct connection {
	struct policy_server *server;
	int fd;
	struct event *readable; /* persistent, with the idle timeout */
	struct event *writable; /* added while output waits */
	struct buffer in;       /* unanswered input, from in_start */
	size_t in_start;
	size_t looked;     /* bytes from in_start seen to hold no request end */
	struct buffer out; /* answers the socket has not taken, from out_done */
	size_t out_done;
	struct decision *pending;
	struct recipient_domains recipients; /* of the message in progress */
	double asked_ms;         /* when the request being answered was read */
	enum policy_state stage; /* its stage, for the metrics */
	struct connection *previous, *next;
};

struct policy_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct connection *connections;
	size_t connection_count, connection_limit;
	bool paused;          /* accept(2) ran out of descriptors */
	struct event *resume; /* a timer: try accepting again */
	time_t last_refusal;  /* of the last refusal logged */
};

static void serve(struct connection *connection);
static void accept_resume(struct policy_server *server);

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
	event_free(connection->readable);
	event_free(connection->writable);
	close(connection->fd);
	buffer_free(&connection->in);
	buffer_free(&connection->out);
	recipient_domains_free(&connection->recipients);
	free(connection);
	server->connection_count--;
	policy_metrics_connection(false);
	accept_resume(server); /* a descriptor is free */
}

static void
set_reading(struct connection *connection, bool on)
{
	if (on == (event_pending(connection->readable, EV_READ, NULL) != 0))
		return;
	if (on)
		event_add(connection->readable, &idle_timeout);
	else
		event_del(connection->readable);
}

static bool
output_waits(const struct connection *connection)
{
	return connection->out.length > connection->out_done;
}

/* Sent at once, since the client waits for it. What the socket does not
 * take waits for the write event. A socket that fails is left to the
 * read event, which sees the end of the connection and closes it. */
static void
write_answer(struct connection *connection, const char *action)
{
	static const char prefix[] = "action=";
	char answer[POLICY_ACTION_MAX + 16];
	size_t action_length = strlen(action);
	size_t length = sizeof(prefix) - 1 + action_length + 2;
	ssize_t sent = 0;

	policy_metrics_answered(connection->stage, action,
	    (monotonic_ms_exact() - connection->asked_ms) / 1000.0);
	/* Built with memcpy(), not printf(): this runs for every request. */
	if (length > sizeof(answer))
		log_fatal("policy answer too long: %s", action);
	memcpy(answer, prefix, sizeof(prefix) - 1);
	memcpy(answer + sizeof(prefix) - 1, action, action_length);
	memcpy(answer + length - 2, "\n\n", 2);
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
	event_add(connection->writable, &idle_timeout);
}

static void
on_writable(evutil_socket_t fd, short what, void *context)
{
	struct connection *connection = context;
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

/* Redis answered: write it, then serve what the client sent since. */
static void
answered(void *context, const char *action)
{
	struct connection *connection = context;

	connection->pending = NULL;
	write_answer(connection, action);
	serve(connection);
}

/* The answered requests out of the input buffer. */
static void
input_compact(struct connection *connection)
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

/* Answer the complete requests in the buffer, until one waits for Redis
 * or the client has an answer to read. */
static void
serve(struct connection *connection)
{
	struct buffer *in = &connection->in;
	struct policy_request request;
	char action[POLICY_ACTION_MAX], error[256];

	while (connection->pending == NULL && !output_waits(connection)) {
		size_t available = in->length - connection->in_start;
		char *data = in->data + connection->in_start;
		size_t end = available > 0 ? policy_request_end_from(data,
		                                 available, connection->looked)
		                           : 0;

		if (end == 0) {
			connection->looked = available;
			if (available >= POLICY_REQUEST_MAX) {
				log_warning("closing a policy connection: a "
				            "request over %d bytes",
				    POLICY_REQUEST_MAX);
				connection_close(connection);
				return;
			}
			break;
		}
		connection->looked = 0;
		/* Parsed where it lies: the decision copies what it keeps,
		 * and the request is passed over after it. */
		if (!policy_request_parse(
		        data, end, &request, error, sizeof(error))) {
			char shown[512];

			text_escape(shown, sizeof(shown), error, strlen(error));
			log_warning("closing a policy connection: %s", shown);
			connection_close(connection);
			return;
		}
		connection->asked_ms = monotonic_ms_exact();
		connection->stage = request.state;
		if (request.state == POLICY_STATE_RCPT)
			recipient_domains_note(
			    &connection->recipients, &request);
		connection->pending = decide(&request,
		    recipient_domains_of(&connection->recipients, &request),
		    answered, connection, action, sizeof(action));
		connection->in_start += end;
		if (connection->pending == NULL)
			write_answer(connection, action);
	}
	input_compact(connection);
	set_reading(
	    connection, in->length < INPUT_MAX && !output_waits(connection));
}

static void
on_readable(evutil_socket_t fd, short what, void *context)
{
	struct connection *connection = context;
	size_t room = INPUT_MAX - connection->in.length;
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
refuse(struct policy_server *server, evutil_socket_t fd)
{
	time_t now = time(NULL);

	close(fd);
	if (now == server->last_refusal)
		return;
	server->last_refusal = now;
	log_warning("refusing a policy connection: %zu open, the most "
	            "allowed (POLICY_CONNECTIONS_MAX or the file limit)",
	    server->connection_count);
}

static void
accept_resume(struct policy_server *server)
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
	struct policy_server *server = context;
	int error = EVUTIL_SOCKET_ERROR();

	(void)listener;
	if (error != EMFILE && error != ENFILE && error != ENOBUFS &&
	    error != ENOMEM) {
		log_warning("accept: %s", strerror(error));
		return;
	}
	if (!server->paused)
		log_warning("accept: %s: not accepting policy connections "
		            "until one closes (%zu open)",
		    strerror(error), server->connection_count);
	server->paused = true;
	evconnlistener_disable(server->listener);
	event_add(server->resume, &pause_time);
}

static void
on_accept(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *address, int length, void *context)
{
	struct policy_server *server = context;
	struct connection *connection;

	(void)listener;
	(void)address;
	(void)length;
	if (server->paused) {
		server->paused = false;
		event_del(server->resume);
		log_info("accepting policy connections again (%zu open)",
		    server->connection_count);
	}
	if (server->connection_count >= server->connection_limit) {
		refuse(server, fd);
		return;
	}
	connection = xcalloc(1, sizeof(*connection));
	server->connection_count++;
	policy_metrics_connection(true);
	connection->server = server;
	connection->fd = fd;
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

struct policy_server *
policy_server_start(
    struct event_base *base, int listen_fd, char *error, size_t error_size)
{
	struct policy_server *server = xcalloc(1, sizeof(*server));

	server->base = base;
	server->connection_limit =
	    file_limit_connections(POLICY_CONNECTIONS_MAX);
	evutil_make_socket_nonblocking(listen_fd);
	/* Backlog 0: listening already, with lib/'s LISTEN_BACKLOG (-1
	 * would make libevent listen again with its own 128). */
	server->listener = evconnlistener_new(
	    base, on_accept, server, LEV_OPT_CLOSE_ON_FREE, 0, listen_fd);
	server->resume = evtimer_new(base, on_resume_time, server);
	if (server->listener == NULL || server->resume == NULL) {
		snprintf(error, error_size, "cannot listen on the socket");
		policy_server_stop(server);
		return NULL;
	}
	evconnlistener_set_error_cb(server->listener, on_accept_error);
	log_info(
	    "serving up to %zu policy connections", server->connection_limit);
	return server;
}

void
policy_server_stop(struct policy_server *server)
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
