/*
 * NAME
 *	metrics_http - GET /metrics, /healthz and /readyz for every daemon
 * SYNOPSIS
 *	#include "metrics_http.h"
 *
 *	bool metrics_http_check(spec, allow_set, section, error, error_size)
 *	int metrics_http_bind(spec, error, error_size)
 *	struct metrics_http *metrics_http_start(fd, allow, error, error_size)
 *	void metrics_http_stop(server)
 * DESCRIPTION
 *	One small HTTP server, libmicrohttpd's, in its own thread, so that a
 *	daemon's loop (libevent, libmilter's threads) neither serves nor
 *	waits for a scrape. The daemon binds the socket as root before it
 *	drops privileges (metrics_http_bind(), from lib/daemon.c) and starts
 *	the thread after (metrics_http_start()).
 *
 *	Answers: /metrics the exposition format of metrics.c; /healthz 200
 *	while the process runs; /readyz 200 when every readiness condition
 *	holds, else 503 naming those that do not. GET and HEAD only (405
 *	otherwise), 404 for any other path.
 * SECURITY
 *	The port is the one a Prometheus server scrapes, so it is loopback
 *	unless the admin says otherwise: a non-loopback address needs
 *	metrics_allow (metrics_http_check()), and every connection from an
 *	address outside that list is closed before anything is read.
 *	Requests are bounded by libmicrohttpd's per-connection memory limit
 *	(METRICS_HTTP_MEMORY), a connection limit and an idle timeout; a
 *	request body is dropped as it comes, and one over
 *	METRICS_HTTP_BODY_MAX closes the connection. libmicrohttpd's own
 *	messages (mostly about a peer's broken request) are logged at
 *	debug level. tests/fuzz/fuzz_metrics_http.c sends it any bytes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buffer.h"
#include "listen_socket.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "xmalloc.h"

#define METRICS_HTTP_CONNECTIONS 16
#define METRICS_HTTP_PER_IP      4
#define METRICS_HTTP_TIMEOUT     10          /* seconds idle */
#define METRICS_HTTP_MEMORY      (32 * 1024) /* bytes per connection */
#define METRICS_HTTP_BODY_MAX    (64 * 1024) /* a body dropped, bytes */

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT    "text/plain; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *server;
	struct cidr_list allow;
};

static bool
is_loopback(const struct socket_spec *spec)
{
	struct ip_address address;

	if (!ip_address_parse(spec->host, &address))
		return strcmp(spec->host, "localhost") == 0;
	if (address.family == AF_INET)
		return address.bytes[0] == 127;
	return memcmp(address.bytes, &in6addr_loopback, 16) == 0;
}

bool
metrics_http_check(const struct socket_spec *spec, bool allow_set,
    const char *section, char *error, size_t error_size)
{
	if (spec->kind == SOCKET_NONE)
		return true;
	if (spec->kind == SOCKET_UNIX) {
		snprintf(error, error_size,
		    "[%s] metrics: Prometheus scrapes over TCP: give "
		    "inet:PORT@HOST",
		    section);
		return false;
	}
	if (!is_loopback(spec) && !allow_set) {
		snprintf(error, error_size,
		    "[%s] metrics: %s is not a loopback address: set "
		    "metrics_allow to the networks that may scrape it",
		    section, spec->host);
		return false;
	}
	return true;
}

int
metrics_http_bind(
    const struct socket_spec *spec, char *error, size_t error_size)
{
	return listen_socket_open(spec, 0, NULL, error, error_size);
}

