/*
 * NAME
 *	milter_engine - the filter side of the milter protocol, without I/O
 * SYNOPSIS
 *	#include "milter_engine.h"
 *
 *	context = milter_context_new(filter)
 *	status = milter_context_input(context, data, length, &consumed,
 *	                              &wanted)
 *	out = milter_context_output(context)
 *	milter_context_free(context)
 * DESCRIPTION
 *	One MTA connection speaking milter protocol version 6 (as Postfix
 *	and Sendmail do): milter_context_input() takes the bytes read so
 *	far, runs every whole packet through the filter's callbacks, and
 *	appends the replies to the output buffer, which the caller writes
 *	out and resets. *consumed is what it used; *wanted how many bytes
 *	the next packet needs in all (the caller grows its buffer to it).
 *
 *	Negotiation: the reply grants the filter's actions and the protocol
 *	steps it wants skipped or unanswered, of those the MTA offers, and
 *	(to an MTA of version 6) asks for the filter's macro lists; an
 *	MTA that does not offer every action the filter needs is refused.
 *	Macros are kept per stage (connect, HELO, MAIL, RCPT, DATA, end of
 *	headers, end of message); a stage's macros replace those of its
 *	stage and of every later one, so a new message never sees the queue
 *	ID of the last. milter_macro() looks at the latest stage first and
 *	accepts "i" for "{i}" and the reverse.
 *
 *	Header changes (milter_add_header() and the others) are only valid
 *	in the end-of-message callback and go out before its verdict, as
 *	the protocol wants. A status from a step the MTA does not wait on
 *	is held until one it does (see milter_engine.h).
 *
 *	Every message's verdict is counted by its result, and the time its
 *	end took (milter_metrics.c): a verdict at the end of the message,
 *	or an earlier one that ended it; "continue" at the end counts as
 *	accept, a verdict for the connection (at connect, HELO) not at all.
 *
 *	This replaces libmilter's session loop for speed: libmilter polls
 *	and reads twice per packet, in a thread per connection, which cost
 *	waypost-dkim about a fifth of its CPU per message; this engine is
 *	fed whole bursts of packets by milter_server.c.
 * SECURITY
 *	Every packet is checked before use: its length against
 *	MILTER_PACKET_MAX, its strings for their terminating NULs, the
 *	client address by inet_pton(). Any violation ends this connection
 *	with a reason (milter_context_error()), never the process.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "milter_engine.h"
#include "milter_metrics.h"
#include "milter_packet.h"
#include "monotonic.h"
#include "xmalloc.h"

#define PROTOCOL_VERSION 6
/* Bits 28 to 30 (SMFIP_MDS_*) are between an MTA and libmilter only. */
#define PROTOCOL_INTERNAL 0x70000000UL

/* Macro stages, in protocol order; a stage's macros clear the later. */
static const char macro_stages[] = {SMFIC_CONNECT, SMFIC_HELO, SMFIC_MAIL,
    SMFIC_RCPT, SMFIC_DATA, SMFIC_EOH, SMFIC_BODYEOB};
#define MACRO_STAGES (sizeof(macro_stages))
/* The steps of a message, from MAIL FROM to its end: its verdict is
 * counted (milter_metrics.c), a connection's is not. */
static const char message_commands[] = {SMFIC_MAIL, SMFIC_RCPT, SMFIC_DATA,
    SMFIC_HEADER, SMFIC_EOH, SMFIC_BODY, SMFIC_BODYEOB};

struct milter_context {
	const struct milter_filter *filter;
	void *state;
	bool negotiated;
	unsigned long protocol;
	struct buffer macros[MACRO_STAGES]; /* "name\0value\0" pairs */
	struct buffer out;
	enum milter_status held; /* from a step with no reply */
	bool in_message;         /* a step of a message came since the last */
	bool message_over;       /* this message has its verdict */
	char reply[MILTER_REPLY_TEXT_MAX];
	bool in_end_of_message;
	char error[256];
};

struct milter_context *
milter_context_new(const struct milter_filter *filter)
{
	struct milter_context *context = xcalloc(1, sizeof(*context));

	context->filter = filter;
	return context;
}

struct buffer *
milter_context_output(struct milter_context *context)
{
	return &context->out;
}

const char *
milter_context_error(const struct milter_context *context)
{
	return context->error;
}

unsigned long
milter_protocol(const struct milter_context *context)
{
	return context->protocol;
}

