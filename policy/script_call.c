/*
 * NAME
 *	script_call - one call of decide_script.lua: typed in, typed out
 * SYNOPSIS
 *	#include "script_call.h"
 *
 *	void script_call_words(call, prefix, words)
 *	void script_call_cache_key(words, limit_count, key)
 *	bool script_call_send(link, words, pending)
 *	void script_answer_read(reply, why, limit_count, answer)
 *	void script_dry_run_read(reply, why, limit_count, answer, details)
 *	void script_activity_split(sent, messages, recipients)
 * DESCRIPTION
 *	The one place that knows the script's contract
 *	(policy/script_contract.h): which key and argument goes where,
 *	and what each reply means. The decision (policy_decide.c,
 *	account_check.c) fills a struct script_call and gets a struct
 *	script_answer; no hiredis type and no position or reply code goes
 *	above this module and redis_link.c.
 *
 *	script_call_words() writes the call's keys and arguments, keys
 *	first after their count, into words as redis_link_eval() sends
 *	them; every key's name is lib/redis_keys.c's, under prefix. A
 *	message without Postfix's instance gets a decision key of its own
 *	("none:" pid and a serial), never shared.
 *
 *	script_call_cache_key() makes, from the words of a check, its key
 *	in the check cache: every word but the two that name the message,
 *	each after its length (the size_t's bytes: only ever compared), so
 *	the same check for another message of the same sender finds it.
 *
 *	script_call_send() sends the words (taking their text over) and
 *	returns false when Redis is not there (the caller applies its fail
 *	mode); otherwise pending->answered(pending->context, answer) is
 *	called once, with Redis' answer or SCRIPT_UNAVAILABLE. pending,
 *	the caller's, must live until then.
 *
 *	script_answer_read() reads a reply (NULL: none, why says why) into
 *	answer. A reply the contract does not have, an error reply, or a
 *	limit index beyond limit_count is SCRIPT_UNAVAILABLE, with the
 *	reason: the caller's fail mode then answers, as when Redis is down.
 *
 *	A dry run (call->dry: waypostctl why) is a check that writes
 *	nothing; script_dry_run_read() reads its reply: the answer as
 *	script_answer_read() reads it, and how each check and limit stands
 *	into details (details->limits: the caller's array of limit_count).
 *	A reply of another shape is SCRIPT_UNAVAILABLE.
 *
 *	script_activity_split() splits a tenant's "sent" activity count
 *	(decide_script.lua: one integer per hour for both) into its
 *	messages and recipients.
 * SECURITY
 *	Suspension and suppression reasons are cut at SCRIPT_REASON_MAX
 *	bytes.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_value.h"
#include "log.h"
#include "redis_keys.h"
#include "script_call.h"
#include "script_contract.h"
#include "text_copy.h"

/* The keys go out in the contract's order, one after the other. */
_Static_assert(
    SCRIPT_KEY_INSTANCE == 1 && SCRIPT_KEY_SUSPENDED_USER == 2 &&
        SCRIPT_KEY_SUSPENDED_DOMAIN == 3 && SCRIPT_KEY_SENDERS == 4 &&
        SCRIPT_KEY_CLIENTS == 5 && SCRIPT_KEY_FAILURES == 6 &&
        SCRIPT_KEY_WARMUP == 7 && SCRIPT_KEY_SUPPRESSED == 8 &&
        SCRIPT_KEY_SUPPRESSED_ANY == 9 && SCRIPT_KEY_ACTIVITY_SENT == 10 &&
        SCRIPT_KEY_ACTIVITY_REFUSALS == 11 && SCRIPT_KEYS_FIXED == 11,
    "script_call_words() writes the keys in this order");
