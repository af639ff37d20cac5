/*
 * milter_engine.h - the filter side of the milter protocol, without I/O
 */
#ifndef WAYPOST_MILTER_ENGINE_H
#define WAYPOST_MILTER_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

/* The largest packet accepted from the MTA: 1 MB of data (a header that
 * big still reaches the filter, which applies its own bounds) plus the
 * command byte and some slack. Larger ends the connection. */
#define MILTER_PACKET_MAX (1024 * 1024 + 64)
/* MAIL FROM parameters passed to the filter; more are not looked at. */
#define MILTER_MAIL_ARGUMENTS_MAX 32
/* The reply text of milter_set_reply(), code and enhanced code included. */
#define MILTER_REPLY_TEXT_MAX 512

enum milter_status {
	MILTER_CONTINUE,
	MILTER_ACCEPT,
	MILTER_REJECT,
	MILTER_TEMPFAIL,
	MILTER_DISCARD,
};

enum milter_input {
	MILTER_INPUT_MORE,  /* all whole packets done: read more */
	MILTER_INPUT_QUIT,  /* the MTA said goodbye */
	MILTER_INPUT_ERROR, /* protocol error: close; milter_error() says */
};

/* The MTA's client: AF_INET or AF_INET6 with the address in network
 * order, 0 when it has none (local submission, unknown to the MTA), or
 * MILTER_ADDRESS_MISSING when the MTA did not say. */
#define MILTER_ADDRESS_MISSING (-1)
struct milter_client_address {
	int family;
	unsigned char bytes[16];
};

/* Macros a filter asks for at one stage (SMFIM_*), names separated by
 * spaces: the MTA sends these there instead of its own list. */
struct milter_macro_list {
	int stage;
	const char *names; /* NULL ends a list */
};

struct milter_context;

/* What a filter is. Callbacks that are NULL answer "continue". Each gets
 * the state open() returned. A status other than MILTER_CONTINUE from a
 * step the MTA does not wait a reply for (SMFIP_NR_*) is kept and sent
 * at the next step it waits for, whose callback is then skipped. */
struct milter_filter {
	const char *name;
	unsigned long actions;  /* SMFIF_*: what the filter must be allowed */
	unsigned long protocol; /* SMFIP_*: steps to skip or not answer */
	/* NULL: the MTA's own lists; else every stage not listed gets no
	 * macros (Postfix empties them all when a filter asks). */
	const struct milter_macro_list *macro_lists;
	void *(*open)(struct milter_context *context);
	enum milter_status (*connect)(struct milter_context *context,
	    void *state, const char *hostname,
	    const struct milter_client_address *address);
	/* arguments: the sender, then its ESMTP parameters ("SMTPUTF8",
	 * "SIZE=123"), at most MILTER_MAIL_ARGUMENTS_MAX, NULL-terminated. */
	enum milter_status (*mail)(struct milter_context *context, void *state,
	    const char *const *arguments);
	enum milter_status (*header)(struct milter_context *context,
	    void *state, const char *name, const char *value);
	enum milter_status (*end_of_headers)(
	    struct milter_context *context, void *state);
	enum milter_status (*body)(struct milter_context *context, void *state,
	    const unsigned char *data, size_t length);
	enum milter_status (*end_of_message)(
	    struct milter_context *context, void *state);
	void (*abort)(struct milter_context *context, void *state);
	void (*close)(struct milter_context *context, void *state);
};

struct milter_context *milter_context_new(const struct milter_filter *filter);
enum milter_input milter_context_input(struct milter_context *context,
    const unsigned char *data, size_t length, size_t *consumed, size_t *wanted);
struct buffer *milter_context_output(struct milter_context *context);
const char *milter_context_error(const struct milter_context *context);
void milter_context_free(struct milter_context *context);

/* For the callbacks. */
unsigned long milter_protocol(const struct milter_context *context);
const char *milter_macro(
    const struct milter_context *context, const char *name);
bool milter_set_reply(struct milter_context *context, const char *code,
    const char *enhanced_code, const char *text);
bool milter_add_header(
    struct milter_context *context, const char *name, const char *value);
bool milter_insert_header(struct milter_context *context, unsigned index,
    const char *name, const char *value);
bool milter_change_header(struct milter_context *context, unsigned index,
    const char *name, const char *value);

#endif