static void
clear_macros_from(struct milter_context *context, size_t stage)
{
	for (; stage < MACRO_STAGES; stage++)
		buffer_reset(&context->macros[stage]);
}

/* The filter's state goes; a new negotiation may follow (SMFIC_QUIT_NC). */
static void
close_filter(struct milter_context *context)
{
	if (context->negotiated && context->filter->close != NULL)
		context->filter->close(context, context->state);
	context->state = NULL;
	context->negotiated = false;
	context->held = MILTER_CONTINUE;
	context->reply[0] = '\0';
	clear_macros_from(context, 0);
}

void
milter_context_free(struct milter_context *context)
{
	if (context == NULL)
		return;
	close_filter(context);
	for (size_t i = 0; i < MACRO_STAGES; i++)
		buffer_free(&context->macros[i]);
	buffer_free(&context->out);
	free(context);
}

/* "x" and "{x}" name the same macro. */
static bool
same_macro(const char *sent, const char *wanted)
{
	size_t sent_length = strlen(sent), wanted_length = strlen(wanted);

	if (sent_length > 1 && sent[0] == '{' && sent[sent_length - 1] == '}') {
		sent++;
		sent_length -= 2;
	}
	if (wanted_length > 1 && wanted[0] == '{' &&
	    wanted[wanted_length - 1] == '}') {
		wanted++;
		wanted_length -= 2;
	}
	return sent_length == wanted_length &&
	       memcmp(sent, wanted, sent_length) == 0;
}

const char *
milter_macro(const struct milter_context *context, const char *name)
{
	for (size_t stage = MACRO_STAGES; stage-- > 0;) {
		const struct buffer *pairs = &context->macros[stage];
		const char *p = pairs->data, *end;

		if (p == NULL)
			continue;
		/* Stored only when well formed: every string ends in NUL. */
		for (end = p + pairs->length; p < end;) {
			const char *value = p + strlen(p) + 1;

			if (value >= end)
				break;
			if (same_macro(p, name))
				return value;
			p = value + strlen(value) + 1;
		}
	}
	return NULL;
}

static bool
printable_text(const char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text < 0x20 || *text == 0x7f)
			return false;
	return true;
}

bool
milter_set_reply(struct milter_context *context, const char *code,
    const char *enhanced_code, const char *text)
{
	int written;

	if (strlen(code) != 3 || (code[0] != '4' && code[0] != '5') ||
	    !printable_text(enhanced_code) || !printable_text(text))
		return false;
	written = snprintf(context->reply, sizeof(context->reply), "%s %s %s",
	    code, enhanced_code, text);
	if (written < 0 || (size_t)written >= sizeof(context->reply)) {
		context->reply[0] = '\0';
		return false;
	}
	return true;
}

static bool
header_change(struct milter_context *context, char command, bool indexed,
    unsigned index, const char *name, const char *value)
{
	unsigned long needed =
	    command == SMFIR_CHGHEADER ? SMFIF_CHGHDRS : SMFIF_ADDHDRS;
	size_t name_length = strlen(name), value_length = strlen(value);
	uint32_t length;

	if (!context->in_end_of_message ||
	    !(context->filter->actions & needed) || name_length == 0 ||
	    name_length + value_length > MILTER_PACKET_MAX)
		return false;
	length = (uint32_t)(1 + (indexed ? 4 : 0) + name_length + 1 +
	                    value_length + 1);
	milter_put_u32(&context->out, length);
	buffer_append_char(&context->out, command);
	if (indexed)
		milter_put_u32(&context->out, index);
	buffer_append(&context->out, name, name_length + 1);
	buffer_append(&context->out, value, value_length + 1);
	return true;
}

bool
milter_add_header(
    struct milter_context *context, const char *name, const char *value)
{
	return header_change(context, SMFIR_ADDHEADER, false, 0, name, value);
}

bool
milter_insert_header(struct milter_context *context, unsigned index,
    const char *name, const char *value)
{
	return header_change(
	    context, SMFIR_INSHEADER, true, index, name, value);
}

bool
milter_change_header(struct milter_context *context, unsigned index,
    const char *name, const char *value)
{
	return header_change(
	    context, SMFIR_CHGHEADER, true, index, name, value);
}

