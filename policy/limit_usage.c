/*
 * NAME
 *	limit_usage - where a subject stands in a limit or a warm-up, read
 *	as waypost-policyd decides
 * SYNOPSIS
 *	#include "limit_usage.h"
 *
 *	void limit_usage_words(limit, subject, amount, prefix, words)
 *	const struct warmup_section *warmup_find(config, domain)
 *	const char *warmup_subject(warmup, domain)
 *	void warmup_usage_read(warmup, state, today, usage)
 * DESCRIPTION
 *	For an operator's tool (waypostctl quota and warmup), so that
 *	what it shows is what the daemon decides by, not a second
 *	reading of its keys that could drift from the first.
 *
 *	limit_usage_words() writes the words (numkeys, keys, arguments)
 *	of a call of decide_script.lua itself that only reads: the check
 *	mode (the script writes nothing but at MODE_CHARGE), no account
 *	check, the one limit with its configured maximum, on subject (as
 *	limit_subject.c makes it), needing amount free. The script then
 *	reads the limit's counter and the subject's override and answers
 *	as for a request (script_answer_read()): with LIMIT_USAGE_ALL,
 *	always a refusal with the count in the window now and the maximum
 *	after the override; with 1, a pass when one more fits, else a
 *	refusal with the seconds until it does (those of the refusal's
 *	"try again in N seconds"). So the sliding window's arithmetic
 *	stays in one place, the script.
 *
 *	warmup_find() is the [warmup] section of a sender domain (lower
 *	case, no final dot), NULL when none; warmup_subject() the subject
 *	of its key: the domain, or with per = group the section's name.
 *	account_check.c uses both for each request.
 *
 *	warmup_usage_read() reads the warm-up key's value state (NULL:
 *	no key) as the script reads it on day today (days since 1970,
 *	Redis' time): the schedule's day, today's cap and what was sent
 *	today. It must stay in step with the "Warm-up" part of
 *	policy/decide_script.lua, which reads the same three numbers the
 *	same way; tests/integration/test_ctl_quota.py checks that the two
 *	agree on the message that reaches the cap.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain_list.h"
#include "limit_usage.h"
#include "script_call.h"

void
limit_usage_words(const struct limit_section *limit, const char *subject,
    unsigned long long amount, const char *prefix, struct script_words *words)
{
	struct script_limit one = {
	    limit->name, subject, limit->max, limit->window, amount};
	struct script_call call = {
	    .instance = "",
	    .user = "",
	    .sender = "",
	    .sender_domain = "",
	    .client = "",
	    .tenant = "",
	    .recipient = "",
	    .detector_window_ms = 60000,
	    .limits = &one,
	    .limit_count = 1,
	};

	script_call_words(&call, prefix, words);
}

const struct warmup_section *
warmup_find(const struct policy_config *config, const char *domain)
{
	for (size_t i = 0; i < config->warmups.count; i++) {
		const struct warmup_section *warmup = config->warmups.items[i];

		if (domain_list_match(&warmup->domains, domain, strlen(domain)))
			return warmup;
	}
	return NULL;
}

const char *
warmup_subject(const struct warmup_section *warmup, const char *domain)
{
	return warmup->per == WARMUP_PER_GROUP ? warmup->name : domain;
}

/* One of the state's numbers and what follows it; false: no number. */
static bool
state_number(const char **text, char after, long long *number)
{
	char *end;

	if (**text < '0' || **text > '9')
		return false;
	errno = 0;
	*number = strtoll(*text, &end, 10);
	if (errno != 0 || *end != after)
		return false;
	*text = after != '\0' ? end + 1 : end;
	return true;
}

void
warmup_usage_read(const struct warmup_section *warmup, const char *state,
    long long today, struct warmup_usage *usage)
{
	long long first = today, last = -1, sent = 0, at;
	const char *text = state != NULL ? state : "";
	const char *cap;

	/* As the script's string.match('^(%d+) (%d+) (%d+)$'): all three
	 * or none. */
	if (state_number(&text, ' ', &first) &&
	    state_number(&text, ' ', &last) && state_number(&text, '\0', &sent))
		usage->started = true;
	else {
		usage->started = false;
		first = today;
		last = -1;
	}
	usage->sent = last == today ? sent : 0;
	usage->day = today - first > 0 ? today - first : 0;
	at = usage->day < (long long)warmup->schedule.count - 1
	         ? usage->day
	         : (long long)warmup->schedule.count - 1;
	cap = warmup->schedule.items[at];
	usage->cap =
	    strcmp(cap, "unlimited") == 0 ? -1 : strtoll(cap, NULL, 10);
}
