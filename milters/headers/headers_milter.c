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
 *	Each rule that changed a message is counted, and each refusal by
 *	its rule or reason (headers_metrics.c), when the MTA got them.
 *
 *	Over the header bounds, on_oversize decides: reject (552 5.3.4) or
 *	accept unchanged; one log line either way. The body is never asked
 *	for (SMFIP_NOBODY), and no step but the end of the message waits
 *	for a reply. A message's life (milters/common/milter_message.c)
 *	runs from MAIL FROM to its verdict: counted in flight (once a stop
 *	refuses new ones, they get 451 4.3.2, as they do when no runtime
 *	is loaded), holding the runtime it began with, its queue ID and
 *	headers.
 * SECURITY
 *	Every header is from the MTA's client: stored within bounds, read
 *	by the rules only, logged escaped.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "daemon.h"
#include "header_list.h"
#include "headers_metrics.h"
#include "headers_milter.h"
#include "headers_runtime.h"
#include "log.h"
#include "milter_client_facts.h"
#include "milter_engine.h"
#include "milter_message.h"
#include "normalize.h"
#include "sender_identity.h"
#include "text_copy.h"

struct message {
	struct milter_message common; /* first: milter_message.c's part */
	bool trusted_client;
	bool smtputf8;
	char user[IDENTITY_USER_MAX + 1]; /* empty: not authenticated */
};

#define WANTED_PROTOCOL                                                        \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NODATA |        \
	    SMFIP_NOUNKNOWN | SMFIP_NOBODY | SMFIP_NR_CONN | SMFIP_NR_MAIL |   \
	    SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_HDR_LEADSPC)

static const struct milter_message_kind message_kind = {
    .size = sizeof(struct message),
    .limits = &header_list_limits,
    .acquire = daemon_runtime_acquire,
};

static struct message *
message_of(const struct milter_connection *connection)
{
	return (struct message *)connection->message;
}

static struct headers_runtime *
runtime_of(const struct message *message)
{
	return (struct headers_runtime *)message->common.runtime;
}

static const char *
queue_id(struct milter_context *context, struct message *message)
{
	return milter_message_queue_id(&message->common, context);
}

static enum milter_status
callback_mail(
    struct milter_context *context, void *state, const char *const *arguments)
{
	struct milter_connection *connection = state;
	struct message *message;
	const char *user;

	message = (struct message *)milter_message_begin(
	    connection, context, &message_kind);
	if (message->common.start != MILTER_MESSAGE_TAKEN)
		return MILTER_CONTINUE;
	milter_client_from_macro(context, &connection->address);
	message->trusted_client =
	    milter_client_authenticated(context) ||
	    milter_client_internal(&connection->address,
	        &runtime_of(message)->config->internal_networks);
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
	struct milter_connection *connection = state;

	(void)context;
	if (connection->message != NULL)
		milter_message_header(connection->message, name, value);
	return MILTER_CONTINUE;
}

static enum milter_status
oversize(struct milter_context *context, struct milter_connection *connection)
{
	struct message *message = message_of(connection);
	const struct headers_section *config = runtime_of(message)->config;
	bool reject =
	    config->on_oversize == OVERSIZE_REJECT && !config->report_only;

	log_event(LOG_LEVEL_WARNING, queue_id(context, message),
	    "more than %zu headers or %zu bytes of headers: %s",
	    message->common.headers.limits.count_max,
	    message->common.headers.limits.bytes_max,
	    reject ? "rejected (on_oversize = reject)"
	           : "passed unchanged (on_oversize = accept)");
	milter_message_end(connection);
	if (!reject)
		return MILTER_ACCEPT;
	headers_metrics_refused(REFUSAL_OVERSIZE);
	milter_set_reply(context, "552", "5.3.4", "Message header too large");
	return MILTER_REJECT;
}

static enum milter_status
refuse(struct milter_context *context, struct message *message,
    const struct rule_context *rules)
{
	bool report_only = runtime_of(message)->config->report_only;

	log_event(LOG_LEVEL_NOTICE, queue_id(context, message),
	    "%s%s %s %s%s%s",
	    report_only ? "report only: would have rejected: " : "rejected: ",
	    rules->reply_code, rules->status, rules->reply_text,
	    rules->changes.length ? "; after: " : "", rules->changes.data);
	if (report_only)
		return MILTER_ACCEPT;
	headers_metrics_refused_by_rule(rules);
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

/* The rules over the message's headers, and what comes of them. */
static enum milter_status
normalize_message(struct milter_context *context, struct message *message)
{
	struct headers_runtime *runtime = runtime_of(message);
	struct header_list headers;
	struct rule_context rules;
	enum milter_status status = MILTER_ACCEPT;

	header_list_init(&headers, &message->common.headers);
	normalize_context_init(&rules, runtime->config, &headers);
	rules.trusted_client = message->trusted_client;
	rules.smtputf8 = message->smtputf8;
	rules.user = message->user[0] ? message->user : NULL;
	rules.owns = identity_sources_owns;
	rules.identity_source = &runtime->identities;
	rules.queue_id = queue_id(context, message);
	rules.message_id_domain = runtime->message_id_domain;
	rules.authserv_id = runtime->authserv_id;
	if (normalize(&rules) == RULE_REFUSE)
		status = refuse(context, message, &rules);
	else if (rules.changes.length == 0)
		log_event(LOG_LEVEL_DEBUG, rules.queue_id, "headers clean");
	else if (runtime->config->report_only)
		log_event(LOG_LEVEL_INFO, rules.queue_id,
		    "report only: would have %s", rules.changes.data);
	else if (header_list_send_operations(&headers, send_edit, context)) {
		headers_metrics_repaired(&rules);
		log_event(LOG_LEVEL_INFO, rules.queue_id, "normalized: %s",
		    rules.changes.data);
	} else {
		headers_metrics_refused(REFUSAL_MTA_REFUSED);
		log_event(LOG_LEVEL_ERROR, rules.queue_id,
		    "the MTA refused a header change: temporary failure");
		milter_set_reply(context, "451", "4.3.0",
		    "Header normalization failed, try again later");
		status = MILTER_TEMPFAIL;
	}
	normalize_context_free(&rules);
	header_list_free(&headers);
	return status;
}

static enum milter_status
callback_eom(struct milter_context *context, void *state)
{
	struct milter_connection *connection = state;
	struct message *message = message_of(connection);
	enum milter_status status;

	if (message == NULL)
		return MILTER_CONTINUE;
	if (message->common.start != MILTER_MESSAGE_TAKEN) {
		headers_metrics_refused(
		    message->common.start == MILTER_MESSAGE_STOPPING
		        ? REFUSAL_SHUTTING_DOWN
		        : REFUSAL_NOT_READY);
		milter_message_end(connection);
		milter_set_reply(context, "451", "4.3.2",
		    "Header filter shutting down, try again later");
		return MILTER_TEMPFAIL;
	}
	if (message->common.headers.over_limit)
		return oversize(context, connection);
	status = normalize_message(context, message);
	milter_message_end(connection);
	return status;
}

const struct milter_filter headers_milter_filter = {
    .name = "waypost-headers",
    .actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
    .protocol = WANTED_PROTOCOL,
    .macro_lists = milter_client_macros,
    .open = milter_connection_open,
    .connect = milter_connection_connect,
    .mail = callback_mail,
    .header = callback_header,
    .end_of_message = callback_eom,
    .abort = milter_message_abort,
    .close = milter_connection_close,
};
