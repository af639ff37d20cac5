/*
 * NAME
 *	dkim_milter - the milter callbacks of waypost-dkim
 * SYNOPSIS
 *	#include "dkim_milter.h"
 *
 *	const struct milter_filter dkim_milter_filter
 * DESCRIPTION
 *	The filter milter_server.c serves: callbacks run in its worker
 *	threads, each call with its own connection's state; for each
 *	message:
 *
 *	headers     the first begins the message; kept as received
 *	            (milters/common/header_store.c), within
 *	            MESSAGE_HEADERS_MAX headers and MESSAGE_HEADER_BYTES_MAX
 *	            bytes.
 *	end of hdrs the client's address from {client_addr}, then decide
 *	            whether to sign: the client authenticated ({auth_authen}
 *	            or {auth_type} set, with sign_authenticated), or its
 *	            address is in internal_networks, or it is a local
 *	            submission (no address: Postfix's sendmail/pickup
 *	            path). Otherwise the message is accepted unsigned, with
 *	            one log line saying why. Then exactly one From with a
 *	            usable address, else on_error; find the keys
 *	            (SigningTable, else fallback_key); none: accept
 *	            unsigned, logged.
 *	body        hashed as it streams (dkim_body_hash.c), never stored.
 *	end of msg  sign with each key and prepend the DKIM-Signature
 *	            headers, in SigningTable order, with one log line.
 *
 *	Each signature is counted by its key's domain and algorithm, each
 *	message left unsigned by a reason word (dkim_metrics.c).
 *
 *	on_error decides what a message that should be signed but cannot
 *	be gets: tempfail (451 4.7.0: the client keeps it and retries) or
 *	accept (it leaves unsigned). Either way one log line says why.
 *
 *	The protocol negotiation asks the MTA not to send what is not
 *	needed (connect, HELO, MAIL FROM, RCPT, DATA, unknown commands) and
 *	not to wait for replies to the headers, their end and the body
 *	chunks. The macros come at the end of the headers
 *	(milter_client_macros_eoh), where Postfix's cleanup has them, so a
 *	message reaches the milter in one burst, from its first header to
 *	its end, and gets one reply: each step skipped or unanswered was a
 *	wake-up of the milter per message, and one of Postfix, measured.
 *	The price: a verdict made at the end of the headers (not signing,
 *	on_error = tempfail) is held until the end of the message (the
 *	engine sends it then), so Postfix still sends the body of mail this
 *	milter will not sign, and it is not read beyond the socket.
 *
 *	A message's life (milters/common/milter_message.c) runs from its
 *	first header to its verdict: counted in flight by milter_drain.c
 *	(once a stop refuses new ones, they get 451 4.3.2), holding the
 *	runtime it began with (dkim_runtime.c), its queue ID and headers.
 * SECURITY
 *	Every byte of a header or body comes from the MTA's client: stored
 *	within bounds, logged escaped, never parsed beyond the From field.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "buffer.h"
#include "daemon.h"
#include "dkim_address.h"
#include "dkim_body_hash.h"
#include "dkim_metrics.h"
#include "dkim_milter.h"
#include "dkim_runtime.h"
#include "header_store.h"
#include "log.h"
#include "metrics.h"
#include "milter_client_facts.h"
#include "milter_engine.h"
#include "milter_message.h"
#include "text_copy.h"

struct message {
	struct milter_message common; /* first: milter_message.c's part */
	struct author_address author;
	struct signer signers[SIGNATURES_MAX];
	size_t signer_count;
	struct body_hash body;
	bool hashing;
};

/* Steps not needed, and steps not answered: the MTA sends no connect,
 * HELO, MAIL FROM, RCPT, DATA or unknown commands and waits for no reply
 * to headers, their end and body chunks. */
#define WANTED_PROTOCOL                                                        \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |        \
	    SMFIP_NODATA | SMFIP_NOUNKNOWN | SMFIP_NR_CONN | SMFIP_NR_HDR |    \
	    SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC)

static void
message_end(struct milter_message *common)
{
	struct message *message = (struct message *)common;

	if (message->hashing)
		body_hash_free(&message->body);
}

static const struct header_limits header_limits = {
    MESSAGE_HEADERS_MAX, MESSAGE_HEADER_BYTES_MAX};

static const struct milter_message_kind message_kind = {
    .size = sizeof(struct message),
    .limits = &header_limits,
    .acquire = daemon_runtime_acquire,
    .end = message_end,
};

static struct message *
message_of(const struct milter_connection *connection)
{
	return (struct message *)connection->message;
}

static const struct runtime *
runtime_of(const struct message *message)
{
	return (const struct runtime *)message->common.runtime;
}

static const char *
queue_id(struct milter_context *context, struct message *message)
{
	return milter_message_queue_id(&message->common, context);
}

