/*
 * NAME
 *	headers_milter - the milter callbacks of waypost-headers
 * SYNOPSIS
 *	#include "headers_milter.h"
 *
 *	const struct milter_filter headers_milter_filter
 * DESCRIPTION
 *	The filter milter_server.c serves; for each message:
 *
 *	MAIL FROM   the client's address from {client_addr} (the connect
 *	            step is skipped: a wake-up less per SMTP session);
 *	            note whether the client is trusted (internal_networks,
 *	            local submission, or authenticated), its SMTP AUTH name
 *	            ({auth_authen}, for rule 2's sender identities) and
 *	            whether it asked for SMTPUTF8; take the current runtime.
 *	headers     kept as received (milters/common/header_store.c), within
 *	            HEADER_LIST_COUNT_MAX and HEADER_LIST_BYTES_MAX.
 *	end of msg  run the rules (normalize.c) over the edits planned on
 *	            them (header_list.c), then either refuse the
 *	            message (550 and the rule's text) or send its edits,
 *	            which the milter protocol allows only here, and log one
 *	            line with the queue ID naming every change. With
 *	            report_only the line says what would have been done and
 *	            nothing is.
 *
 *	Over the header bounds, on_oversize decides: reject (552 5.3.4) or
 *	accept unchanged; one log line either way. The body is never asked
 *	for (SMFIP_NOBODY), and no step but the end of the message waits
 *	for a reply.
 * SECURITY
 *	Every header is from the MTA's client: stored within bounds, read
 *	by the rules only, logged escaped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "header_list.h"
#include "header_store.h"
#include "headers_milter.h"
#include "headers_runtime.h"
#include "log.h"
#include "milter_client_facts.h"
#include "milter_drain.h"
#include "milter_engine.h"
#include "normalize.h"
#include "sender_identity.h"
#include "text_copy.h"
#include "xmalloc.h"

struct message {
	struct headers_runtime *runtime;
	struct header_store headers;
	bool trusted_client;
	bool smtputf8;
	bool refused_stopping;
	bool in_flight;                   /* counted by milter_drain.c */
	char user[IDENTITY_USER_MAX + 1]; /* empty: not authenticated */
	char queue_id[MILTER_QUEUE_ID_MAX];
};

struct connection {
	struct milter_client_address address;
	struct message *message;
};

#define WANTED_PROTOCOL                                                        \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NODATA |        \
	    SMFIP_NOUNKNOWN | SMFIP_NOBODY | SMFIP_NR_CONN | SMFIP_NR_MAIL |   \
	    SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_HDR_LEADSPC)

static void
message_free(struct connection *connection)
{
	struct message *message = connection->message;

	if (message == NULL)
		return;
	if (message->in_flight)
		milter_drain_leave();
	header_store_free(&message->headers);
	headers_runtime_release(message->runtime);
	free(message);
	connection->message = NULL;
}

static const char *
queue_id(struct milter_context *context, struct message *message)
{
	return milter_queue_id(context, message->queue_id);
}

static void *
callback_open(struct milter_context *context)
{
	struct connection *connection = xcalloc(1, sizeof(*connection));

	(void)context;
	connection->address.family = MILTER_ADDRESS_MISSING;
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
	return MILTER_CONTINUE;
}

static enum milter_status
callback_mail(
    struct milter_context *context, void *state, const char *const *arguments)
{
	struct connection *connection = state;
	struct message *message;
	const char *user;

	message_free(connection);
	message = connection->message = xcalloc(1, sizeof(*message));
	header_store_init(&message->headers, &header_list_limits,
	    milter_protocol(context) & SMFIP_HDR_LEADSPC);
	message->in_flight = milter_drain_enter();
	message->runtime = headers_runtime_acquire();
	if (!message->in_flight || message->runtime == NULL) {
		message->refused_stopping = true;
		return MILTER_CONTINUE;
	}
	milter_client_from_macro(context, &connection->address);
	message->trusted_client =
	    milter_client_authenticated(context) ||
	    milter_client_internal(&connection->address,
	        &message->runtime->config->internal_networks);
	user = milter_macro(context, "{auth_authen}");
	if (user != NULL)
		text_copy(message->user, sizeof(message->user), user);
	for (size_t i = 1; arguments[i] != NULL; i++)
		message->smtputf8 |= strcasecmp(arguments[i], "SMTPUTF8") == 0;
	return MILTER_CONTINUE;
}

static enum milter_status
callback_header(struct milter_context *context, void *state, const char *name,
    const char *value)
{
	struct connection *connection = state;
	struct message *message = connection->message;

	(void)context;
	if (message != NULL && !message->refused_stopping)
		header_store_receive(&message->headers, name, value);
	return MILTER_CONTINUE;
}

