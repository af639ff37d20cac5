/*
 * NAME
 *	bounce_class - the classes of delivery outcomes, and the classifier
 * SUMMARY
 *	why a recipient's mail bounced, in one word, by the first rule
 *	that matches
 * SYNOPSIS
 *	#include "bounce_class.h"
 *
 *	const char *bounce_class_name(class)
 *	bool bounce_class_from_name(name, length, &class)
 *	bool bounce_class_suppresses(class)
 *	bool bounce_class_escalates(class)
 *	enum bounce_class bounce_classify(rules, outcome, &rule_line)
 * DESCRIPTION
 *	An outcome is what Postfix logged for one recipient: the DSN code
 *	(dsn=5.1.1), whether a server answered at all (relay=none when
 *	not) and the text in "status=bounced (...)". bounce_classify()
 *	tries the rules of the bounce classes file in file order and
 *	returns the class of the first whose conditions all hold, with its
 *	line in rule_line (when not NULL); unknown and line 0 when none
 *	does. The stage and the text the rules see come from
 *	bounce_reply_read().
 *
 *	Three classes say the address itself cannot receive mail:
 *	invalid-recipient, bad-domain and inactive-mailbox.
 *	bounce_class_suppresses() is true for them alone; the caller
 *	suppresses only on a bounce (a permanent outcome), never on a
 *	deferral. Every other class, unknown included, is about the
 *	message, the sender, the path or the moment, and never suppresses.
 *
 *	bounce_class_escalates() is true for the classes whose soft
 *	outcomes (a deferral that expired in the queue, a full mailbox
 *	even when refused for good) suppress only once they repeat, as
 *	waypost-trackd counts them: the three above, mailbox-full, and
 *	network (a domain whose servers never answer).
 * SECURITY
 *	Nothing is allocated; the rules are only read, so one set of rules
 *	may serve any number of callers at once.
 */
#include "config.h"

#include <string.h>

#include "bounce_class.h"
#include "bounce_rules.h"

static const char *const class_names[BOUNCE_CLASS_COUNT] = {
    [BOUNCE_CLASS_UNKNOWN] = "unknown",
    [BOUNCE_CLASS_INVALID_RECIPIENT] = "invalid-recipient",
    [BOUNCE_CLASS_BAD_DOMAIN] = "bad-domain",
    [BOUNCE_CLASS_INACTIVE_MAILBOX] = "inactive-mailbox",
    [BOUNCE_CLASS_MAILBOX_FULL] = "mailbox-full",
    [BOUNCE_CLASS_SPAM_BLOCK] = "spam-block",
    [BOUNCE_CLASS_REPUTATION] = "reputation",
    [BOUNCE_CLASS_CONTENT] = "content",
    [BOUNCE_CLASS_AUTH_FAILURE] = "auth-failure",
    [BOUNCE_CLASS_RATE_LIMITED] = "rate-limited",
    [BOUNCE_CLASS_TOO_MANY_RECIPIENTS] = "too-many-recipients",
    [BOUNCE_CLASS_NETWORK] = "network",
    [BOUNCE_CLASS_LOCAL] = "local",
};

const char *bounce_class_name(enum bounce_class class)
{
	if ((unsigned)class >= BOUNCE_CLASS_COUNT)
		return "unknown";
	return class_names[class];
}

bool
bounce_class_from_name(
    const char *name, size_t length, enum bounce_class *class)
{
	for (int i = 0; i < BOUNCE_CLASS_COUNT; i++)
		if (strlen(class_names[i]) == length &&
		    memcmp(class_names[i], name, length) == 0) {
			*class = (enum bounce_class)i;
			return true;
		}
	return false;
}

bool bounce_class_suppresses(enum bounce_class class)
{
	return class == BOUNCE_CLASS_INVALID_RECIPIENT ||
	       class == BOUNCE_CLASS_BAD_DOMAIN ||
	       class == BOUNCE_CLASS_INACTIVE_MAILBOX;
}

bool bounce_class_escalates(enum bounce_class class)
{
	return bounce_class_suppresses(class) ||
	       class == BOUNCE_CLASS_MAILBOX_FULL ||
	       class == BOUNCE_CLASS_NETWORK;
}

static bool
dsn_matches(const struct bounce_dsn *pattern, const struct bounce_dsn *dsn)
{
	for (int i = 0; i < 3; i++)
		if (pattern->part[i] >= 0 && pattern->part[i] != dsn->part[i])
			return false;
	return true;
}

/* One of the rule's texts or regexes matches, or it has none. */
static bool
words_match(const struct bounce_rule *rule, const struct bounce_reply *reply)
{
	if (rule->text_count + rule->regex_count == 0)
		return true;
	for (size_t i = 0; i < rule->text_count; i++)
		if (strstr(reply->text, rule->texts[i]) != NULL)
			return true;
	for (size_t i = 0; i < rule->regex_count; i++)
		if (regexec(&rule->regexes[i], reply->text, 0, NULL, 0) == 0)
			return true;
	return false;
}

static bool
rule_matches(const struct bounce_rule *rule, const struct bounce_dsn *dsn,
    bool relay_none, const struct bounce_reply *reply)
{
	bool dsn_found = rule->dsn_count == 0;

	if (rule->relay_none && !relay_none)
		return false;
	if (rule->stages != 0 && (rule->stages & (1u << reply->stage)) == 0)
		return false;
	for (size_t i = 0; i < rule->dsn_count && dsn != NULL && !dsn_found;
	     i++)
		dsn_found = dsn_matches(&rule->dsn[i], dsn);
	return dsn_found && words_match(rule, reply);
}

enum bounce_class
bounce_classify(const struct bounce_rules *rules,
    const struct bounce_outcome *outcome, int *rule_line)
{
	struct bounce_reply reply;
	struct bounce_dsn dsn;
	bool have_dsn =
	    outcome->dsn != NULL &&
	    bounce_dsn_parse(outcome->dsn, strlen(outcome->dsn), false, &dsn);

	if (rule_line != NULL)
		*rule_line = 0;
	if (rules == NULL)
		return BOUNCE_CLASS_UNKNOWN;
	bounce_reply_read(outcome->text ? outcome->text : "", &reply);
	for (size_t i = 0; i < rules->count; i++)
		if (rule_matches(&rules->rules[i], have_dsn ? &dsn : NULL,
		        outcome->relay_none, &reply)) {
			if (rule_line != NULL)
				*rule_line = rules->rules[i].line;
			return rules->rules[i].class;
		}
	return BOUNCE_CLASS_UNKNOWN;
}
