/*
 * milter_message.h - one message's life in a Waypost milter
 */
#ifndef WAYPOST_MILTER_MESSAGE_H
#define WAYPOST_MILTER_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "header_store.h"
#include "milter_client_facts.h"
#include "milter_engine.h"
#include "swap_slot.h"

/* What milter_message_begin() made of a message. */
enum milter_message_start {
	MILTER_MESSAGE_TAKEN,      /* in flight, with the current runtime */
	MILTER_MESSAGE_STOPPING,   /* the daemon is stopping: refuse it */
	MILTER_MESSAGE_NO_RUNTIME, /* nothing loaded to work with */
};

struct milter_message_kind;

/* The first member of a filter's message. */
struct milter_message {
	const struct milter_message_kind *kind;
	enum milter_message_start start;
	struct swap_item *runtime; /* held to the end; NULL unless TAKEN */
	bool in_flight;            /* counted by milter_drain.c */
	char queue_id[MILTER_QUEUE_ID_MAX];
	struct header_store headers;
};

/* A filter's messages. */
struct milter_message_kind {
	size_t size; /* of the filter's message, struct milter_message first */
	const struct header_limits *limits;
	struct swap_item *(*acquire)(void); /* the current runtime, or NULL */
	void (*end)(struct milter_message *message); /* optional: the rest */
};

/* A filter's state for one MTA connection, from open() to close(). */
struct milter_connection {
	struct milter_client_address address;
	struct milter_message *message; /* NULL between messages */
};

void *milter_connection_open(struct milter_context *context);
enum milter_status milter_connection_connect(struct milter_context *context,
    void *state, const char *hostname,
    const struct milter_client_address *address);
void milter_connection_close(struct milter_context *context, void *state);

struct milter_message *milter_message_begin(
    struct milter_connection *connection, struct milter_context *context,
    const struct milter_message_kind *kind);
bool milter_message_header(
    struct milter_message *message, const char *name, const char *value);
const char *milter_message_queue_id(
    struct milter_message *message, struct milter_context *context);
void milter_message_end(struct milter_connection *connection);
void milter_message_abort(struct milter_context *context, void *state);

#endif