static void
send_verdict(struct milter_context *context, enum milter_status status)
{
	static const char plain[] = {[MILTER_CONTINUE] = SMFIR_CONTINUE,
	    [MILTER_ACCEPT] = SMFIR_ACCEPT,
	    [MILTER_REJECT] = SMFIR_REJECT,
	    [MILTER_TEMPFAIL] = SMFIR_TEMPFAIL,
	    [MILTER_DISCARD] = SMFIR_DISCARD};
	bool coded = (status == MILTER_REJECT && context->reply[0] == '5') ||
	             (status == MILTER_TEMPFAIL && context->reply[0] == '4');

	if (coded)
		milter_packet_append(&context->out, SMFIR_REPLYCODE,
		    context->reply, strlen(context->reply) + 1);
	else
		milter_packet_append(&context->out, plain[status], NULL, 0);
	if (status != MILTER_CONTINUE) {
		/* A message's verdict, once: not one for a connection. */
		if (context->in_message && !context->message_over)
			milter_metrics_verdict(status);
		context->held = MILTER_CONTINUE;
		context->message_over = true;
	}
	context->reply[0] = '\0';
}

/* After a step's callback: answer, or hold a verdict for later. */
static void
answer(struct milter_context *context, unsigned long no_reply_flag,
    enum milter_status status)
{
	if (no_reply_flag != 0 && (context->protocol & no_reply_flag)) {
		if (status != MILTER_CONTINUE &&
		    context->held == MILTER_CONTINUE)
			context->held = status;
		return;
	}
	send_verdict(context, status);
}

static bool __attribute__((format(printf, 2, 3)))
fail(struct milter_context *context, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(context->error, sizeof(context->error), format, arguments);
	va_end(arguments);
	return false;
}

static size_t
stage_index(char stage)
{
	const char *found = memchr(macro_stages, stage, MACRO_STAGES);

	return found != NULL ? (size_t)(found - macro_stages) : MACRO_STAGES;
}

static bool
negotiate(
    struct milter_context *context, const unsigned char *data, size_t length)
{
	unsigned long version, actions, offered;
	const struct milter_macro_list *lists;
	size_t extra = 0;

	if (context->negotiated)
		return fail(context, "a second option negotiation");
	if (length < 12)
		return fail(context, "short option negotiation");
	version = milter_get_u32(data);
	actions = milter_get_u32(data + 4);
	offered = milter_get_u32(data + 8);
	if (version < 2)
		return fail(context, "milter protocol version below 2");
	if ((context->filter->actions & ~actions) != 0) {
		snprintf(context->error, sizeof(context->error),
		    "the MTA does not allow the actions %s needs "
		    "(offered 0x%lx, needed 0x%lx)",
		    context->filter->name, actions, context->filter->actions);
		return false;
	}
	context->protocol =
	    context->filter->protocol & offered & ~PROTOCOL_INTERNAL;
	/* Length, command, three numbers, then (version 6) the macro lists
	 * asked for, each a stage number and a string. */
	for (lists = context->filter->macro_lists;
	     version >= PROTOCOL_VERSION && lists != NULL && lists->names;
	     lists++)
		extra += 4 + strlen(lists->names) + 1;
	milter_put_u32(&context->out, (uint32_t)(1 + 12 + extra));
	buffer_append_char(&context->out, SMFIC_OPTNEG);
	milter_put_u32(&context->out,
	    version < PROTOCOL_VERSION ? (uint32_t)version : PROTOCOL_VERSION);
	milter_put_u32(&context->out, (uint32_t)context->filter->actions);
	milter_put_u32(&context->out, (uint32_t)context->protocol);
	for (lists = context->filter->macro_lists; extra > 0 && lists->names;
	     lists++) {
		milter_put_u32(&context->out, (uint32_t)lists->stage);
		buffer_append(
		    &context->out, lists->names, strlen(lists->names) + 1);
	}
	context->negotiated = true;
	context->held = MILTER_CONTINUE;
	context->state = context->filter->open != NULL
	                     ? context->filter->open(context)
	                     : NULL;
	return true;
}

/* The strings of a packet: all there, each ending in NUL. */
static size_t
count_strings(const unsigned char *data, size_t length)
{
	size_t count = 0;

	if (length == 0 || data[length - 1] != '\0')
		return 0;
	for (size_t i = 0; i < length; i++)
		count += data[i] == '\0';
	return count;
}

static bool
store_macros(
    struct milter_context *context, const unsigned char *data, size_t length)
{
	size_t stage, strings;