_Static_assert(
    SCRIPT_ARGUMENT_MODE == 1 && SCRIPT_ARGUMENT_LIMITS == 2 &&
        SCRIPT_ARGUMENT_KEEP == 3 && SCRIPT_ARGUMENT_CHECKS == 4 &&
        SCRIPT_ARGUMENT_SENDER == 5 && SCRIPT_ARGUMENT_SENDER_DOMAIN == 6 &&
        SCRIPT_ARGUMENT_CLIENT == 7 && SCRIPT_ARGUMENT_INSTANCE == 8 &&
        SCRIPT_ARGUMENT_DETECTOR_WINDOW == 9 &&
        SCRIPT_ARGUMENT_MAX_ADDRESSES == 10 &&
        SCRIPT_ARGUMENT_MAX_FAILURES == 11 &&
        SCRIPT_ARGUMENT_WINDOW_TEXT == 12 &&
        SCRIPT_ARGUMENT_WARMUP_SCHEDULE == 13 && SCRIPT_ARGUMENT_TENANT == 14 &&
        SCRIPT_ARGUMENT_RECIPIENTS == 15 && SCRIPT_ARGUMENTS_FIXED == 15 &&
        SCRIPT_ARGUMENTS_PER_LIMIT == 4,
    "script_call_words() writes the arguments in this order");

/* One key as a word. */
static void
key_word(struct script_words *words, const char *prefix, enum redis_key key,
    const char *name, const char *subject)
{
	script_word_begin(words);
	redis_key_append(&words->text, prefix, key, name, subject);
	script_word_end(words);
}

/* A key, or "" when its part is empty (the script then skips it). */
static void
key_word_if(struct script_words *words, const char *prefix, enum redis_key key,
    const char *name)
{
	if (name[0] != '\0')
		key_word(words, prefix, key, name, NULL);
	else
		script_word_text(words, "");
}

static void
instance_key(struct script_words *words, const struct script_call *call,
    const char *prefix)
{
	static unsigned long long serial;
	const char *tenant = call->tenant != NULL ? call->tenant : "";
	char name[64];

	if (call->instance[0] != '\0') {
		key_word(
		    words, prefix, REDIS_KEY_INSTANCE, tenant, call->instance);
		return;
	}
	/* Postfix always sends one; never share a stored decision. */
	snprintf(name, sizeof(name), "none:%ld:%llu", (long)getpid(), ++serial);
	key_word(words, prefix, REDIS_KEY_INSTANCE, tenant, name);
}

/* The recipient's suppressions, or "" when not asked (or no tenant). */
static void
suppression_keys(const struct script_call *call, const char *prefix,
    struct script_words *words)
{
	bool asked = (call->asks & SCRIPT_ASKS_SUPPRESSION) != 0 &&
	             call->recipient != NULL && call->recipient[0] != '\0';

	if (asked && call->tenant != NULL && call->tenant[0] != '\0')
		key_word(words, prefix, REDIS_KEY_SUPPRESSED, call->tenant,
		    call->recipient);
	else
		script_word_text(words, "");
	if (asked)
		key_word(words, prefix, REDIS_KEY_SUPPRESSED_ANY,
		    call->recipient, NULL);
	else
		script_word_text(words, "");
}

/* The tenant's hourly activity counts, each with an empty last part
 * (the script appends the hour), or "" when there is no tenant. */
static void
activity_keys(const struct script_call *call, const char *prefix,
    struct script_words *words)
{
	static const char *const kinds[] = {"sent", "refusals"};

	for (size_t i = 0; i < 2; i++)
		if (call->tenant != NULL && call->tenant[0] != '\0')
			key_word(
			    words, prefix, REDIS_KEY_ACTIVITY, kinds[i], "");
		else
			script_word_text(words, "");
}

static void
keys(const struct script_call *call, const char *prefix,
    struct script_words *words)
{
	instance_key(words, call, prefix);
	key_word_if(words, prefix, REDIS_KEY_SUSPENDED_USER, call->user);
	key_word_if(words, prefix, REDIS_KEY_SUSPENDED_DOMAIN,
	    call->sender_domain[0] == '@' ? call->sender_domain + 1 : "");
	key_word(words, prefix, REDIS_KEY_SENDERS, call->user, NULL);
	key_word(words, prefix, REDIS_KEY_CLIENTS, call->user, NULL);
	key_word(words, prefix, REDIS_KEY_FAILURES, call->user, NULL);
	if (call->warmup_name != NULL)
		key_word(words, prefix, REDIS_KEY_WARMUP, call->warmup_name,
		    call->warmup_subject);
	else
		script_word_text(words, "");
	suppression_keys(call, prefix, words);
	activity_keys(call, prefix, words);
	for (size_t i = 0; i < call->limit_count; i++) {
		key_word(words, prefix, REDIS_KEY_LIMIT, call->limits[i].name,
		    call->limits[i].subject);
		key_word(words, prefix, REDIS_KEY_OVERRIDE,
		    call->limits[i].subject, NULL);
	}
}