static enum milter_status
oversize(struct milter_context *context, struct connection *connection)
{
	struct message *message = connection->message;
	bool reject =
	    message->runtime->config->on_oversize == OVERSIZE_REJECT &&
	    !message->runtime->config->report_only;

	log_event(LOG_LEVEL_WARNING, queue_id(context, message),
	    "more than %zu headers or %zu bytes of headers: %s",
	    message->headers.limits.count_max,
	    message->headers.limits.bytes_max,
	    reject ? "rejected (on_oversize = reject)"
	           : "passed unchanged (on_oversize = accept)");
	message_free(connection);
	if (!reject)
		return MILTER_ACCEPT;
	milter_set_reply(context, "552", "5.3.4", "Message header too large");
	return MILTER_REJECT;
}

static enum milter_status
refuse(struct milter_context *context, struct connection *connection,
    const struct rule_context *rules)
{
	struct message *message = connection->message;
	bool report_only = message->runtime->config->report_only;

	log_event(LOG_LEVEL_NOTICE, queue_id(context, message),
	    "%s%s %s %s%s%s",
	    report_only ? "report only: would have rejected: " : "rejected: ",
	    rules->reply_code, rules->status, rules->reply_text,
	    rules->changes.length ? "; after: " : "", rules->changes.data);
	if (report_only)
		return MILTER_ACCEPT;
	milter_set_reply(
	    context, rules->reply_code, rules->status, rules->reply_text);
	return rules->reply_code[0] == '4' ? MILTER_TEMPFAIL : MILTER_REJECT;
}

/* One edit as a milter request; false if the MTA refused it. */
static bool
send_edit(void *context, const struct header_operation *operation)
{
	return operation->kind == HEADER_OPERATION_CHANGE
	           ? milter_change_header(context, operation->index,
	                 operation->name, operation->value)
	           : milter_insert_header(context, operation->index,
	                 operation->name, operation->value);
}

static enum milter_status
callback_eom(struct milter_context *context, void *state)
{
	struct connection *connection = state;
	struct message *message = connection->message;
	struct header_list headers;
	struct rule_context rules;
	enum milter_status status = MILTER_ACCEPT;

	if (message == NULL)
		return MILTER_CONTINUE;
	if (message->refused_stopping) {
		message_free(connection);
		milter_set_reply(context, "451", "4.3.2",
		    "Header filter shutting down, try again later");
		return MILTER_TEMPFAIL;
	}
	if (message->headers.over_limit)
		return oversize(context, connection);
	header_list_init(&headers, &message->headers);
	normalize_context_init(&rules, message->runtime->config, &headers);
	rules.trusted_client = message->trusted_client;
	rules.smtputf8 = message->smtputf8;
	rules.user = message->user[0] ? message->user : NULL;
	rules.owns = identity_sources_owns;
	rules.identity_source = &message->runtime->identities;
	rules.queue_id = queue_id(context, message);
	rules.message_id_domain = message->runtime->message_id_domain;
	rules.authserv_id = message->runtime->authserv_id;
	if (normalize(&rules) == RULE_REFUSE)
		status = refuse(context, connection, &rules);
	else if (rules.changes.length == 0)
		log_event(LOG_LEVEL_DEBUG, rules.queue_id, "headers clean");
	else if (message->runtime->config->report_only)
		log_event(LOG_LEVEL_INFO, rules.queue_id,
		    "report only: would have %s", rules.changes.data);
	else if (header_list_send_operations(&headers, send_edit, context))
		log_event(LOG_LEVEL_INFO, rules.queue_id, "normalized: %s",
		    rules.changes.data);
	else {
		log_event(LOG_LEVEL_ERROR, rules.queue_id,
		    "the MTA refused a header change: temporary failure");
		milter_set_reply(context, "451", "4.3.0",
		    "Header normalization failed, try again later");
		status = MILTER_TEMPFAIL;
	}
	normalize_context_free(&rules);
	header_list_free(&headers);
	message_free(connection);
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
	(void)context;
	message_free(state);
	free(state);
}

const struct milter_filter headers_milter_filter = {
    .name = "waypost-headers",
    .actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
    .protocol = WANTED_PROTOCOL,
    .macro_lists = milter_client_macros,
    .open = callback_open,
    .connect = callback_connect,
    .mail = callback_mail,
    .header = callback_header,
    .end_of_message = callback_eom,
    .abort = callback_abort,
    .close = callback_close,
};
