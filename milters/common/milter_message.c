/*
 * NAME
 *	milter_message - one message's life in a Waypost milter
 * SYNOPSIS
 *	#include "milter_message.h"
 *
 *	void *milter_connection_open(context)
 *	enum milter_status milter_connection_connect(context, state,
 *		hostname, address)
 *	void milter_connection_close(context, state)
 *
 *	struct milter_message *milter_message_begin(connection, context,
 *		kind)
 *	bool milter_message_header(message, name, value)
 *	const char *milter_message_queue_id(message, context)
 *	void milter_message_end(connection)
 *	void milter_message_abort(context, state)
 * DESCRIPTION
 *	What every Waypost milter does with a message, whatever it does to
 *	it: a filter's state is a struct milter_connection (open(),
 *	connect() and close() here fit struct milter_filter as they are),
 *	and its message a struct of its own that starts with a struct
 *	milter_message, described by a struct milter_message_kind.
 *
 *	milter_message_begin() ends the connection's previous message, if
 *	any, and starts a new one of kind->size bytes, zeroed: it enters
 *	milter_drain.c's count of messages in flight, acquires the current
 *	runtime (kind->acquire, lib/daemon.c's for the daemons) and readies
 *	a header_store within kind->limits, told whether the MTA sends the
 *	leading space of values (SMFIP_HDR_LEADSPC). start says what came
 *	of it: TAKEN, or the reason the filter must refuse the message,
 *	STOPPING (a stop refuses new messages) or NO_RUNTIME. A refused
 *	message holds neither a count nor a runtime, and stores no header.
 *
 *	milter_message_header() stores a header of a TAKEN message;
 *	false when it was not stored (refused, or beyond the bounds:
 *	headers.over_limit says). milter_message_queue_id() is Postfix's
 *	queue ID for log lines (milter_client_facts.c), kept in the
 *	message once seen.
 *
 *	milter_message_end() ends the connection's message: kind->end()
 *	for the filter's part, then the headers, the runtime and the count
 *	in flight, then the message itself. It is what the filter calls
 *	with its verdict; milter_message_abort() (the abort step) and
 *	milter_connection_close() call it too, so a message is counted and
 *	holds its runtime from its start to exactly one end.
 */
#include "config.h"

#include <stdlib.h>

#include <libmilter/mfdef.h>

#include "milter_drain.h"
#include "milter_message.h"
#include "xmalloc.h"

void *
milter_connection_open(struct milter_context *context)
{
	struct milter_connection *connection = xcalloc(1, sizeof(*connection));

	(void)context;
	connection->address.family = MILTER_ADDRESS_MISSING;
	return connection;
}

enum milter_status
milter_connection_connect(struct milter_context *context, void *state,
    const char *hostname, const struct milter_client_address *address)
{
	struct milter_connection *connection = state;

	(void)context;
	(void)hostname;
	connection->address = *address;
	return MILTER_CONTINUE;
}

void
milter_connection_close(struct milter_context *context, void *state)
{
	(void)context;
	milter_message_end(state);
	free(state);
}

struct milter_message *
milter_message_begin(struct milter_connection *connection,
    struct milter_context *context, const struct milter_message_kind *kind)
{
	struct milter_message *message;

	milter_message_end(connection);
	message = connection->message = xcalloc(1, kind->size);
	message->kind = kind;
	header_store_init(&message->headers, kind->limits,
	    milter_protocol(context) & SMFIP_HDR_LEADSPC);
	message->in_flight = milter_drain_enter();
	if (!message->in_flight)
		message->start = MILTER_MESSAGE_STOPPING;
	else if ((message->runtime = kind->acquire()) == NULL)
		message->start = MILTER_MESSAGE_NO_RUNTIME;
	else
		message->start = MILTER_MESSAGE_TAKEN;
	return message;
}

bool
milter_message_header(
    struct milter_message *message, const char *name, const char *value)
{
	return message->start == MILTER_MESSAGE_TAKEN &&
	       header_store_receive(&message->headers, name, value);
}

const char *
milter_message_queue_id(
    struct milter_message *message, struct milter_context *context)
{
	return milter_queue_id(context, message->queue_id);
}

void
milter_message_end(struct milter_connection *connection)
{
	struct milter_message *message = connection->message;

	if (message == NULL)
		return;
	if (message->kind->end != NULL)
		message->kind->end(message);
	header_store_free(&message->headers);
	swap_item_release(message->runtime);
	if (message->in_flight)
		milter_drain_leave();
	free(message);
	connection->message = NULL;
}

void
milter_message_abort(struct milter_context *context, void *state)
{
	(void)context;
	milter_message_end(state);
}
