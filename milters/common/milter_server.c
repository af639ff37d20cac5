/*
 * NAME
 *	milter_server - serve a milter filter on a listening socket
 * SYNOPSIS
 *	#include "milter_server.h"
 *
 *	server = milter_server_start(filter, listen_fd, workers, error,
 *	                             error_size)
 *	milter_server_stop(server)
 * DESCRIPTION
 *	A fixed set of worker threads (workers; 0 means one per online
 *	CPU), each with its own epoll set holding the listening socket
 *	(EPOLLEXCLUSIVE: one worker wakes per new connection, and takes
 *	one) and the MTA connections it accepted, which it alone serves
 *	from then on, so a connection's state needs no lock. A read takes
 *	whatever the MTA has sent, often a whole message's headers at once
 *	since most steps get no reply; milter_engine.c runs the filter on
 *	every whole packet, and the replies go out in one write. The
 *	filter's callbacks run in the worker threads, on several
 *	connections at once.
 *
 *	libmilter, which this replaces, gives every connection a thread
 *	and polls and reads twice per packet: measured with perf on
 *	waypost-dkim, a fifth of the CPU of an RSA-signed 2 KB message.
 *
 *	milter_server_stop() ends every worker after the replies it has
 *	made are written (as far as the socket takes them without
 *	waiting), closes every connection (the filter's close callback
 *	runs), and frees the server. The caller decides beforehand how long
 *	messages in flight may take.
 * SECURITY
 *	Bounds: MILTER_CONNECTIONS_MAX connections, fewer if the file limit
 *	(RLIMIT_NOFILE, raised as far as allowed: lib/file_limit.c) is lower
 *	(more are closed on arrival, logged), a read buffer per connection
 *	of at most one packet (MILTER_PACKET_MAX) beyond what is being
 *	parsed, and MILTER_IDLE_TIMEOUT_SECONDS of silence. A connection
 *	that breaks the protocol is closed with a log line; others go on.
 *
 *	Connections accepted, open, refused and closed for a protocol error
 *	are counted (milter_metrics.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "file_limit.h"
#include "log.h"
#include "milter_metrics.h"
#include "milter_server.h"
#include "xmalloc.h"

/* Room for a 64 KB body chunk (Postfix's size) in one read. */
#define READ_BUFFER_SIZE  (65536 + 64)
#define EVENTS_MAX        64
#define SWEEP_INTERVAL_MS 1000

struct connection {
	int fd;
	struct milter_context *context;
	unsigned char *in;
	size_t in_length, in_capacity;
	size_t out_done; /* bytes of the output already written */
	bool want_write; /* EPOLLOUT registered */
	time_t last_active;
	struct connection *previous, *next;
};

struct worker {
	struct milter_server *server;
	pthread_t thread;
	bool started;
	int epoll_fd;
	int wake_fd; /* eventfd: stop */
	struct connection *connections;
	time_t last_refusal_log;
};

struct milter_server {
	const struct milter_filter *filter;
	int listen_fd;
	unsigned worker_count;
	struct worker *workers;
	size_t connection_limit;
	atomic_size_t connections;
};

static time_t
now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec;
}

static void
connection_close(struct worker *worker, struct connection *connection)
{
	if (connection->previous != NULL)
		connection->previous->next = connection->next;
	else
		worker->connections = connection->next;
	if (connection->next != NULL)
		connection->next->previous = connection->previous;
	milter_context_free(connection->context);
	close(connection->fd); /* leaves the epoll set with it */
	free(connection->in);
	free(connection);
	atomic_fetch_sub(&worker->server->connections, 1);
	milter_metrics_connection_closed();
}

static bool
watch(struct worker *worker, struct connection *connection, int operation)
{
	struct epoll_event event = {
	    .events = EPOLLIN | (connection->want_write ? EPOLLOUT : 0),
	    .data.ptr = connection,
	};

	if (epoll_ctl(worker->epoll_fd, operation, connection->fd, &event) == 0)
		return true;
	log_error("epoll_ctl on an MTA connection: %s", strerror(errno));
	return false;
}

/* Write what the filter answered; false when the connection is broken. */
static bool
flush(struct worker *worker, struct connection *connection)
{
	struct buffer *out = milter_context_output(connection->context);
	bool waiting = connection->want_write;

	while (connection->out_done < out->length) {
		ssize_t wrote =
		    send(connection->fd, out->data + connection->out_done,
		        out->length - connection->out_done, MSG_NOSIGNAL);

		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			connection->want_write = true;
			return waiting ||
			       watch(worker, connection, EPOLL_CTL_MOD);
		}
		if (wrote < 0) {
			log_debug("MTA connection: write: %s", strerror(errno));
			return false;
		}
		connection->out_done += (size_t)wrote;
	}
	buffer_reset(out);
	connection->out_done = 0;
	connection->want_write = false;
	return !waiting || watch(worker, connection, EPOLL_CTL_MOD);
}