/* A message that should be signed and cannot be: on_error decides. */
static enum milter_status
cannot_sign(struct milter_context *context,
    struct milter_connection *connection, enum dkim_unsigned_reason why,
    const char *reason)
{
	struct message *message = message_of(connection);
	bool tempfail =
	    runtime_of(message)->config->on_error == DKIM_ON_ERROR_TEMPFAIL;

	dkim_metrics_unsigned(why);

	log_event(LOG_LEVEL_WARNING, queue_id(context, message),
	    "not signed: %s; %s", reason,
	    tempfail ? "temporary failure (on_error = tempfail)"
	             : "passed unsigned (on_error = accept)");
	milter_message_end(connection);
	if (!tempfail)
		return MILTER_ACCEPT;
	milter_set_reply(context, "451", "4.7.0",
	    "Message could not be DKIM-signed, try again later");
	return MILTER_TEMPFAIL;
}

/* The client as a log line names it. */
static void
client_text(const struct milter_client_address *address, char *out, size_t size)
{
	if (address->family == AF_INET || address->family == AF_INET6)
		inet_ntop(
		    address->family, address->bytes, out, (socklen_t)size);
	else
		text_copy(
		    out, size, address->family == 0 ? "local" : "unknown");
}

/* A message begins with its first header (MAIL FROM is not sent), or
 * with the end of the headers if it has none. */
static struct message *
message_begin(
    struct milter_context *context, struct milter_connection *connection)
{
	return (struct message *)milter_message_begin(
	    connection, context, &message_kind);
}

/* Whether to sign, by the macros of the end of the headers: why not
 * (and *why as a reason word), or NULL. */
static const char *
not_signing(struct milter_context *context,
    struct milter_connection *connection, enum dkim_unsigned_reason *why)
{
	const struct dkim_section *config =
	    runtime_of(message_of(connection))->config;
	bool authenticated = milter_client_authenticated(context);

	milter_client_from_macro(context, &connection->address);
	if (milter_client_internal(
	        &connection->address, &config->internal_networks) ||
	    (authenticated && config->sign_authenticated))
		return NULL;
	*why = authenticated ? UNSIGNED_AUTHENTICATED_CLIENT
	                     : UNSIGNED_UNTRUSTED_CLIENT;
	return authenticated ? "authenticated, but sign_authenticated = no, "
	                       "and not in internal_networks"
	                     : "neither authenticated nor in internal_networks";
}

static enum milter_status
callback_header(struct milter_context *context, void *state, const char *name,
    const char *value)
{
	struct milter_connection *connection = state;
	struct message *message = message_of(connection);

	if (message == NULL)
		message = message_begin(context, connection);
	milter_message_header(&message->common, name, value);
	return MILTER_CONTINUE;
}

/* The first From header, and how many there are. */
static const struct header_field *
find_from(const struct header_store *headers, size_t *count)
{
	const struct header_field *first = NULL;

	*count = 0;
	for (size_t i = 0; i < headers->count; i++)
		if (strcasecmp(headers->fields[i].name, "From") == 0 &&
		    (*count)++ == 0)
			first = &headers->fields[i];
	return first;
}

/* A message begun while stopping or with no key set: 451, unsigned. */
static enum milter_status
refused(struct milter_context *context, struct milter_connection *connection)
{
	struct message *message = message_of(connection);

	dkim_metrics_unsigned(message->common.start == MILTER_MESSAGE_STOPPING
	                          ? UNSIGNED_SHUTTING_DOWN
	                          : UNSIGNED_NOT_READY);
	if (message->common.start == MILTER_MESSAGE_STOPPING)
		milter_set_reply(context, "451", "4.3.2",
		    "DKIM signer shutting down, try again later");
	else {
		log_event(LOG_LEVEL_ERROR, queue_id(context, message),
		    "no key set loaded: cannot sign");
		milter_set_reply(
		    context, "451", "4.7.0", "DKIM signer not ready");
	}
	milter_message_end(connection);
	return MILTER_TEMPFAIL;
}

static enum milter_status
callback_eoh(struct milter_context *context, void *state)
{
	struct milter_connection *connection = state;
	struct message *message = message_of(connection);
	const struct header_field *from;
	const char *why_not;
	enum dkim_unsigned_reason why;
	char reason[128], client[INET6_ADDRSTRLEN];
	size_t from_count;

	if (message == NULL)
		message = message_begin(context, connection);
	if (message->common.start != MILTER_MESSAGE_TAKEN)
		return refused(context, connection);
	if ((why_not = not_signing(context, connection, &why)) != NULL) {
		dkim_metrics_unsigned(why);
		client_text(&connection->address, client, sizeof(client));
		log_event(LOG_LEVEL_INFO, queue_id(context, message),
		    "not signing: client %s is %s", client, why_not);
		milter_message_end(connection);
		return MILTER_ACCEPT;
	}
	if (message->common.headers.over_limit) {
		snprintf(reason, sizeof(reason),
		    "more than %zu headers or %zu bytes of headers",
		    message->common.headers.limits.count_max,
		    message->common.headers.limits.bytes_max);
		return cannot_sign(
		    context, connection, UNSIGNED_HEADER_LIMIT, reason);
	}
	from = find_from(&message->common.headers, &from_count);
	if (from_count != 1) {
		snprintf(reason, sizeof(reason), "%s From header",
		    from_count == 0 ? "no" : "more than one");
		return cannot_sign(context, connection,
		    from_count == 0 ? UNSIGNED_NO_FROM : UNSIGNED_MULTIPLE_FROM,
		    reason);
	}
	if (!author_address_parse(from->value, &message->author))
		return cannot_sign(context, connection, UNSIGNED_BAD_FROM,
		    "the From header has no usable address");
	message->signer_count = keyset_signers(runtime_of(message)->keyset,
	    &message->author, message->signers, SIGNATURES_MAX);
	if (message->signer_count == 0) {
		dkim_metrics_unsigned(UNSIGNED_NO_KEY);
		log_event(LOG_LEVEL_INFO, queue_id(context, message),
		    "not signing: no SigningTable entry for %s@%s and no "
		    "fallback_key",
		    message->author.local, message->author.domain);
		milter_message_end(connection);
		return MILTER_ACCEPT;
	}
	body_hash_init(&message->body, runtime_of(message)->body_canon,
	    runtime_of(message)->line_limit);
	message->hashing = true;
	return MILTER_CONTINUE;
}

