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
 *	A message is counted in flight by milter_drain.c from its first
 *	header to its verdict; once a stop refuses new ones, they get 451
 *	4.3.2.
 * SECURITY
 *	Every byte of a header or body comes from the MTA's client: stored
 *	within bounds, logged escaped, never parsed beyond the From field.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "buffer.h"
#include "dkim_address.h"
#include "dkim_body_hash.h"
#include "dkim_milter.h"
#include "dkim_runtime.h"
#include "header_store.h"
#include "log.h"
#include "milter_client_facts.h"
#include "milter_drain.h"
#include "milter_engine.h"
#include "text_copy.h"
#include "xmalloc.h"

/* Why a message gets 451 at the end of its headers, if it does. */
enum refusal {
	NOT_REFUSED,
	REFUSED_STOPPING, /* 4.3.2: the daemon is stopping */
	REFUSED_NO_KEYS,  /* 4.7.0: no key set loaded */
};

struct message {
	struct runtime *runtime;
	char queue_id[MILTER_QUEUE_ID_MAX];
	struct header_store headers;
	struct author_address author;
	struct signer signers[SIGNATURES_MAX];
	size_t signer_count;
	struct body_hash body;
	bool hashing;
	enum refusal refused; /* decided at the first header */
	bool in_flight;       /* counted by milter_drain.c */
};

struct connection {
	struct milter_client_address address;
	char client[INET6_ADDRSTRLEN];
	struct message *message;
};

/* Steps not needed, and steps not answered: the MTA sends no connect,
 * HELO, MAIL FROM, RCPT, DATA or unknown commands and waits for no reply
 * to headers, their end and body chunks. */
#define WANTED_PROTOCOL                                                        \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |        \
	    SMFIP_NODATA | SMFIP_NOUNKNOWN | SMFIP_NR_CONN | SMFIP_NR_HDR |    \
	    SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC)

static void
message_free(struct connection *connection)
{
	struct message *message = connection->message;

	if (message == NULL)
		return;
	if (message->in_flight)
		milter_drain_leave();
	header_store_free(&message->headers);
	if (message->hashing)
		body_hash_free(&message->body);
	runtime_release(message->runtime);
	free(message);
	connection->message = NULL;
}

static const char *
queue_id(struct milter_context *context, struct message *message)
{
	return milter_queue_id(context, message->queue_id);
}

/* A message that should be signed and cannot be: on_error decides. */
static enum milter_status
cannot_sign(struct milter_context *context, struct connection *connection,
    const char *reason)
{
	struct message *message = connection->message;
	bool tempfail =
	    message->runtime->config->on_error == DKIM_ON_ERROR_TEMPFAIL;

	log_event(LOG_LEVEL_WARNING, queue_id(context, message),
	    "not signed: %s; %s", reason,
	    tempfail ? "temporary failure (on_error = tempfail)"
	             : "passed unsigned (on_error = accept)");
	message_free(connection);
	if (!tempfail)
		return MILTER_ACCEPT;
	milter_set_reply(context, "451", "4.7.0",
	    "Message could not be DKIM-signed, try again later");
	return MILTER_TEMPFAIL;
}

static void
client_is(struct connection *connection)
{
	const struct milter_client_address *address = &connection->address;

	if (address->family == AF_INET || address->family == AF_INET6)
		inet_ntop(address->family, address->bytes, connection->client,
		    sizeof(connection->client));
	else
		text_copy(connection->client, sizeof(connection->client),
		    address->family == 0 ? "local" : "unknown");
}

/* After the negotiation: this connection's state. */
static void *
callback_open(struct milter_context *context)
{
	struct connection *connection = xcalloc(1, sizeof(*connection));

	(void)context;
	connection->address.family = MILTER_ADDRESS_MISSING;
	client_is(connection);
	return connection;
}

static enum milter_status
callback_connect(struct milter_context *context, void *state,
    const char *hostname, const struct milter_client_address *address)
{
	struct connection *connection = state;

	(void)context;
	(void)hostname;
	connection->address = *address;
	client_is(connection);
	return MILTER_CONTINUE;
}

/* A message begins with its first header (MAIL FROM is not sent), or
 * with the end of the headers if it has none. */
static const struct header_limits header_limits = {
    MESSAGE_HEADERS_MAX, MESSAGE_HEADER_BYTES_MAX};

static struct message *
message_begin(struct milter_context *context, struct connection *connection)
{
	struct message *message;

	message_free(connection);
	message = connection->message = xcalloc(1, sizeof(*message));
	header_store_init(&message->headers, &header_limits,
	    milter_protocol(context) & SMFIP_HDR_LEADSPC);
	message->in_flight = milter_drain_enter();
	if (!message->in_flight)
		message->refused = REFUSED_STOPPING;
	else if ((message->runtime = runtime_acquire()) == NULL)
		message->refused = REFUSED_NO_KEYS;
	return message;
}

/* Whether to sign, by the macros of the end of the headers: why not, or
 * NULL. */
static const char *
not_signing(struct milter_context *context, struct connection *connection)
{
	const struct dkim_section *config =
	    connection->message->runtime->config;
	bool authenticated = milter_client_authenticated(context);

	milter_client_from_macro(context, &connection->address);
	client_is(connection);
	if (milter_client_internal(
	        &connection->address, &config->internal_networks) ||
	    (authenticated && config->sign_authenticated))
		return NULL;
	return authenticated ? "authenticated, but sign_authenticated = no, "
	                       "and not in internal_networks"
	                     : "neither authenticated nor in internal_networks";
}