/* Run the filter on what was read; false closes the connection. */
static bool
process(struct worker *worker, struct connection *connection)
{
	size_t consumed, wanted;
	enum milter_input status = milter_context_input(connection->context,
	    connection->in, connection->in_length, &consumed, &wanted);

	memmove(connection->in, connection->in + consumed,
	    connection->in_length - consumed);
	connection->in_length -= consumed;
	if (!flush(worker, connection))
		return false;
	if (status == MILTER_INPUT_ERROR) {
		milter_metrics_protocol_error();
		log_warning("closing an MTA connection: %s",
		    milter_context_error(connection->context));
		return false;
	}
	if (status == MILTER_INPUT_QUIT)
		return false;
	if (wanted > connection->in_capacity) {
		connection->in = xreallocarray(connection->in, wanted, 1);
		connection->in_capacity = wanted;
	} else if (connection->in_length == 0 &&
	           connection->in_capacity > READ_BUFFER_SIZE) {
		/* A big packet is done: give its memory back. */
		free(connection->in);
		connection->in = NULL;
		connection->in_capacity = 0;
	}
	return true;
}

static bool
receive(struct worker *worker, struct connection *connection)
{
	ssize_t got;

	if (connection->in == NULL) {
		connection->in = xmalloc(READ_BUFFER_SIZE);
		connection->in_capacity = READ_BUFFER_SIZE;
	}
	got = read(connection->fd, connection->in + connection->in_length,
	    connection->in_capacity - connection->in_length);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (got <= 0) {
		log_debug("MTA connection closed: %s",
		    got == 0 ? "end of file" : strerror(errno));
		return false;
	}
	connection->in_length += (size_t)got;
	connection->last_active = now_seconds();
	return process(worker, connection);
}

static void
connection_event(
    struct worker *worker, struct connection *connection, uint32_t events)
{
	bool ok = true;

	if (events & EPOLLOUT)
		ok = flush(worker, connection);
	if (ok && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		ok = receive(worker, connection);
	if (!ok)
		connection_close(worker, connection);
}

static void
refuse(struct worker *worker, int fd, const char *why)
{
	time_t now = now_seconds();

	close(fd);
	/* At most one line a second per worker: this can come in floods. */
	if (now != worker->last_refusal_log) {
		worker->last_refusal_log = now;
		log_warning("refusing an MTA connection: %s", why);
	}
}

static void
accept_one(struct worker *worker)
{
	struct milter_server *server = worker->server;
	struct connection *connection;
	int fd = accept4(
	    server->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			log_error("accept: %s", strerror(errno));
			poll(NULL, 0, 100); /* the socket stays readable */
		} else if (errno != EAGAIN && errno != EINTR &&
		           errno != ECONNABORTED)
			log_error("accept: %s", strerror(errno));
		return;
	}
	if (atomic_fetch_add(&server->connections, 1) >=
	    server->connection_limit) {
		atomic_fetch_sub(&server->connections, 1);
		milter_metrics_connection_refused();
		refuse(worker, fd, "too many connections");
		return;
	}
	milter_metrics_connection_opened();
	connection = xcalloc(1, sizeof(*connection));
	connection->fd = fd;
	connection->context = milter_context_new(server->filter);
	connection->last_active = now_seconds();
	connection->next = worker->connections;
	if (connection->next != NULL)
		connection->next->previous = connection;
	worker->connections = connection;
	if (!watch(worker, connection, EPOLL_CTL_ADD))
		connection_close(worker, connection);
}

static void
close_idle(struct worker *worker, time_t now)
{
	struct connection *connection = worker->connections, *next;

	for (; connection != NULL; connection = next) {
		next = connection->next;
		if (now - connection->last_active >=
		    MILTER_IDLE_TIMEOUT_SECONDS) {
			log_info("closing an MTA connection idle for %d "
			         "seconds",
			    MILTER_IDLE_TIMEOUT_SECONDS);
			connection_close(worker, connection);
		}
	}
}