/* The daily caps, each right-aligned in SCRIPT_CAP_WIDTH: one word. */
static void
schedule_word(struct script_words *words, const struct config_list *schedule)
{
	script_word_begin(words);
	for (size_t i = 0; schedule != NULL && i < schedule->count; i++)
		buffer_printf(
		    &words->text, "%*s", SCRIPT_CAP_WIDTH, schedule->items[i]);
	script_word_end(words);
}

static void
arguments(const struct script_call *call, struct script_words *words)
{
	char window[32];

	script_word_text(words, call->dry      ? SCRIPT_MODE_DRY
	                        : call->charge ? SCRIPT_MODE_CHARGE
	                                       : SCRIPT_MODE_CHECK);
	script_word(words, "%zu", call->limit_count);
	script_word(words, "%d", SCRIPT_DECISION_KEEP_MS);
	script_word(words, "%s%s%s%s%s",
	    call->asks & SCRIPT_ASKS_SUSPENSION ? SCRIPT_CHECK_SUSPENSION : "",
	    call->asks & SCRIPT_ASKS_OWNERSHIP ? SCRIPT_CHECK_OWNERSHIP : "",
	    call->asks & SCRIPT_ASKS_COMPROMISE ? SCRIPT_CHECK_COMPROMISE : "",
	    call->asks & SCRIPT_ASKS_WARMUP ? SCRIPT_CHECK_WARMUP : "",
	    call->asks & SCRIPT_ASKS_SUPPRESSION ? SCRIPT_CHECK_SUPPRESSION
	                                         : "");
	script_word_text(words, call->sender);
	script_word_text(words, call->sender_domain);
	script_word_text(words, call->client);
	script_word_text(words, call->instance);
	script_word(words, "%lld", call->detector_window_ms);
	script_word(words, "%lld", call->detector_max_addresses);
	script_word(words, "%lld", call->detector_max_failures);
	config_format_duration(
	    call->detector_window_ms, window, sizeof(window));
	script_word_text(words, window);
	schedule_word(
	    words, call->warmup_name != NULL ? call->warmup_schedule : NULL);
	script_word_text(words, call->tenant != NULL ? call->tenant : "");
	script_word(words, "%llu", call->charge ? call->recipients : 0);
	for (size_t i = 0; i < call->limit_count; i++) {
		const struct script_limit *limit = &call->limits[i];

		script_word_text(words, limit->name);
		script_word(words, "%lld", limit->max);
		script_word(words, "%lld", limit->window_ms);
		script_word(words, "%llu", limit->amount);
	}
}

void
script_call_words(const struct script_call *call, const char *prefix,
    struct script_words *words)
{
	script_word(words, "%zu", SCRIPT_KEYS_FIXED + 2 * call->limit_count);
	keys(call, prefix, words);
	arguments(call, words);
}

void
script_call_cache_key(
    const struct script_words *words, size_t limit_count, struct buffer *key)
{
	/* words[0] is the number of keys; KEYS[k] is words[k], ARGV[a]
	 * words[keys + a]. */
	size_t keys = SCRIPT_KEYS_FIXED + 2 * limit_count, at = 0;

	for (size_t i = 0; i < words->count; i++) {
		if (i != SCRIPT_KEY_INSTANCE &&
		    i != keys + SCRIPT_ARGUMENT_INSTANCE) {
			buffer_append(
			    key, &words->lengths[i], sizeof(words->lengths[i]));
			buffer_append(
			    key, words->text.data + at, words->lengths[i]);
		}
		at += words->lengths[i];
	}
}

static bool
integers(const redisReply *reply, size_t from, size_t to)
{
	for (size_t i = from; i <= to; i++)
		if (i >= reply->elements ||
		    reply->element[i]->type != REDIS_REPLY_INTEGER)
			return false;
	return true;
}

static bool
string_at(const redisReply *reply, size_t i)
{
	return i < reply->elements &&
	       reply->element[i]->type == REDIS_REPLY_STRING;
}

static long long
integer(const redisReply *reply, size_t i)
{
	return reply->element[i]->integer;
}

/* A suppression's "SINCE REASON" (as decide_script.lua says); since 0
 * when the entry has no time, as an admin may write it. */
