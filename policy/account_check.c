/*
 * NAME
 *	account_check - ownership, suspension, compromise, warm-up, suppression
 * SYNOPSIS
 *	#include "account_check.h"
 *
 *	bool account_check_prepare(config, identities, request, check,
 *		queue_id, action, action_size)
 *	void account_check_call(check, config, request, call)
 *	bool account_check_answer(check, config, queue_id, answer, action,
 *		action_size)
 * DESCRIPTION
 *	The checks of an account that Redis answers, in the same call of
 *	decide_script.lua as the limits (policy_decide.c):
 *
 *	.  suspension (check_suspension): the user, or the sender's
 *	   domain, has a key "suspended:user:USER" or
 *	   "suspended:domain:DOMAIN" (a user named "@example.net" is no
 *	   domain, whatever its name holds);
 *	.  sender ownership (check_sender_ownership): an authenticated
 *	   user sends as an address it was granted, or from a domain it
 *	   was granted; identities_file is asked first, then the user's set
 *	   "senders:USER" (lib/sender_identity.c, which waypost-headers
 *	   shares);
 *	.  compromise detection (detect_compromise): more than
 *	   compromise_max_addresses client addresses, or more than
 *	   compromise_max_failures messages refused for their sender, for
 *	   one user within compromise_window suspends it;
 *	.  the warm-up cap of the sender's domain ([warmup "NAME"]);
 *	.  suppression (check_suppression), at RCPT: the recipient (in
 *	   lower case, lib/mail_domain.c) has a key
 *	   "suppressed:TENANT:ADDRESS" for the message's tenant (the user
 *	   who logged in, else the sender, as the limits' subjects) or
 *	   "suppressed-any:ADDRESS" for every tenant: it bounced for good
 *	   before (waypost-trackd wrote the key) or an admin suppressed it.
 *	   The refusal is "550 5.1.1 recipient suppressed since DATE
 *	   (REASON)", which Postfix sends after the recipient's address.
 *
 *	account_check_prepare() works out which of them a request needs,
 *	into check. Some refusals need no Redis, and it makes them at once
 *	(true, with the action): with check_sender_ownership, an
 *	authenticated user outside trusted_networks sending with the null
 *	sender (bounces come from the relay's own trusted systems), or with
 *	a sender or user name that cannot be granted (no "@", white space,
 *	too long). account_check_call() writes what the checks ask of the
 *	script into its call (script_call.c). account_check_answer() turns
 *	the script's answers of the checks (suspended, not owned,
 *	compromised, warm-up cap, suppressed) into an action, with one log line naming
 *	the check; false for the other answers.
 *
 *	Users, senders and domains are used in lower case.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account_check.h"
#include "config_value.h"
#include "limit_usage.h"
#include "log.h"
#include "mail_domain.h"
#include "relay_check.h"
#include "tracker_words.h"
#include "text_copy.h"

#define SHOWN_MAX 330 /* bytes of a name in an answer or log line */

/* text as printable ASCII only: it goes back to Postfix on one line. */
static void
shown(char *out, size_t size, const char *text)
{
	size_t n = 0;

	for (; *text != '\0' && n + 1 < size && n < SHOWN_MAX; text++)
		out[n++] = *text >= ' ' && *text < 127 ? *text : '?';
	out[n] = '\0';
}

static void
not_owned(const char *sender_text, const char *user_text, const char *queue_id,
    char *action, size_t action_size)
{
	char sender[SHOWN_MAX + 1], user[SHOWN_MAX + 1];

	shown(sender, sizeof(sender), sender_text);
	shown(user, sizeof(user), user_text);
	snprintf(action, action_size,
	    "REJECT 5.7.1 Sender address <%s> not owned by user %s", sender,
	    user);
	log_event(
	    LOG_LEVEL_NOTICE, queue_id, "check sender_ownership: %s", action);
}

bool
account_check_prepare(const struct policy_config *config,
    const struct identity_file *identities,
    const struct policy_request *request, struct account_check *check,
    const char *queue_id, char *action, size_t action_size)
{
	const struct policy_section *policy = &config->policy;
	const char *user = policy_request_value(request, POLICY_SASL_USERNAME);
	const char *sender = policy_request_value(request, POLICY_SENDER);
	bool usable;

	memset(check, 0, sizeof(*check));
	usable = user[0] != '\0' &&
	         sender_identity_user(user, check->user, sizeof(check->user));
	check->has_sender =
	    sender[0] != '\0' &&
	    sender_identity_members(sender, strlen(sender), &check->sender);
	if (policy->check_sender_ownership && user[0] != '\0') {
		if (sender[0] == '\0' ? !client_trusted(policy, request)
		                      : !usable || !check->has_sender) {
			not_owned(sender, user, queue_id, action, action_size);
			return true;
		}
		/* A bounce from a trusted system owns nothing to check. */
		if (sender[0] != '\0' && !identity_file_allows(identities,
		                             check->user, &check->sender))
			check->asked |= SCRIPT_ASKS_OWNERSHIP;
	}
	if (policy->check_suspension && (usable || check->has_sender))
		check->asked |= SCRIPT_ASKS_SUSPENSION;
	if (policy->detect_compromise && usable)
		check->asked |= SCRIPT_ASKS_COMPROMISE;
	if (check->has_sender &&
	    (check->warmup = warmup_find(config, check->sender.domain + 1))) {
		check->asked |= SCRIPT_ASKS_WARMUP;
		text_copy(check->warmup_subject, sizeof(check->warmup_subject),
		    warmup_subject(check->warmup, check->sender.domain + 1));
	}
	check->tenant = check->user[0] != '\0' ? check->user
	                : check->has_sender    ? check->sender.address
	                                       : "";
	if (policy->check_suppression && request->state == POLICY_STATE_RCPT &&
	    mail_address_folded(policy_request_value(request, POLICY_RECIPIENT),
	        check->recipient, sizeof(check->recipient)))
		check->asked |= SCRIPT_ASKS_SUPPRESSION;
	return false;
}