static void *
worker_main(void *argument)
{
	struct worker *worker = argument;
	struct epoll_event events[EVENTS_MAX];
	time_t last_sweep = now_seconds();
	bool stopping = false;

	while (!stopping) {
		int count = epoll_wait(
		    worker->epoll_fd, events, EVENTS_MAX, SWEEP_INTERVAL_MS);
		time_t now;

		if (count < 0 && errno != EINTR)
			log_fatal("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < count; i++) {
			void *tag = events[i].data.ptr;

			if (tag == &worker->wake_fd)
				stopping = true;
			else if (tag == worker->server)
				accept_one(worker);
			else
				connection_event(worker, tag, events[i].events);
		}
		if ((now = now_seconds()) != last_sweep) {
			last_sweep = now;
			close_idle(worker, now);
		}
	}
	while (worker->connections != NULL) {
		(void)flush(worker, worker->connections);
		connection_close(worker, worker->connections);
	}
	return NULL;
}

static bool
worker_setup(struct worker *worker, struct milter_server *server, char *error,
    size_t error_size)
{
	struct epoll_event listen_event = {
	    .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = server};
	struct epoll_event wake_event = {
	    .events = EPOLLIN, .data.ptr = &worker->wake_fd};

	worker->server = server;
	worker->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	worker->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (worker->epoll_fd < 0 || worker->wake_fd < 0 ||
	    epoll_ctl(worker->epoll_fd, EPOLL_CTL_ADD, server->listen_fd,
	        &listen_event) < 0 ||
	    epoll_ctl(worker->epoll_fd, EPOLL_CTL_ADD, worker->wake_fd,
	        &wake_event) < 0) {
		snprintf(error, error_size, "milter worker set-up: %s",
		    strerror(errno));
		return false;
	}
	return true;
}

static unsigned
worker_count(unsigned wanted)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (wanted == 0)
		wanted = online > 0 ? (unsigned)online : 1;
	return wanted > MILTER_WORKERS_MAX ? MILTER_WORKERS_MAX : wanted;
}

/* Workers block the signals the main thread handles. */
static bool
workers_start(struct milter_server *server, char *error, size_t error_size)
{
	sigset_t blocked, saved;
	int status = 0;

	sigemptyset(&blocked);
	sigaddset(&blocked, SIGHUP);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	pthread_sigmask(SIG_BLOCK, &blocked, &saved);
	for (unsigned i = 0; i < server->worker_count && status == 0; i++) {
		status = pthread_create(&server->workers[i].thread, NULL,
		    worker_main, &server->workers[i]);
		server->workers[i].started = status == 0;
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (status != 0)
		snprintf(error, error_size, "cannot start a milter worker: %s",
		    strerror(status));
	return status == 0;
}

struct milter_server *
milter_server_start(const struct milter_filter *filter, int listen_fd,
    unsigned workers, char *error, size_t error_size)
{
	struct milter_server *server = xcalloc(1, sizeof(*server));
	int flags = fcntl(listen_fd, F_GETFL);

	server->filter = filter;
	server->listen_fd = listen_fd;
	server->worker_count = worker_count(workers);
	server->connection_limit =
	    file_limit_connections(MILTER_CONNECTIONS_MAX);
	server->workers =
	    xcalloc(server->worker_count, sizeof(*server->workers));
	for (unsigned i = 0; i < server->worker_count; i++)
		server->workers[i].epoll_fd = server->workers[i].wake_fd = -1;
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		snprintf(
		    error, error_size, "listening socket: %s", strerror(errno));
		milter_server_stop(server);
		return NULL;
	}
	for (unsigned i = 0; i < server->worker_count; i++)
		if (!worker_setup(
		        &server->workers[i], server, error, error_size)) {
			milter_server_stop(server);
			return NULL;
		}
	if (!workers_start(server, error, error_size)) {
		milter_server_stop(server);
		return NULL;
	}
	log_info("serving up to %zu MTA connections with %u worker threads",
	    server->connection_limit, server->worker_count);
	return server;
}

void
milter_server_stop(struct milter_server *server)
{
	const uint64_t one = 1;

	if (server == NULL)
		return;
	for (unsigned i = 0; i < server->worker_count; i++)
		if (server->workers[i].started &&
		    write(server->workers[i].wake_fd, &one, sizeof(one)) < 0)
			log_error(
			    "cannot wake a milter worker: %s", strerror(errno));
	for (unsigned i = 0; i < server->worker_count; i++) {
		struct worker *worker = &server->workers[i];

		if (worker->started)
			pthread_join(worker->thread, NULL);
		if (worker->epoll_fd >= 0)
			close(worker->epoll_fd);
		if (worker->wake_fd >= 0)
			close(worker->wake_fd);
	}
	free(server->workers);
	free(server);
}