static enum milter_status
callback_body(struct milter_context *context, void *state,
    const unsigned char *data, size_t length)
{
	struct message *message = message_of(state);

	(void)context;
	if (message != NULL && message->hashing)
		body_hash_update(&message->body, (const char *)data, length);
	return MILTER_CONTINUE;
}

/* The header as the MTA wants it: folded with LF TAB, no CR. */
static void
strip_cr(char *text)
{
	char *out = text;

	for (; *text; text++)
		if (*text != '\r')
			*out++ = *text;
	*out = '\0';
}

static enum milter_status
callback_eom(struct milter_context *context, void *state)
{
	struct milter_connection *connection = state;
	struct message *message = message_of(connection);
	const struct runtime *runtime;
	unsigned char body_hash[BODY_HASH_SIZE];
	struct buffer values[SIGNATURES_MAX];
	struct buffer summary = {0};
	char error[256];
	long long now = (long long)time(NULL);
	size_t covered = 0;
	enum milter_status status = MILTER_CONTINUE;

	if (message == NULL || !message->hashing)
		return MILTER_CONTINUE;
	runtime = runtime_of(message);
	memset(values, 0, sizeof(values));
	body_hash_final(&message->body, body_hash);
	for (size_t i = 0; i < message->signer_count; i++) {
		struct signature_request request = {&message->signers[i],
		    runtime->header_canon, runtime->body_canon, body_hash, now,
		    runtime->ttl_seconds ? now + runtime->ttl_seconds : 0,
		    message->common.headers.fields,
		    message->common.headers.count, &runtime->policy};

		if (!signature_make(
		        &request, &values[i], &covered, error, sizeof(error))) {
			status = cannot_sign(
			    context, connection, UNSIGNED_SIGNING_ERROR, error);
			goto done;
		}
		buffer_printf(&summary, "%sd=%s s=%s a=%s h=%zu", i ? "; " : "",
		    message->signers[i].domain, message->signers[i].selector,
		    signature_algorithm_name(message->signers[i].algorithm),
		    covered);
	}
	/* Inserted at the top last-first, so they read in table order. */
	for (size_t i = message->signer_count; i-- > 0;) {
		strip_cr(values[i].data);
		if (!milter_insert_header(
		        context, 0, "DKIM-Signature", values[i].data)) {
			status = cannot_sign(context, connection,
			    UNSIGNED_MTA_REFUSED,
			    "the MTA refused the DKIM-Signature header");
			goto done;
		}
	}
	for (size_t i = 0; i < message->signer_count; i++)
		if (message->signers[i].signatures != NULL)
			metric_inc(message->signers[i].signatures);
	log_event(LOG_LEVEL_INFO, queue_id(context, message), "signed: %s",
	    buffer_text(&summary));
	milter_message_end(connection);
done:
	for (size_t i = 0; i < SIGNATURES_MAX; i++)
		buffer_free(&values[i]);
	buffer_free(&summary);
	return status;
}

static void
callback_close(struct milter_context *context, void *state)
{
	struct message *message = message_of(state);

	if (message != NULL) {
		dkim_metrics_unsigned(UNSIGNED_CONNECTION_LOST);
		log_event(LOG_LEVEL_WARNING, queue_id(context, message),
		    "not signed: the MTA connection ended in the middle of the "
		    "message");
	}
	milter_connection_close(context, state);
}

const struct milter_filter dkim_milter_filter = {
    .name = "waypost-dkim",
    .actions = SMFIF_ADDHDRS,
    .protocol = WANTED_PROTOCOL,
    .macro_lists = milter_client_macros_eoh,
    .open = milter_connection_open,
    .connect = milter_connection_connect,
    .header = callback_header,
    .end_of_headers = callback_eoh,
    .body = callback_body,
    .end_of_message = callback_eom,
    .abort = milter_message_abort,
    .close = callback_close,
};
