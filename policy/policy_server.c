/*
 * NAME
 *	policy_server - Postfix's policy connections, on the event loop
 * SYNOPSIS
 *	#include "policy_server.h"
 *
 *	const struct request_protocol policy_protocol
 * DESCRIPTION
 *	The policy delegation protocol on lib/request_server.c: a request
 *	ends with an empty line (policy_request.c), is parsed where it
 *	lies and answered (policy_decide.c) with "action=...", then an
 *	empty line. A connection keeps the recipient domains of the
 *	message in progress (recipient_domains.c), and the metrics hear
 *	of every connection and answer (policy_metrics.c).
 *
 *	A request over POLICY_REQUEST_MAX bytes, or one the parser
 *	refuses, closes the connection with a log line; Postfix then
 *	applies smtpd_policy_service_default_action. A connection silent
 *	for POLICY_IDLE_TIMEOUT_SECONDS, or that reads no answer for as
 *	long, is closed (Postfix reconnects). At most
 *	POLICY_CONNECTIONS_MAX connections, or as many as the file limit
 *	allows.
 *
 *	request_server_stop() ends it: an answer still on its way from
 *	Redis is dropped with its connection.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "monotonic.h"
#include "policy_decide.h"
#include "policy_metrics.h"
#include "policy_request.h"
#include "policy_server.h"
#include "xmalloc.h"

struct session {
	struct request_connection *connection;
	struct decision *pending;
	struct recipient_domains recipients; /* of the message in progress */
	double asked_ms;         /* when the request being answered was read */
	enum policy_state stage; /* its stage, for the metrics */
	struct buffer reply;     /* an answer that came from Redis */
};

static void *
session_open(void)
{
	policy_metrics_connection(true);
	return xcalloc(1, sizeof(struct session));
}

static void
session_close(void *context)
{
	struct session *session = context;

	decide_forget(session->pending);
	recipient_domains_free(&session->recipients);
	buffer_free(&session->reply);
	free(session);
	policy_metrics_connection(false);
}

/* "action=ACTION\n\n", built with memcpy(), not printf(): this runs for
 * every request. */
static void
format_answer(struct session *session, const char *action, struct buffer *out)
{
	static const char prefix[] = "action=";

	policy_metrics_answered(session->stage, action,
	    (monotonic_ms_exact() - session->asked_ms) / 1000.0);
	buffer_append(out, prefix, sizeof(prefix) - 1);
	buffer_append(out, action, strlen(action));
	buffer_append(out, "\n\n", 2);
}

/* Redis answered: hand the answer on, then serve what the client sent
 * since. */
static void
answered(void *context, const char *action)
{
	struct session *session = context;

	session->pending = NULL;
	buffer_reset(&session->reply);
	format_answer(session, action, &session->reply);
	request_server_answer(
	    session->connection, session->reply.data, session->reply.length);
}

static size_t
request_end(const char *data, size_t length, size_t looked, char *error,
    size_t error_size)
{
	(void)error;
	(void)error_size;
	return policy_request_end_from(data, length, looked);
}

static enum request_outcome
handle(void *context, struct request_connection *connection, char *data,
    size_t length, struct buffer *answer, char *error, size_t error_size)
{
	struct session *session = context;
	struct policy_request request;
	char action[POLICY_ACTION_MAX];

	if (!policy_request_parse(data, length, &request, error, error_size))
		return REQUEST_REFUSED;
	session->connection = connection;
	session->asked_ms = monotonic_ms_exact();
	session->stage = request.state;
	if (request.state == POLICY_STATE_RCPT)
		recipient_domains_note(&session->recipients, &request);
	session->pending = decide(&request,
	    recipient_domains_of(&session->recipients, &request), answered,
	    session, action, sizeof(action));
	if (session->pending != NULL)
		return REQUEST_PENDING;
	format_answer(session, action, answer);
	return REQUEST_ANSWERED;
}

const struct request_protocol policy_protocol = {
    .name = "policy",
    .request_max = POLICY_REQUEST_MAX,
    .connections_max = POLICY_CONNECTIONS_MAX,
    .idle_seconds = POLICY_IDLE_TIMEOUT_SECONDS,
    .request_end = request_end,
    .open = session_open,
    .close = session_close,
    .handle = handle,
};
