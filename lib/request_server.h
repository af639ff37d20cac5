/*
 * request_server.h - a daemon's client connections, one request after
 * another, on the event loop
 */
#ifndef WAYPOST_REQUEST_SERVER_H
#define WAYPOST_REQUEST_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "buffer.h"

struct request_server;
struct request_connection;

enum request_outcome {
	REQUEST_ANSWERED, /* the answer is in the buffer given */
	REQUEST_PENDING,  /* request_server_answer() comes later */
	REQUEST_REFUSED,  /* close the connection, the reason in error */
};

/* What one protocol adds: how a request ends, and how it is answered. */
struct request_protocol {
	const char *name;       /* "policy": in log lines */
	size_t request_max;     /* bytes of the longest request */
	size_t connections_max; /* fewer when the file limit is lower */
	int idle_seconds;       /* a silent or unread connection closes */
	/* Bytes of the first whole request in data, 0 while it is not
	 * all there; looked: bytes seen before to hold no end. SIZE_MAX,
	 * with the reason in error, refuses the connection. */
	size_t (*request_end)(const char *data, size_t length, size_t looked,
	    char *error, size_t error_size);
	/* A connection's own state, made when it opens and freed, with
	 * the request still waiting for an answer, when it closes. */
	void *(*open)(void);
	void (*close)(void *session);
	/* One request, data[length] being its end (writable, NUL). */
	enum request_outcome (*handle)(void *session,
	    struct request_connection *connection, char *data, size_t length,
	    struct buffer *answer, char *error, size_t error_size);
};

struct request_server *request_server_start(struct event_base *base,
    int listen_fd, const struct request_protocol *protocol, char *error,
    size_t error_size);
void request_server_stop(struct request_server *server);
/* The answer of a REQUEST_PENDING request. */
void request_server_answer(
    struct request_connection *connection, const char *answer, size_t length);

#endif
