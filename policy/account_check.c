/*
 * NAME
 *	account_check - sender ownership, suspension, compromise, warm-up caps
 * SYNOPSIS
 *	#include "account_check.h"
 *
 *	bool account_check_prepare(config, identities, request, check,
 *		queue_id, action, action_size)
 *	void account_check_keys(check, prefix, words)
 *	void account_check_arguments(check, config, request, words)
 *	bool account_check_reply(check, config, queue_id, reply, action,
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
 *	.  the warm-up cap of the sender's domain ([warmup "NAME"]).
 *
 *	account_check_prepare() works out which of them a request needs,
 *	into check. Some refusals need no Redis, and it makes them at once
 *	(true, with the action): with check_sender_ownership, an
 *	authenticated user outside trusted_networks sending with the null
 *	sender (bounces come from the relay's own trusted systems), or with
 *	a sender or user name that cannot be granted (no "@", white space,
 *	too long). account_check_keys() and account_check_arguments() write
 *	the script's KEYS[2..7] and ARGV[4..13]. account_check_reply()
 *	reads the script's answers of the checks (3 to 6) into an action,
 *	with one log line naming the check; false for the other answers.
 *
 *	Users, senders and domains are used in lower case.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "account_check.h"
#include "config_value.h"
#include "log.h"
#include "relay_check.h"
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

static const struct warmup_section *
find_warmup(const struct policy_config *config, const char *domain)
{
	for (size_t i = 0; i < config->warmups.count; i++) {
		const struct warmup_section *warmup = config->warmups.items[i];

		if (domain_list_match(&warmup->domains, domain, strlen(domain)))
			return warmup;
	}
	return NULL;
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
			check->asked |= ACCOUNT_OWNERSHIP;
	}
	if (policy->check_suspension && (usable || check->has_sender))
		check->asked |= ACCOUNT_SUSPENSION;
	if (policy->detect_compromise && usable)
		check->asked |= ACCOUNT_COMPROMISE;
	if (check->has_sender &&
	    (check->warmup = find_warmup(config, check->sender.domain + 1))) {
		check->asked |= ACCOUNT_WARMUP;
		text_copy(check->warmup_subject, sizeof(check->warmup_subject),
		    check->warmup->per == WARMUP_PER_GROUP
		        ? check->warmup->name
		        : check->sender.domain + 1);
	}
	return false;
}

void
account_check_keys(const struct account_check *check, const char *prefix,
    struct script_words *words)
{
	const char *user = check->user;

	if (user[0] != '\0')
		script_word(words, "%ssuspended:user:%s", prefix, user);
	else
		script_word_text(words, "");
	if (check->has_sender)
		script_word(words, "%ssuspended:domain:%s", prefix,
		    check->sender.domain + 1);
	else
		script_word_text(words, "");
	script_word(words, "%ssenders:%s", prefix, user);
	script_word(words, "%sclients:%s", prefix, user);
	script_word(words, "%sfailures:%s", prefix, user);
	if (check->warmup != NULL)
		script_word(words, "%swarmup:%s:%s", prefix,
		    check->warmup->name, check->warmup_subject);
	else
		script_word_text(words, "");
}

void
account_check_arguments(const struct account_check *check,
    const struct policy_config *config, const struct policy_request *request,
    struct script_words *words)
{
	const struct policy_section *policy = &config->policy;
	char window[32];
	size_t schedule;

	script_word(words, "%s%s%s%s",
	    check->asked & ACCOUNT_SUSPENSION ? "s" : "",
	    check->asked & ACCOUNT_OWNERSHIP ? "o" : "",
	    check->asked & ACCOUNT_COMPROMISE ? "c" : "",
	    check->asked & ACCOUNT_WARMUP ? "w" : "");
	script_word_text(words, check->sender.address);
	script_word_text(words, check->sender.domain);
	script_word_text(
	    words, policy_request_value(request, POLICY_CLIENT_ADDRESS));
	script_word_text(words, policy_request_value(request, POLICY_INSTANCE));
	script_word(words, "%lld", policy->compromise_window);
	script_word(words, "%lld", policy->compromise_max_addresses);
	script_word(words, "%lld", policy->compromise_max_failures);
	config_format_duration(
	    policy->compromise_window, window, sizeof(window));
	script_word_text(words, window);
	schedule = words->text.length;
	for (size_t i = 0; check->warmup && i < check->warmup->schedule.count;
	     i++)
		buffer_printf(&words->text, "%*s", ACCOUNT_CAP_WIDTH,
		    check->warmup->schedule.items[i]);
	script_word_text(words, ""); /* the schedule, one word */
	words->lengths[words->count - 1] = words->text.length - schedule;
}

static bool
string_at(const redisReply *reply, size_t i)
{
	return reply->elements > i &&
	       reply->element[i]->type == REDIS_REPLY_STRING;
}

static bool
integer_at(const redisReply *reply, size_t i)
{
	return reply->elements > i &&
	       reply->element[i]->type == REDIS_REPLY_INTEGER;
}

bool
account_check_reply(const struct account_check *check,
    const struct policy_config *config, const char *queue_id,
    const redisReply *reply, char *action, size_t action_size)
{
	const struct policy_section *policy = &config->policy;
	long long code = reply->element[0]->integer;
	char reason[SHOWN_MAX + 1], window[32];

	if (code == 3 && string_at(reply, 1) && string_at(reply, 2)) {
		bool user = strcmp(reply->element[1]->str, "user") == 0;

		shown(reason, sizeof(reason), reply->element[2]->str);
		text_copy(action, action_size, policy->suspension_action);
		log_event(LOG_LEVEL_NOTICE, queue_id,
		    "check suspension: %s %s suspended (%s): %s",
		    user ? "user" : "domain",
		    user ? check->user : check->sender.domain + 1, reason,
		    action);
		return true;
	}
	if (code == 4 && reply->elements == 1) {
		not_owned(check->sender.address, check->user, queue_id, action,
		    action_size);
		return true;
	}
	if (code == 5 && string_at(reply, 1) && integer_at(reply, 2)) {
		bool addresses =
		    strcmp(reply->element[1]->str, "addresses") == 0;

		config_format_duration(
		    policy->compromise_window, window, sizeof(window));
		text_copy(action, action_size, policy->suspension_action);
		log_event(LOG_LEVEL_WARNING, queue_id,
		    "check compromise: user %s suspended automatically: %lld "
		    "%s in %s (maximum %lld): %s",
		    check->user, reply->element[2]->integer,
		    addresses ? "client addresses"
		              : "messages from senders not owned",
		    window,
		    addresses ? policy->compromise_max_addresses
		              : policy->compromise_max_failures,
		    action);
		return true;
	}
	if (code == 6 && check->warmup != NULL && integer_at(reply, 1) &&
	    integer_at(reply, 2) && integer_at(reply, 3)) {
		if (check->warmup->action != NULL)
			text_copy(action, action_size, check->warmup->action);
		else
			snprintf(action, action_size,
			    "DEFER_IF_PERMIT 4.7.1 warm-up cap for %s reached",
			    check->warmup_subject);
		log_event(LOG_LEVEL_NOTICE, queue_id,
		    "check warmup %s: %s on day %lld at %lld of %lld: %s",
		    check->warmup->name, check->warmup_subject,
		    reply->element[3]->integer, reply->element[1]->integer,
		    reply->element[2]->integer, action);
		return true;
	}
	return false;
}