static void
read_suppression(const char *entry, struct script_answer *answer)
{
	char *end;
	long long since;

	errno = 0;
	since = strtoll(entry, &end, 10);
	if (end != entry && *end == ' ' && errno == 0 && since > 0 &&
	    isdigit((unsigned char)entry[0])) {
		answer->since = since;
		entry = end + 1;
	}
	text_copy(answer->reason, sizeof(answer->reason), entry);
}

/* The reply's shape for its code, read; false: not the contract's. */
static bool
read_fields(
    const redisReply *reply, size_t limit_count, struct script_answer *answer)
{
	size_t n = reply->elements;

	switch (integer(reply, 0)) {
	case SCRIPT_REPLY_PASSED:
		answer->outcome = SCRIPT_PASSED;
		answer->room =
		    n == 2 && integers(reply, 1, 1) ? integer(reply, 1) : 0;
		return n == 2 && integers(reply, 1, 1);
	case SCRIPT_REPLY_LIMIT:
		if (n != 5 || !integers(reply, 1, 4) || integer(reply, 1) < 1 ||
		    (unsigned long long)integer(reply, 1) > limit_count)
			return false;
		answer->outcome = SCRIPT_LIMIT_REACHED;
		answer->limit = (size_t)integer(reply, 1) - 1;
		answer->count = integer(reply, 2);
		answer->max = integer(reply, 3);
		answer->seconds = integer(reply, 4);
		return true;
	case SCRIPT_REPLY_CHARGED_BEFORE:
		answer->outcome = SCRIPT_CHARGED_BEFORE;
		return n == 1;
	case SCRIPT_REPLY_SUSPENDED:
		if (n != 3 || !string_at(reply, 1) || !string_at(reply, 2))
			return false;
		answer->outcome = SCRIPT_SUSPENDED;
		answer->by_user =
		    strcmp(reply->element[1]->str, SCRIPT_SUSPENDED_USER) == 0;
		text_copy(answer->reason, sizeof(answer->reason),
		    reply->element[2]->str);
		return true;
	case SCRIPT_REPLY_NOT_OWNED:
		answer->outcome = SCRIPT_NOT_OWNED;
		return n == 1;
	case SCRIPT_REPLY_COMPROMISED:
		if (n != 3 || !string_at(reply, 1) || !integers(reply, 2, 2))
			return false;
		answer->outcome = SCRIPT_COMPROMISED;
		answer->by_addresses = strcmp(reply->element[1]->str,
		                           SCRIPT_COMPROMISED_ADDRESSES) == 0;
		answer->count = integer(reply, 2);
		return true;
	case SCRIPT_REPLY_WARMUP:
		if (n != 4 || !integers(reply, 1, 3))
			return false;
		answer->outcome = SCRIPT_WARMUP_CAP;
		answer->sent = integer(reply, 1);
		answer->cap = integer(reply, 2);
		answer->day = integer(reply, 3);
		return true;
	case SCRIPT_REPLY_SUPPRESSED:
		if (n != 3 || !string_at(reply, 1) || !string_at(reply, 2))
			return false;
		answer->outcome = SCRIPT_SUPPRESSED;
		answer->for_tenant = strcmp(reply->element[1]->str,
		                         SCRIPT_SUPPRESSED_TENANT) == 0;
		read_suppression(reply->element[2]->str, answer);
		return true;
	default:
		return false;
	}
}

void
script_answer_read(const redisReply *reply, const char *why, size_t limit_count,
    struct script_answer *answer)
{
	memset(answer, 0, sizeof(*answer));
	answer->outcome = SCRIPT_UNAVAILABLE;
	if (reply == NULL) {
		text_copy(answer->reason, sizeof(answer->reason),
		    why != NULL ? why : "no reply");
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		text_copy(answer->reason, sizeof(answer->reason), reply->str);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    !read_fields(reply, limit_count, answer)) {
		memset(answer, 0, sizeof(*answer));
		answer->outcome = SCRIPT_UNAVAILABLE;
		text_copy(
		    answer->reason, sizeof(answer->reason), "unexpected reply");
	}
}

/* A detail that is a string: true, with it copied, or false (nil). */
static bool
detail_text(const redisReply *detail, char *out, size_t size)
{
	if (detail->type != REDIS_REPLY_STRING)
		return false;
	text_copy(out, size, detail->str);
	return true;
}

