/*
 * fuzz_bounce_rules.c - fuzz target: the bounce classes file and the
 * classifier
 *
 * The input is read as a rules file, and also as the status text of an
 * outcome. Beyond not crashing:
 * - a file is refused exactly when errors were reported, and every
 *   error names fuzz.rules and a line of the input (or says there are
 *   no rules);
 * - accepted rules are within every bound, in line order, each with a
 *   condition, their texts in lower case;
 * - accepted rules printed and read again give the same rules and the
 *   same class for every sample outcome;
 * - a classification names a real rule of its class, or is unknown with
 *   line 0, and gives the same answer twice;
 * - the reply text kept is in lower case, no longer than the input and
 *   BOUNCE_REPLY_MAX, and its stage is a stage.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_class.h"
#include "bounce_reply.h"
#include "bounce_rules.h"
#include "fuzz.h"

#define FILE_NAME "fuzz.rules"

static const char *const samples[] = {
    "host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@example.com>: "
    "Recipient address rejected: User unknown (in reply to RCPT TO "
    "command)",
    "host mx.example.com[192.0.2.1] said: 554 5.7.1 blocked using "
    "zen.spamhaus.org (in reply to end of DATA command)",
    "host mx.example.com[192.0.2.1] refused to talk to me: 421 4.7.0 Too "
    "many connections",
    "connect to mx.example.com[192.0.2.1]:25: Connection timed out",
    "Host or domain name not found. Name service error for "
    "name=example.invalid type=A: Host not found",
    "",
};
static const char *const sample_dsns[] = {
    "5.1.1", "5.7.1", "4.7.0", "4.4.1", "5.4.4", NULL};

static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t lines = size > 0 && data[size - 1] != '\n';

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	return lines;
}

static void
check_errors(const struct config_errors *errors, size_t lines)
{
	for (size_t i = 0; i < errors->count; i++) {
		const char *text = errors->text[i];
		size_t prefix = strlen(FILE_NAME);
		char *end;
		unsigned long line;

		if (strncmp(text, FILE_NAME, prefix) != 0)
			__builtin_trap();
		if (strcmp(text + prefix, ": no rules (every outcome would "
		                          "be unknown)") == 0)
			continue;
		if (text[prefix] != ':')
			__builtin_trap();
		line = strtoul(text + prefix + 1, &end, 10);
		if (end == text + prefix + 1 || *end != ':' || line == 0 ||
		    line > lines)
			__builtin_trap();
	}
}

static void
check_rules(const struct bounce_rules *rules, size_t lines)
{
	int previous = 0;

	if (rules->count == 0 || rules->count > BOUNCE_RULES_MAX)
		__builtin_trap();
	for (size_t i = 0; i < rules->count; i++) {
		const struct bounce_rule *rule = &rules->rules[i];

		if (rule->line <= previous || (size_t)rule->line > lines ||
		    (unsigned)rule->class >= BOUNCE_CLASS_COUNT ||
		    rule->dsn_count > BOUNCE_RULE_DSN_MAX ||
		    rule->text_count + rule->regex_count >
		        BOUNCE_RULE_PATTERNS_MAX ||
		    rule->stages >= 1u << BOUNCE_STAGE_COUNT)
			__builtin_trap();
		if (rule->dsn_count == 0 && rule->stages == 0 &&
		    !rule->relay_none &&
		    rule->text_count + rule->regex_count == 0)
			__builtin_trap();
		for (size_t t = 0; t < rule->text_count; t++) {
			size_t length = strlen(rule->texts[t]);

			if (length == 0 || length > BOUNCE_RULE_TEXT_MAX)
				__builtin_trap();
			for (size_t c = 0; c < length; c++)
				if (rule->texts[t][c] >= 'A' &&
				    rule->texts[t][c] <= 'Z')
					__builtin_trap();
		}
		previous = rule->line;
	}
}

/* Classify, twice, and check the answer against the rules. */
static enum bounce_class
classify(const struct bounce_rules *rules, const char *dsn, bool relay_none,
    const char *text)
{
	struct bounce_outcome outcome = {dsn, relay_none, text};
	int line, again_line;
	enum bounce_class class = bounce_classify(rules, &outcome, &line);
	bool found = line == 0 && class == BOUNCE_CLASS_UNKNOWN;

	if (bounce_classify(rules, &outcome, &again_line) != class ||
	    again_line != line)
		__builtin_trap();
	for (size_t i = 0; rules != NULL && i < rules->count && !found; i++)
		found = rules->rules[i].line == line &&
		        rules->rules[i].class == class;
	if (!found)
		__builtin_trap();
	return class;
}

static void
check_reply(const char *text)
{
	struct bounce_reply reply;

	bounce_reply_read(text, &reply);
	if ((unsigned)reply.stage >= BOUNCE_STAGE_COUNT ||
	    reply.length > strlen(text) || reply.length > BOUNCE_REPLY_MAX ||
	    strlen(reply.text) != reply.length)
		__builtin_trap();
	for (size_t i = 0; i < reply.length; i++)
		if (reply.text[i] >= 'A' && reply.text[i] <= 'Z')
			__builtin_trap();
}

/* Printed and read again: the same rules, the same answers. */
static void
check_round_trip(const struct bounce_rules *rules, const char *text)
{
	static struct config_errors errors;
	char *printed = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&printed, &size);
	struct bounce_rules *again;

	if (out == NULL)
		return;
	bounce_rules_print(rules, out);
	fclose(out);
	memset(&errors, 0, sizeof(errors));
	again = bounce_rules_parse(FILE_NAME, printed, size, &errors);
	if (again == NULL || again->count != rules->count)
		__builtin_trap();
	for (size_t i = 0; i < rules->count; i++)
		if (again->rules[i].class != rules->rules[i].class ||
		    again->rules[i].stages != rules->rules[i].stages ||
		    again->rules[i].relay_none != rules->rules[i].relay_none ||
		    again->rules[i].dsn_count != rules->rules[i].dsn_count ||
		    again->rules[i].text_count != rules->rules[i].text_count ||
		    again->rules[i].regex_count != rules->rules[i].regex_count)
			__builtin_trap();
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (classify(rules, sample_dsns[i], i == 4, samples[i]) !=
		    classify(again, sample_dsns[i], i == 4, samples[i]))
			__builtin_trap();
	if (classify(rules, "5.1.1", false, text) !=
	    classify(again, "5.1.1", false, text))
		__builtin_trap();
	bounce_rules_free(again);
	free(printed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_errors errors;
	struct bounce_rules *rules;
	size_t lines = count_lines(data, size);
	char *text;

	if (size > BOUNCE_RULES_FILE_MAX)
		return 0;
	memset(&errors, 0, sizeof(errors));
	rules =
	    bounce_rules_parse(FILE_NAME, (const char *)data, size, &errors);
	if ((rules == NULL) != (errors.count + errors.dropped > 0))
		__builtin_trap();
	check_errors(&errors, lines);
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_reply(text);
	classify(NULL, "5.1.1", false, text);
	if (rules != NULL) {
		check_rules(rules, lines);
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]);
		     i++)
			classify(rules, sample_dsns[i], i == 4, samples[i]);
		classify(rules, "5.1.1", false, text);
		classify(rules, NULL, true, text);
		check_round_trip(rules, text);
	}
	bounce_rules_free(rules);
	free(text);
	return 0;
}