	if (length == 0)
		return fail(context, "empty macro packet");
	/* Name and value pairs, or none. */
	strings = length > 1 ? count_strings(data + 1, length - 1) : 0;
	if (length > 1 && (strings == 0 || strings % 2 != 0))
		return fail(context, "malformed macro packet");
	stage = stage_index((char)data[0]);
	if (stage == MACRO_STAGES)
		return true; /* a stage we never look at */
	clear_macros_from(context, stage);
	buffer_append(&context->macros[stage], data + 1, length - 1);
	return true;
}

static bool
connect_step(
    struct milter_context *context, const unsigned char *data, size_t length)
{
	struct milter_client_address address = {0};
	const char *hostname = (const char *)data, *text;
	const unsigned char *end;
	size_t used;
	char family;

	/* hostname NUL family [port(2) address NUL] */
	end = memchr(data, '\0', length);
	if (end == NULL || (used = (size_t)(end - data) + 1) >= length)
		return fail(context, "malformed connect packet");
	family = (char)data[used++];
	if (family == SMFIA_INET || family == SMFIA_INET6) {
		if (length - used < 3 || data[length - 1] != '\0')
			return fail(context, "malformed connect packet");
		text = (const char *)data + used + 2; /* after the port */
		if (family == SMFIA_INET6 && strncasecmp(text, "IPv6:", 5) == 0)
			text += 5;
		address.family = family == SMFIA_INET ? AF_INET : AF_INET6;
		if (inet_pton(address.family, text, address.bytes) != 1)
			return fail(
			    context, "bad client address \"%.64s\"", text);
	} else if (family != SMFIA_UNIX && family != SMFIA_UNKNOWN)
		return fail(context, "unknown address family");
	answer(context, SMFIP_NR_CONN,
	    context->filter->connect != NULL
	        ? context->filter->connect(
	              context, context->state, hostname, &address)
	        : MILTER_CONTINUE);
	return true;
}

/* Whether a step skips its callback: a verdict is held (sent now if
 * the MTA waits for this step's reply), or the message already has its
 * verdict (the MTA should send no more of it; "continue" if it waits). */
static bool
skip_step(struct milter_context *context, unsigned long no_reply_flag)
{
	bool replied =
	    !(no_reply_flag != 0 && (context->protocol & no_reply_flag));

	if (context->held != MILTER_CONTINUE) {
		if (replied)
			send_verdict(context, context->held);
		return true;
	}
	if (context->message_over) {
		if (replied)
			send_verdict(context, MILTER_CONTINUE);
		return true;
	}
	return false;
}

static void
message_done(struct milter_context *context)
{
	context->in_message = false;
	context->held = MILTER_CONTINUE;
	context->message_over = false;
	context->reply[0] = '\0';
}

static bool
header_step(
    struct milter_context *context, const unsigned char *data, size_t length)
{
	const char *name = (const char *)data;
	enum milter_status status = MILTER_CONTINUE;

	if (count_strings(data, length) != 2)
		return fail(context, "malformed header packet");
	if (skip_step(context, SMFIP_NR_HDR))
		return true;
	if (context->filter->header != NULL)
		status = context->filter->header(
		    context, context->state, name, name + strlen(name) + 1);
	answer(context, SMFIP_NR_HDR, status);
	return true;
}

static void
end_of_message_step(
    struct milter_context *context, const unsigned char *data, size_t length)
{
	const struct milter_filter *filter = context->filter;
	enum milter_status status = MILTER_CONTINUE;
	double started = monotonic_ms_exact();

	if (!skip_step(context, 0)) {
		/* A last body chunk may come with the end of the message. */
		if (length > 0 && filter->body != NULL)
			status =
			    filter->body(context, context->state, data, length);
		if (status == MILTER_CONTINUE &&
		    filter->end_of_message != NULL) {
			context->in_end_of_message = true;
			status =
			    filter->end_of_message(context, context->state);
			context->in_end_of_message = false;
		}
		/* "continue" here lets the message through: an accept. */
		if (status == MILTER_CONTINUE)
			milter_metrics_verdict(MILTER_ACCEPT);
		send_verdict(context, status);
	}
	message_done(context);
	milter_metrics_end_of_message((monotonic_ms_exact() - started) / 1000);
}

static enum milter_status
simple_step(struct milter_context *context,
    enum milter_status (*callback)(struct milter_context *, void *))
{
	return callback != NULL ? callback(context, context->state)
	                        : MILTER_CONTINUE;
}