void
account_check_call(const struct account_check *check,
    const struct policy_config *config, const struct policy_request *request,
    struct script_call *call)
{
	const struct policy_section *policy = &config->policy;

	call->asks = check->asked;
	call->user = check->user;
	call->sender = check->sender.address;
	call->sender_domain = check->sender.domain;
	call->client = policy_request_value(request, POLICY_CLIENT_ADDRESS);
	call->tenant = check->tenant;
	call->recipient = check->recipient;
	call->detector_window_ms = policy->compromise_window;
	call->detector_max_addresses = policy->compromise_max_addresses;
	call->detector_max_failures = policy->compromise_max_failures;
	if (check->warmup != NULL) {
		call->warmup_name = check->warmup->name;
		call->warmup_subject = check->warmup_subject;
		call->warmup_schedule = &check->warmup->schedule;
	}
}

static void
suspended(const struct account_check *check,
    const struct policy_section *policy, const char *queue_id,
    const struct script_answer *answer, char *action, size_t action_size)
{
	char reason[SHOWN_MAX + 1];

	shown(reason, sizeof(reason), answer->reason);
	/* waypost-trackd's guard paused it: a deferral, by default */
	text_copy(action, action_size,
	    strncmp(answer->reason, GUARD_REASON_PREFIX,
	        strlen(GUARD_REASON_PREFIX)) == 0
	        ? policy->guard_action
	        : policy->suspension_action);
	log_event(LOG_LEVEL_NOTICE, queue_id,
	    "check suspension: %s %s suspended (%s): %s",
	    answer->by_user ? "user" : "domain",
	    answer->by_user ? check->user : check->sender.domain + 1, reason,
	    action);
}

static void
compromised(const struct account_check *check,
    const struct policy_section *policy, const char *queue_id,
    const struct script_answer *answer, char *action, size_t action_size)
{
	char window[32];

	config_format_duration(
	    policy->compromise_window, window, sizeof(window));
	text_copy(action, action_size, policy->suspension_action);
	log_event(LOG_LEVEL_WARNING, queue_id,
	    "check compromise: user %s suspended automatically: %lld %s in "
	    "%s (maximum %lld): %s",
	    check->user, answer->count,
	    answer->by_addresses ? "client addresses"
	                         : "messages from senders not owned",
	    window,
	    answer->by_addresses ? policy->compromise_max_addresses
	                         : policy->compromise_max_failures,
	    action);
}

static void
warmup_capped(const struct account_check *check, const char *queue_id,
    const struct script_answer *answer, char *action, size_t action_size)
{
	if (check->warmup->action != NULL)
		text_copy(action, action_size, check->warmup->action);
	else
		snprintf(action, action_size,
		    "DEFER_IF_PERMIT 4.7.1 warm-up cap for %s reached",
		    check->warmup_subject);
	log_event(LOG_LEVEL_NOTICE, queue_id,
	    "check warmup %s: %s on day %lld at %lld of %lld: %s",
	    check->warmup->name, check->warmup_subject, answer->day,
	    answer->sent, answer->cap, action);
}

static void
suppressed(const struct account_check *check, const char *queue_id,
    const struct script_answer *answer, char *action, size_t action_size)
{
	char reason[SHOWN_MAX + 1], since[32] = "";
	time_t when = (time_t)answer->since;
	struct tm day;

	shown(reason, sizeof(reason), answer->reason);
	if (answer->since > 0 && gmtime_r(&when, &day) != NULL)
		strftime(since, sizeof(since), " since %Y-%m-%d", &day);
	snprintf(action, action_size,
	    "550 5.1.1 " SUPPRESSION_REFUSAL_WORDS "%s (%s)", since, reason);
	log_event(LOG_LEVEL_NOTICE, queue_id,
	    "check suppression: <%s> suppressed for %s%s (%s): %s",
	    check->recipient, answer->for_tenant ? "tenant " : "every tenant",
	    answer->for_tenant ? check->tenant : "", reason, action);
}

const char *
account_check_name(enum script_outcome outcome)
{
	switch (outcome) {
	case SCRIPT_SUSPENDED:
		return "suspended";
	case SCRIPT_NOT_OWNED:
		return "ownership";
	case SCRIPT_COMPROMISED:
		return "compromised";
	case SCRIPT_WARMUP_CAP:
		return "warmup";
	case SCRIPT_SUPPRESSED:
		return "suppressed";
	default:
		return "other";
	}
}

bool
account_check_answer(const struct account_check *check,
    const struct policy_config *config, const char *queue_id,
    const struct script_answer *answer, char *action, size_t action_size)
{
	const struct policy_section *policy = &config->policy;

	switch (answer->outcome) {
	case SCRIPT_SUSPENDED:
		suspended(check, policy, queue_id, answer, action, action_size);
		return true;
	case SCRIPT_NOT_OWNED:
		not_owned(check->sender.address, check->user, queue_id, action,
		    action_size);
		return true;
	case SCRIPT_COMPROMISED:
		compromised(
		    check, policy, queue_id, answer, action, action_size);
		return true;
	case SCRIPT_WARMUP_CAP:
		if (check->warmup == NULL)
			return false;
		warmup_capped(check, queue_id, answer, action, action_size);
		return true;
	case SCRIPT_SUPPRESSED:
		suppressed(check, queue_id, answer, action, action_size);
		return true;
	default:
		return false;
	}
}