static enum milter_status
callback_header(struct milter_context *context, void *state, const char *name,
    const char *value)
{
	struct connection *connection = state;
	struct message *message = connection->message;

	if (message == NULL)
		message = message_begin(context, connection);
	if (message->refused == NOT_REFUSED)
		header_store_receive(&message->headers, name, value);
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

static enum milter_status
callback_eoh(struct milter_context *context, void *state)
{
	struct connection *connection = state;
	struct message *message = connection->message;
	const struct header_field *from;
	const char *why_not;
	char reason[128];
	size_t from_count;

	if (message == NULL)
		message = message_begin(context, connection);
	if (message->refused == REFUSED_STOPPING)
		milter_set_reply(context, "451", "4.3.2",
		    "DKIM signer shutting down, try again later");
	if (message->refused == REFUSED_NO_KEYS) {
		log_event(LOG_LEVEL_ERROR, queue_id(context, message),
		    "no key set loaded: cannot sign");
		milter_set_reply(
		    context, "451", "4.7.0", "DKIM signer not ready");
	}
	if (message->refused != NOT_REFUSED) {
		message_free(connection);
		return MILTER_TEMPFAIL;
	}
	if ((why_not = not_signing(context, connection)) != NULL) {
		log_event(LOG_LEVEL_INFO, queue_id(context, message),
		    "not signing: client %s is %s", connection->client,
		    why_not);
		message_free(connection);
		return MILTER_ACCEPT;
	}
	if (message->headers.over_limit) {
		snprintf(reason, sizeof(reason),
		    "more than %zu headers or %zu bytes of headers",
		    message->headers.limits.count_max,
		    message->headers.limits.bytes_max);
		return cannot_sign(context, connection, reason);
	}
	from = find_from(&message->headers, &from_count);
	if (from_count != 1) {
		snprintf(reason, sizeof(reason), "%s From header",
		    from_count == 0 ? "no" : "more than one");
		return cannot_sign(context, connection, reason);
	}
	if (!author_address_parse(from->value, &message->author))
		return cannot_sign(context, connection,
		    "the From header has no usable address");
	message->signer_count = keyset_signers(message->runtime->keyset,
	    &message->author, message->signers, SIGNATURES_MAX);
	if (message->signer_count == 0) {
		log_event(LOG_LEVEL_INFO, queue_id(context, message),
		    "not signing: no SigningTable entry for %s@%s and no "
		    "fallback_key",
		    message->author.local, message->author.domain);
		message_free(connection);
		return MILTER_ACCEPT;
	}
	body_hash_init(&message->body, message->runtime->body_canon,
	    message->runtime->line_limit);
	message->hashing = true;
	return MILTER_CONTINUE;
}

static enum milter_status
callback_body(struct milter_context *context, void *state,
    const unsigned char *data, size_t length)
{
	struct connection *connection = state;

	(void)context;
	if (connection->message != NULL && connection->message->hashing)
		body_hash_update(
		    &connection->message->body, (const char *)data, length);
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
	struct connection *connection = state;
	struct message *message = connection->message;
	unsigned char body_hash[BODY_HASH_SIZE];
	struct buffer values[SIGNATURES_MAX];
	struct buffer summary = {0};
	char error[256];
	long long now = (long long)time(NULL);
	size_t covered = 0;
	enum milter_status status = MILTER_CONTINUE;

	if (message == NULL || !message->hashing)
		return MILTER_CONTINUE;
	memset(values, 0, sizeof(values));
	body_hash_final(&message->body, body_hash);
	for (size_t i = 0; i < message->signer_count; i++) {
		struct signature_request request = {&message->signers[i],
		    message->runtime->header_canon,
		    message->runtime->body_canon, body_hash, now,
		    message->runtime->ttl_seconds
		        ? now + message->runtime->ttl_seconds
		        : 0,
		    message->headers.fields, message->headers.count,
		    &message->runtime->policy};

		if (!signature_make(
		        &request, &values[i], &covered, error, sizeof(error))) {
			status = cannot_sign(context, connection, error);
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
			    "the MTA refused the DKIM-Signature header");
			goto done;
		}
	}
	log_event(LOG_LEVEL_INFO, queue_id(context, message), "signed: %s",
	    buffer_text(&summary));
	message_free(connection);
done:
	for (size_t i = 0; i < SIGNATURES_MAX; i++)
		buffer_free(&values[i]);
	buffer_free(&summary);
	return status;
}

static void
callback_abort(struct milter_context *context, void *state)
{
	(void)context;
	message_free(state);
}

static void
callback_close(struct milter_context *context, void *state)
{
	struct connection *connection = state;

	if (connection->message != NULL)
		log_event(LOG_LEVEL_WARNING,
		    queue_id(context, connection->message),
		    "not signed: the MTA connection ended in the middle of the "
		    "message");
	message_free(connection);
	free(connection);
}

const struct milter_filter dkim_milter_filter = {
    .name = "waypost-dkim",
    .actions = SMFIF_ADDHDRS,
    .protocol = WANTED_PROTOCOL,
    .macro_lists = milter_client_macros_eoh,
    .open = callback_open,
    .connect = callback_connect,
    .header = callback_header,
    .end_of_headers = callback_eoh,
    .body = callback_body,
    .end_of_message = callback_eom,
    .abort = callback_abort,
    .close = callback_close,
};