static bool
mail_step(
    struct milter_context *context, const unsigned char *data, size_t length)
{
	const char *arguments[MILTER_MAIL_ARGUMENTS_MAX + 1];
	size_t count = 0;

	if (count_strings(data, length) == 0)
		return fail(context, "malformed MAIL packet");
	context->message_over = false; /* a new message */
	if (skip_step(context, SMFIP_NR_MAIL))
		return true;
	/* sender NUL [parameter NUL]... */
	for (size_t at = 0; at < length && count < MILTER_MAIL_ARGUMENTS_MAX;
	     at += strlen((const char *)data + at) + 1)
		arguments[count++] = (const char *)data + at;
	arguments[count] = NULL;
	answer(context, SMFIP_NR_MAIL,
	    context->filter->mail != NULL
	        ? context->filter->mail(context, context->state, arguments)
	        : MILTER_CONTINUE);
	return true;
}

/* One whole packet; false closes the connection. */
static bool
packet(struct milter_context *context, char command, const unsigned char *data,
    size_t length)
{
	const struct milter_filter *filter = context->filter;

	if (command == SMFIC_OPTNEG)
		return negotiate(context, data, length);
	if (command == SMFIC_QUIT)
		return true; /* the caller stops */
	if (!context->negotiated)
		return fail(context, "command 0x%02x before option negotiation",
		    (unsigned char)command);
	if (memchr(message_commands, command, sizeof(message_commands)))
		context->in_message = true;
	switch (command) {
	case SMFIC_MACRO:
		return store_macros(context, data, length);
	case SMFIC_CONNECT:
		return connect_step(context, data, length);
	case SMFIC_MAIL:
		return mail_step(context, data, length);
	case SMFIC_HELO:
	case SMFIC_RCPT:
	case SMFIC_DATA:
	case SMFIC_UNKNOWN: { /* steps no filter here has a callback for */
		unsigned long flag = command == SMFIC_HELO   ? SMFIP_NR_HELO
		                     : command == SMFIC_RCPT ? SMFIP_NR_RCPT
		                     : command == SMFIC_DATA ? SMFIP_NR_DATA
		                                             : SMFIP_NR_UNKN;
		if (!skip_step(context, flag))
			answer(context, flag, MILTER_CONTINUE);
		return true;
	}
	case SMFIC_HEADER:
		return header_step(context, data, length);
	case SMFIC_EOH:
		if (!skip_step(context, SMFIP_NR_EOH))
			answer(context, SMFIP_NR_EOH,
			    simple_step(context, filter->end_of_headers));
		return true;
	case SMFIC_BODY:
		if (!skip_step(context, SMFIP_NR_BODY))
			answer(context, SMFIP_NR_BODY,
			    filter->body != NULL
			        ? filter->body(
			              context, context->state, data, length)
			        : MILTER_CONTINUE);
		return true;
	case SMFIC_BODYEOB:
		end_of_message_step(context, data, length);
		return true;
	case SMFIC_ABORT:
		if (filter->abort != NULL)
			filter->abort(context, context->state);
		message_done(context);
		clear_macros_from(context, stage_index(SMFIC_MAIL));
		return true;
	case SMFIC_QUIT_NC:
		close_filter(context);
		return true;
	default:
		return fail(
		    context, "unknown command 0x%02x", (unsigned char)command);
	}
}

enum milter_input
milter_context_input(struct milter_context *context, const unsigned char *data,
    size_t length, size_t *consumed, size_t *wanted)
{
	size_t at = 0;

	*wanted = 5;
	while (length - at >= 5) {
		uint32_t packet_length = milter_get_u32(data + at);
		char command = (char)data[at + 4];

		if (packet_length == 0 || packet_length > MILTER_PACKET_MAX) {
			snprintf(context->error, sizeof(context->error),
			    "packet of %lu bytes (the limit is %d)",
			    (unsigned long)packet_length, MILTER_PACKET_MAX);
			*consumed = at;
			return MILTER_INPUT_ERROR;
		}
		if (length - at < 4 + (size_t)packet_length) {
			*wanted = 4 + (size_t)packet_length;
			break;
		}
		if (!packet(
		        context, command, data + at + 5, packet_length - 1)) {
			*consumed = at;
			return MILTER_INPUT_ERROR;
		}
		at += 4 + (size_t)packet_length;
		if (command == SMFIC_QUIT) {
			*consumed = at;
			return MILTER_INPUT_QUIT;
		}
	}
	*consumed = at;
	return MILTER_INPUT_MORE;
}