static long long
detail_number(const redisReply *detail)
{
	return detail->type == REDIS_REPLY_INTEGER ? detail->integer : -1;
}

/* A suppression's entry, "SINCE REASON", as the answer reads it. */
static bool
detail_suppression(
    const redisReply *detail, long long *since, char *reason, size_t size)
{
	struct script_answer entry = {0};

	if (detail->type != REDIS_REPLY_STRING)
		return false;
	read_suppression(detail->str, &entry);
	*since = entry.since;
	text_copy(reason, size, entry.reason);
	return true;
}

static bool
read_details(
    const redisReply *reply, size_t limit_count, struct script_details *details)
{
	const redisReply *const *d;

	if (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements !=
	        SCRIPT_DETAILS_FIXED + SCRIPT_DETAILS_PER_LIMIT * limit_count)
		return false;
	d = (const redisReply *const *)reply->element - 1; /* 1-based */
	details->user_suspended = detail_text(d[SCRIPT_DETAIL_USER_SUSPENDED],
	    details->user_reason, sizeof(details->user_reason));
	details->domain_suspended =
	    detail_text(d[SCRIPT_DETAIL_DOMAIN_SUSPENDED],
	        details->domain_reason, sizeof(details->domain_reason));
	details->owned = (int)detail_number(d[SCRIPT_DETAIL_OWNED]);
	details->addresses = detail_number(d[SCRIPT_DETAIL_ADDRESSES]);
	details->failures = detail_number(d[SCRIPT_DETAIL_FAILURES]);
	details->suppressed = detail_suppression(d[SCRIPT_DETAIL_SUPPRESSED],
	    &details->since, details->reason, sizeof(details->reason));
	details->suppressed_any = detail_suppression(
	    d[SCRIPT_DETAIL_SUPPRESSED_ANY], &details->since_any,
	    details->reason_any, sizeof(details->reason_any));
	details->warmup_sent = detail_number(d[SCRIPT_DETAIL_WARMUP_SENT]);
	details->warmup_cap = detail_number(d[SCRIPT_DETAIL_WARMUP_CAP]);
	details->warmup_day = detail_number(d[SCRIPT_DETAIL_WARMUP_DAY]);
	for (size_t i = 0; i < limit_count; i++) {
		size_t at = SCRIPT_DETAILS_FIXED + SCRIPT_DETAILS_PER_LIMIT * i;

		if (!integers(reply, at, at + 2))
			return false;
		details->limits[i] =
		    (struct script_limit_state){integer(reply, at),
		        integer(reply, at + 1), integer(reply, at + 2)};
	}
	return true;
}

void
script_dry_run_read(const redisReply *reply, const char *why,
    size_t limit_count, struct script_answer *answer,
    struct script_details *details)
{
	struct script_limit_state *limits = details->limits;

	memset(details, 0, sizeof(*details));
	details->limits = limits;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply->element[0]->integer != SCRIPT_REPLY_DRY_RUN) {
		script_answer_read(reply, why, limit_count, answer);
		if (answer->outcome != SCRIPT_UNAVAILABLE) {
			answer->outcome = SCRIPT_UNAVAILABLE;
			text_copy(answer->reason, sizeof(answer->reason),
			    "not a dry run's reply");
		}
		return;
	}
	script_answer_read(reply->element[1], why, limit_count, answer);
	if (answer->outcome != SCRIPT_UNAVAILABLE &&
	    !read_details(reply->element[2], limit_count, details)) {
		answer->outcome = SCRIPT_UNAVAILABLE;
		text_copy(answer->reason, sizeof(answer->reason),
		    "unexpected details");
	}
}

void
script_activity_split(
    long long sent, long long *messages, long long *recipients)
{
	*messages = sent / SCRIPT_ACTIVITY_MESSAGE_UNIT;
	*recipients = sent % SCRIPT_ACTIVITY_MESSAGE_UNIT;
}

static void
on_reply(void *context, const redisReply *reply, const char *why)
{
	struct script_pending *pending = context;
	struct script_answer answer;

	script_answer_read(reply, why, pending->limit_count, &answer);
	pending->answered(pending->context, &answer);
}

bool
script_call_send(struct redis_link *link, struct script_words *words,
    struct script_pending *pending)
{
	return redis_link_eval(link, &words->text, words->lengths,
	           (int)words->count, on_reply, pending) != NULL;
}