static enum MHD_Result
allowed(void *context, const struct sockaddr *peer, socklen_t length)
{
	const struct metrics_http *http = context;
	struct ip_address address;

	memset(&address, 0, sizeof(address));
	if (peer->sa_family == AF_INET &&
	    length >= (socklen_t)sizeof(struct sockaddr_in)) {
		address.family = AF_INET;
		memcpy(address.bytes,
		    &((const struct sockaddr_in *)peer)->sin_addr, 4);
	} else if (peer->sa_family == AF_INET6 &&
	           length >= (socklen_t)sizeof(struct sockaddr_in6)) {
		address.family = AF_INET6;
		memcpy(address.bytes,
		    &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
	} else
		return MHD_NO;
	return cidr_list_match(&http->allow, &address) ? MHD_YES : MHD_NO;
}

static enum MHD_Result
answer(struct MHD_Connection *connection, unsigned status,
    const char *content_type, struct buffer *body)
{
	struct MHD_Response *response;
	enum MHD_Result result;
	size_t length = body->length;
	char *data = body->data ? body->data : xstrdup("");

	/* libmicrohttpd frees the body with free() once it is sent. */
	body->data = NULL;
	buffer_free(body);
	response = MHD_create_response_from_buffer(
	    length, data, MHD_RESPMEM_MUST_FREE);
	if (response == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(
	    response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(
		    response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

/* One request's state: the bytes of a body sent anyway, read and
 * dropped. */
struct request {
	size_t body;
};

static enum MHD_Result
serve(void *context, struct MHD_Connection *connection, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **request_state)
{
	struct request *request = *request_state;
	struct buffer body = {NULL, 0, 0};

	(void)context;
	(void)version;
	(void)upload_data;
	/* The first call is for the headers alone; a body comes in the
	 * calls after, and is dropped (up to METRICS_HTTP_BODY_MAX, then
	 * the connection is closed), so that it is not taken as the next
	 * request; the answer comes with the last call. */
	if (request == NULL) {
		*request_state = xcalloc(1, sizeof(*request));
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		request->body += *upload_data_size;
		*upload_data_size = 0;
		return request->body <= METRICS_HTTP_BODY_MAX ? MHD_YES
		                                              : MHD_NO;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		buffer_append_text(&body, "only GET and HEAD\n");
		return answer(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
		    CONTENT_TYPE_TEXT, &body);
	}
	if (strcmp(url, "/metrics") == 0) {
		metrics_render(&body);
		return answer(
		    connection, MHD_HTTP_OK, CONTENT_TYPE_METRICS, &body);
	}
	if (strcmp(url, "/healthz") == 0) {
		buffer_append_text(&body, "ok\n");
		return answer(
		    connection, MHD_HTTP_OK, CONTENT_TYPE_TEXT, &body);
	}
	if (strcmp(url, "/readyz") == 0) {
		struct buffer reasons = {NULL, 0, 0};
		bool ready = metrics_ready(&reasons);

		if (ready)
			buffer_append_text(&body, "ready\n");
		else
			buffer_printf(
			    &body, "not ready: %s\n", buffer_text(&reasons));
		buffer_free(&reasons);
		return answer(connection,
		    ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
		    CONTENT_TYPE_TEXT, &body);
	}
	buffer_append_text(&body, "not found: try /metrics, /healthz or "
	                          "/readyz\n");
	return answer(connection, MHD_HTTP_NOT_FOUND, CONTENT_TYPE_TEXT, &body);
}

static void log_from_library(void *context, const char *format,
    va_list arguments) __attribute__((format(printf, 2, 0)));

static void
request_completed(void *context, struct MHD_Connection *connection,
    void **request_state, enum MHD_RequestTerminationCode code)
{
	(void)context;
	(void)connection;
	(void)code;
	free(*request_state);
	*request_state = NULL;
}

static void
log_from_library(void *context, const char *format, va_list arguments)
{
	char text[512];

	(void)context;
	vsnprintf(text, sizeof(text), format, arguments);
	text[strcspn(text, "\n")] = '\0';
	/* Mostly one peer's doing (a request cut short): not the admin's. */
	log_debug("metrics: %s", text);
}

struct metrics_http *
metrics_http_start(
    int fd, const struct cidr_list *allow, char *error, size_t error_size)
{
	struct metrics_http *http = xcalloc(1, sizeof(*http));

	/* The list stays the start's: metrics_allow changes need a restart,
	 * as the address does. */
	http->allow.count = allow->count;
	http->allow.networks = xreallocarray(
	    NULL, allow->count ? allow->count : 1, sizeof(*allow->networks));
	memcpy(http->allow.networks, allow->networks,
	    allow->count * sizeof(*allow->networks));
	http->server = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG,
	    0, allowed, http, serve, http, MHD_OPTION_EXTERNAL_LOGGER,
	    log_from_library, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_HTTP_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
	    MHD_OPTION_END);
	if (http->server == NULL) {
		snprintf(
		    error, error_size, "metrics: cannot start the HTTP server");
		cidr_list_free(&http->allow);
		free(http);
		return NULL;
	}
	return http;
}

void
metrics_http_stop(struct metrics_http *http)
{
	if (http == NULL)
		return;
	/* Stops the thread and closes the listening socket. */
	MHD_stop_daemon(http->server);
	cidr_list_free(&http->allow);
	free(http);
}
