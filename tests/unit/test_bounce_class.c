/*
 * test_bounce_class.c - the shipped bounce classes file against replies
 * real servers send, and the rules reader's refusals
 *
 * The fixture (tests/unit/data/bounce-replies.tsv) and the rules
 * (contrib/bounce-classes.conf) are read from top_srcdir; an admin
 * testing an edited copy sets WAYPOST_BOUNCE_RULES and, for replies of
 * their own, WAYPOST_BOUNCE_REPLIES (see waypost-bounce-classes(5)).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit_test.h"

#include "bounce_class.h"
#include "bounce_reply.h"
#include "bounce_rules.h"
#include "assert_errors.h"

#define FIXTURE_LINE_MAX 8192
#define FIXTURE_MIN      150

struct fixture_entry {
	int line;
	enum bounce_class expected;
	char *source, *dsn, *relay, *text;
};

static struct bounce_rules *shipped;
static struct fixture_entry *entries;
static size_t entry_count;

static void
source_path(char *path, size_t size, const char *variable, const char *file)
{
	const char *top = getenv("top_srcdir") ? getenv("top_srcdir") : ".";

	if (getenv(variable) != NULL)
		snprintf(path, size, "%s", getenv(variable));
	else
		snprintf(path, size, "%s/%s", top, file);
}

/* One tab-separated field, NUL-terminated in place. */
static char *
next_field(char **cursor)
{
	char *field = *cursor, *tab;

	if (field == NULL)
		return NULL;
	tab = strchr(field, '\t');
	if (tab != NULL)
		*tab++ = '\0';
	*cursor = tab;
	return field;
}

static void
read_fixture(void)
{
	char path[4096], *line = malloc(FIXTURE_LINE_MAX);
	FILE *file;
	int number = 0;

	source_path(path, sizeof(path), "WAYPOST_BOUNCE_REPLIES",
	    "tests/unit/data/bounce-replies.tsv");
	if ((file = fopen(path, "r")) == NULL)
		fail_msg("%s: cannot open", path);
	while (fgets(line, FIXTURE_LINE_MAX, file) != NULL) {
		struct fixture_entry entry = {0};
		char *cursor = line, *class;

		number++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		class = next_field(&cursor);
		entry.source = next_field(&cursor);
		entry.dsn = next_field(&cursor);
		entry.relay = next_field(&cursor);
		entry.text = next_field(&cursor);
		if (entry.text == NULL || cursor != NULL ||
		    !bounce_class_from_name(
		        class, strlen(class), &entry.expected))
			fail_msg("%s:%d: expected CLASS, SOURCE, DSN, RELAY, "
			         "TEXT separated by tabs, CLASS a class",
			    path, number);
		entry.line = number;
		entry.source = strdup(entry.source);
		entry.dsn = strdup(entry.dsn);
		entry.relay = strdup(entry.relay);
		entry.text = strdup(entry.text);
		entries =
		    realloc(entries, (entry_count + 1) * sizeof(*entries));
		entries[entry_count++] = entry;
	}
	fclose(file);
	free(line);
}

static int
setup(void **state)
{
	struct config_errors errors = {0};
	char path[4096];

	(void)state;
	source_path(path, sizeof(path), "WAYPOST_BOUNCE_RULES",
	    "contrib/bounce-classes.conf");
	shipped = bounce_rules_load(path, &errors);
	for (size_t i = 0; i < errors.count; i++)
		print_message("# %s\n", errors.text[i]);
	if (shipped == NULL)
		return -1;
	read_fixture();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	bounce_rules_free(shipped);
	for (size_t i = 0; i < entry_count; i++) {
		free(entries[i].source);
		free(entries[i].dsn);
		free(entries[i].relay);
		free(entries[i].text);
	}
	free(entries);
	return 0;
}

static enum bounce_class
classify_entry(const struct fixture_entry *entry, int *rule_line)
{
	struct bounce_outcome outcome = {
	    entry->dsn, strcmp(entry->relay, "none") == 0, entry->text};

	return bounce_classify(shipped, &outcome, rule_line);
}

static enum bounce_class
classify(const char *dsn, bool relay_none, const char *text)
{
	struct bounce_outcome outcome = {dsn, relay_none, text};

	return bounce_classify(shipped, &outcome, NULL);
}

/* Every reply of the fixture gets its expected class. */
static void
test_fixture_classes(void **state)
{
	size_t wrong = 0, per_class[BOUNCE_CLASS_COUNT] = {0};

	(void)state;
	assert_true(entry_count >= FIXTURE_MIN);
	for (size_t i = 0; i < entry_count; i++) {
		int rule = 0;
		enum bounce_class got = classify_entry(&entries[i], &rule);

		per_class[entries[i].expected]++;
		if (got == entries[i].expected)
			continue;
		wrong++;
		print_message("# fixture line %d (%s): expected %s, got %s "
		              "(rule line %d): %s\n",
		    entries[i].line, entries[i].source,
		    bounce_class_name(entries[i].expected),
		    bounce_class_name(got), rule, entries[i].text);
	}
	for (int class = 0; class < BOUNCE_CLASS_COUNT; class ++)
		print_message("# %-20s %zu\n",
		    bounce_class_name((enum bounce_class) class),
		    per_class[class]);
	print_message(
	    "# %zu replies, %zu classified otherwise\n", entry_count, wrong);
	assert_int_equal(wrong, 0);
}

/* The reply's own words, without Postfix's framing, in lower case. */
static bool
says(const char *text, const char *word)
{
	struct bounce_reply reply;

	bounce_reply_read(text, &reply);
	return strstr(reply.text, word) != NULL;
}

/* Independent of the expected classes: what may never suppress. */
static void
test_fixture_never_suppresses(void **state)
{
	static const char *const words[] = {
	    "blocked", "spam", "policy", "reputation", "blacklist"};
	size_t wrong = 0;

	(void)state;
	for (size_t i = 0; i < entry_count; i++) {
		const struct fixture_entry *entry = &entries[i];
		enum bounce_class got = classify_entry(entry, NULL);
		const char *why = NULL;

		if (!bounce_class_suppresses(got))
			continue;
		if (!bounce_class_suppresses(entry->expected))
			why = "a class that does not suppress expected";
		else if (entry->dsn[0] != '5')
			why = "a temporary reply";
		else if (strcmp(entry->relay, "none") == 0 &&
		         entry->expected != BOUNCE_CLASS_BAD_DOMAIN)
			why = "Postfix's own outcome";
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (says(entry->text, words[w]))
				why = words[w];
		if (why == NULL)
			continue;
		wrong++;
		print_message("# fixture line %d (%s): %s suppresses (%s): "
		              "%s\n",
		    entry->line, entry->source, bounce_class_name(got), why,
		    entry->text);
	}
	assert_int_equal(wrong, 0);
}

/* A 5.1.1 whose text names a block, spam, a policy or reputation. */
static void
test_5_1_1_with_policy_words(void **state)
{
	static const char *const words[] = {"blocked", "Blocked", "spam",
	    "SPAM", "policy", "Policy", "reputation", "blacklisted",
	    "blocked using zen.spamhaus.org"};
	char text[512];
	size_t found = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		enum bounce_class class;

		snprintf(text, sizeof(text),
		    "host mx.example.com[192.0.2.1] said: 550 5.1.1 "
		    "<a@example.com>: Recipient address rejected: User "
		    "unknown, %s (in reply to RCPT TO command)",
		    words[i]);
		class = classify("5.1.1", false, text);
		if (class == BOUNCE_CLASS_INVALID_RECIPIENT ||
		    bounce_class_suppresses(class))
			fail_msg("%s: %s", bounce_class_name(class), text);
	}
	/* And the fixture's own, as their servers wrote them. */
	for (size_t i = 0; i < entry_count; i++)
		if (strcmp(entries[i].dsn, "5.1.1") == 0 &&
		    (says(entries[i].text, "blocked") ||
		        says(entries[i].text, "spam") ||
		        says(entries[i].text, "policy") ||
		        says(entries[i].text, "reputation"))) {
			found++;
			assert_false(bounce_class_suppresses(
			    classify_entry(&entries[i], NULL)));
		}
	assert_true(found >= 4);
	/* Without those words the same reply is an invalid recipient. */
	assert_int_equal(classify("5.1.1", false,
	                     "host mx.example.com[192.0.2.1] said: 550 5.1.1 "
	                     "<a@example.com>: Recipient address rejected: "
	                     "User unknown (in reply to RCPT TO command)"),
	    BOUNCE_CLASS_INVALID_RECIPIENT);
}

static void
assert_reply(const char *text, enum bounce_stage stage, const char *words)
{
	struct bounce_reply reply;

	bounce_reply_read(text, &reply);
	if (reply.stage != stage || strcmp(reply.text, words) != 0)
		fail_msg("\"%s\": stage %s, text \"%s\"", text,
		    bounce_stage_name(reply.stage), reply.text);
	assert_int_equal(reply.length, strlen(reply.text));
}

static void
test_reply_stage_and_text(void **state)
{
	char *long_text = malloc(3 * BOUNCE_REPLY_MAX);
	struct bounce_reply reply;

	(void)state;
	assert_reply("host mx.example.com[192.0.2.1] said: 550 5.1.1 User "
	             "Unknown (in reply to RCPT TO command)",
	    BOUNCE_STAGE_RCPT, "550 5.1.1 user unknown");
	assert_reply("host mx.example.com[192.0.2.1] said: 554 Spam (in reply "
	             "to end of DATA command)",
	    BOUNCE_STAGE_DATA, "554 spam");
	assert_reply("host mx.example.com[192.0.2.1] said: 554 No (in reply to "
	             "DATA command)",
	    BOUNCE_STAGE_DATA, "554 no");
	assert_reply("host mx.example.com[192.0.2.1] said: 553 No (in reply to "
	             "MAIL FROM command)",
	    BOUNCE_STAGE_MAIL, "553 no");
	assert_reply("host mx.example.com[192.0.2.1] said: 421 Busy (in reply "
	             "to EHLO command)",
	    BOUNCE_STAGE_HELO, "421 busy");
	assert_reply("host mx.example.com[192.0.2.1] said: 454 TLS (in reply "
	             "to STARTTLS command)  ",
	    BOUNCE_STAGE_HELO, "454 tls");
	assert_reply("host mx.example.com[192.0.2.1] said: 221 Bye (in reply "
	             "to QUIT command)",
	    BOUNCE_STAGE_NONE, "221 bye (in reply to quit command)");
	assert_reply(
	    "host mx.example.com[192.0.2.1] refused to talk to me: 554 "
	    "Go away",
	    BOUNCE_STAGE_GREETING, "554 go away");
	/* A server's name is never part of what the rules match. */
	assert_reply("host mx.spamexperts.com[192.0.2.1] said: 550 5.1.1 User "
	             "unknown (in reply to RCPT TO command)",
	    BOUNCE_STAGE_RCPT, "550 5.1.1 user unknown");
	/* Framing after Postfix's words, and a nested reply: the last
	 * suffix gives the stage. */
	assert_reply("delivery temporarily suspended: host mx.example.com["
	             "192.0.2.1] refused to talk to me: 421 Later",
	    BOUNCE_STAGE_GREETING, "delivery temporarily suspended: 421 later");
	assert_reply(
	    "host a.example[192.0.2.1] said: 550 5.1.0 Sender address "
	    "rejected: undeliverable address: host b.example[192.0.2.2]"
	    " said: 550 5.1.1 Unknown (in reply to RCPT TO command) (in "
	    "reply to MAIL FROM command)",
	    BOUNCE_STAGE_MAIL,
	    "550 5.1.0 sender address rejected: undeliverable address: 550 "
	    "5.1.1 unknown (in reply to rcpt to command)");
	/* Postfix's own words keep their names; look-alikes stay text. */
	assert_reply("connect to mx.example.com[192.0.2.1]:25: Connection "
	             "refused",
	    BOUNCE_STAGE_NONE,
	    "connect to mx.example.com[192.0.2.1]:25: connection refused");
	assert_reply("host said: x", BOUNCE_STAGE_NONE, "host said: x");
	assert_reply(
	    "host a b[1] said: x", BOUNCE_STAGE_NONE, "host a b[1] said: x");
	assert_reply(
	    "host a[1 2] said: x", BOUNCE_STAGE_NONE, "host a[1 2] said: x");
	assert_reply("host a[1", BOUNCE_STAGE_NONE, "host a[1");
	assert_reply("(in reply to RCPT TO command)", BOUNCE_STAGE_NONE,
	    "(in reply to rcpt to command)");
	assert_reply("", BOUNCE_STAGE_NONE, "");
	/* Past BOUNCE_REPLY_MAX the text is cut; the stage is still read
	 * from the end. */
	memset(long_text, 'x', 2 * BOUNCE_REPLY_MAX);
	strcpy(
	    long_text + 2 * BOUNCE_REPLY_MAX, " (in reply to RCPT TO command)");
	bounce_reply_read(long_text, &reply);
	assert_int_equal(reply.stage, BOUNCE_STAGE_RCPT);
	assert_int_equal(reply.length, BOUNCE_REPLY_MAX);
	assert_int_equal(strlen(reply.text), BOUNCE_REPLY_MAX);
	free(long_text);
}

static bool
dsn(const char *text, bool wildcards, int a, int b, int c)
{
	struct bounce_dsn parsed;

	if (!bounce_dsn_parse(text, strlen(text), wildcards, &parsed))
		return false;
	return parsed.part[0] == a && parsed.part[1] == b &&
	       parsed.part[2] == c;
}

static void
test_dsn_parse(void **state)
{
	static const char *const bad[] = {"", "5", "5.1", "5.1.", "5.1.1.",
	    "5.1.1 ", " 5.1.1", "3.1.1", "55.1.1", "5.1234.1", "5.1.1234",
	    "5..1", "a.b.c", "5.1.1x", "-5.1.1", "5.-1.1"};
	struct bounce_dsn parsed;

	(void)state;
	assert_true(dsn("5.1.1", false, 5, 1, 1));
	assert_true(dsn("4.7.650", false, 4, 7, 650));
	assert_true(dsn("2.0.0", false, 2, 0, 0));
	assert_true(dsn("5.1.10", false, 5, 1, 10));
	assert_true(dsn("5.7.*", true, 5, 7, -1));
	assert_true(dsn("*.*.*", true, -1, -1, -1));
	assert_false(dsn("5.7.*", false, 5, 7, -1));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bounce_dsn_parse(bad[i], strlen(bad[i]), true, &parsed))
			fail_msg("\"%s\" accepted", bad[i]);
	/* Only the bytes given count. */
	assert_true(bounce_dsn_parse("5.1.1 extra", 5, false, &parsed));
}

static void
test_class_names(void **state)
{
	enum bounce_class class;
	size_t suppressing = 0;

	(void)state;
	for (int i = 0; i < BOUNCE_CLASS_COUNT; i++) {
		const char *name = bounce_class_name((enum bounce_class)i);

		assert_true(bounce_class_from_name(name, strlen(name), &class));
		assert_int_equal(class, i);
		suppressing += bounce_class_suppresses((enum bounce_class)i);
	}
	assert_int_equal(suppressing, 3);
	assert_true(bounce_class_suppresses(BOUNCE_CLASS_INVALID_RECIPIENT));
	assert_true(bounce_class_suppresses(BOUNCE_CLASS_BAD_DOMAIN));
	assert_true(bounce_class_suppresses(BOUNCE_CLASS_INACTIVE_MAILBOX));
	assert_false(bounce_class_suppresses(BOUNCE_CLASS_UNKNOWN));
	assert_false(bounce_class_suppresses(BOUNCE_CLASS_COUNT));
	assert_string_equal(bounce_class_name(BOUNCE_CLASS_COUNT), "unknown");
	assert_false(bounce_class_from_name("spam", 4, &class));
	assert_false(bounce_class_from_name("local", 4, &class));
	assert_false(bounce_class_from_name("Local", 5, &class));
}

static struct bounce_rules *
parse_text(const char *text, struct config_errors *errors)
{
	memset(errors, 0, sizeof(*errors));
	return bounce_rules_parse("t.conf", text, strlen(text), errors);
}

static void
assert_refused(const char *text, const char *message)
{
	struct config_errors errors;
	struct bounce_rules *rules = parse_text(text, &errors);

	if (rules != NULL)
		fail_msg("accepted: %s", text);
	assert_config_error(&errors, message);
}

/* Every kind of bad line: refused with the file, the line and why. */
static void
test_rules_errors(void **state)
{
	char *text = malloc(64 * 1024), *cursor;

	(void)state;
	assert_refused("spam\n", "t.conf:1: \"spam\" is not a class (one of: "
	                         "unknown, invalid-recipient,");
	assert_refused("# one\n\nspam-block=x text=a\n",
	    "t.conf:3: \"spam-block\" is not a class");
	assert_refused(
	    "spam-block text\n", "t.conf:1: \"text\": expected NAME=VALUE");
	assert_refused("spam-block colour=red\n",
	    "t.conf:1: unknown condition \"colour=\" (dsn=, stage=");
	assert_refused("spam-block text=\n", "t.conf:1: text=: empty value");
	assert_refused(
	    "spam-block text=\"\"\n", "t.conf:1: text=: empty value");
	assert_refused("spam-block text=\"abc\n",
	    "t.conf:1: text=: the quote \" is not closed");
	assert_refused("spam-block text='abc\"\n",
	    "t.conf:1: text=: the quote ' is not closed");
	assert_refused("spam-block text=\"a\"b\n",
	    "t.conf:1: text=: white space must follow the closing quote");
	assert_refused("spam-block text=a\"b\"\n",
	    "t.conf:1: text=: a quote inside a value must start it");
	assert_refused("spam-block \"text\"=a\n",
	    "t.conf:1: a quote inside \"\": only a value after NAME= may be "
	    "quoted");
	assert_refused("spam-block dsn=5.1\n",
	    "t.conf:1: dsn=: \"5.1\" is not a status code");
	assert_refused("spam-block dsn=3.1.1\n",
	    "t.conf:1: dsn=: \"3.1.1\" is not a status code");
	assert_refused("spam-block dsn=5.1.1,\n",
	    "t.conf:1: dsn=: \"\" is not a status code");
	assert_refused("spam-block dsn=5.1.1 dsn=5.1.2\n",
	    "t.conf:1: dsn= given twice (list several values with commas)");
	assert_refused("spam-block dsn=1.1.1,2.1.1,4.1.1,5.1.1,5.*.1,5.1.*,"
	               "5.2.1,5.2.2,5.2.3,5.2.4,5.2.5,5.2.6,5.2.7,5.2.8,5.2.9,"
	               "5.3.1,5.3.2\n",
	    "t.conf:1: dsn=: \"1.1.1\" is not a status code");
	assert_refused("spam-block dsn=2.1.1,4.1.1,5.1.1,5.*.1,5.1.*,5.2.1,"
	               "5.2.2,5.2.3,5.2.4,5.2.5,5.2.6,5.2.7,5.2.8,5.2.9,5.3.1,"
	               "5.3.2,5.3.3\n",
	    "t.conf:1: dsn=: more than 16 codes");
	assert_refused("spam-block stage=body\n",
	    "t.conf:1: stage=: \"body\" is not a stage (greeting, helo, mail, "
	    "rcpt, data, none, or any alone)");
	assert_refused("spam-block stage=any,rcpt\n",
	    "t.conf:1: stage=: \"any\" is not a stage");
	assert_refused("spam-block stage=rcpt stage=data\n",
	    "t.conf:1: stage= given twice");
	assert_refused("local relay=local\n",
	    "t.conf:1: relay=: \"local\" (only relay=none is known)");
	assert_refused(
	    "local relay=none relay=none\n", "t.conf:1: relay= given twice");
	assert_refused(
	    "spam-block regex=\"a(b\"\n", "t.conf:1: regex=\"a(b\": ");
	assert_refused(
	    "spam-block regex=\"[z-a]\"\n", "t.conf:1: regex=\"[z-a]\": ");
	/* What regcomp() would copy beyond bounds (the fuzzer found 26 "+"
	 * in a row taking over 2 GB); "+" in brackets or escaped is none. */
	assert_refused("spam-block regex=\"a{2}\"\n",
	    "t.conf:1: regex=\"a{2}\": interval expressions {n,m} are not "
	    "allowed");
	assert_refused("spam-block regex=\"a+b+c+d+e+f+g+h+i+\"\n",
	    "t.conf:1: regex=\"a+b+c+d+e+f+g+h+i+\": too many \"+\"");
	/* "+" of "+" of ...: five levels of a group holding an anchor took
	 * regcomp() 16 s (the fuzzer's find); three are allowed. */
	assert_refused("spam-block regex=\"(^|[^a-z])+++++b\"\n",
	    "t.conf:1: regex=\"(^|[^a-z])+++++b\": \"+\" nested too deep");
	assert_refused("spam-block regex=\"((((a+)+)+)+)b\"\n",
	    "t.conf:1: regex=\"((((a+)+)+)+)b\": \"+\" nested too deep");
	/* "?" and "*" on a repeated atom nest it as deep (the fuzzer's
	 * find: regcomp's recursion overflowed). */
	assert_refused("spam-block regex=\"(^|[^(-z])+++??????\"\n",
	    "t.conf:1: regex=\"(^|[^(-z])+++??????\": \"+\" nested too deep");
	assert_refused(
	    "spam-block regex=\"(((((((((((((((((a)))))))))))))))))\"\n",
	    "groups nested too deep");
	{
		struct config_errors errors;
		struct bounce_rules *rules = parse_text(
		    "spam-block regex=\"((a+)+)+ (b|c+)+ [+]+\"\n", &errors);

		assert_non_null(rules);
		bounce_rules_free(rules);
	}
	/* A back-reference backtracks in regexec(), exponential in the
	 * reply's length; an escaped backslash before a digit, or a
	 * backslash in brackets, is none. */
	assert_refused("spam-block regex=\"(a*)*\\1b\"\n",
	    "t.conf:1: regex=\"(a*)*\\1b\": back-references are not "
	    "allowed: matching them takes time exponential in the reply's "
	    "length");
	{
		struct config_errors errors;
		struct bounce_rules *rules =
		    parse_text("spam-block regex=\"a\\\\1[\\1]\"\n", &errors);

		assert_non_null(rules);
		bounce_rules_free(rules);
	}
	{
		struct config_errors errors;
		struct bounce_rules *rules = parse_text(
		    "spam-block regex=\"a+b+c+d+e+f+g+h+[+{]\"\n", &errors);

		assert_non_null(rules);
		bounce_rules_free(rules);
	}
	assert_refused(
	    "spam-block\n", "t.conf:1: spam-block: a rule needs a condition");
	assert_refused("spam-block stage=any # all\n",
	    "t.conf:1: spam-block: a rule needs a condition");
	/* Bounds: text length, alternatives per rule, line, rules. */
	memset(text, 0, 64 * 1024);
	strcpy(text, "spam-block text=");
	memset(text + strlen(text), 'a', BOUNCE_RULE_TEXT_MAX + 1);
	strcat(text, "\n");
	assert_refused(text, "t.conf:1: text=: longer than 256 bytes");
	strcpy(text, "spam-block");
	for (int i = 0; i <= BOUNCE_RULE_PATTERNS_MAX; i++)
		sprintf(text + strlen(text), " text=w%d", i);
	strcat(text, "\n");
	assert_refused(text, "t.conf:1: more than 32 text= and regex= in one "
	                     "rule");
	strcpy(text, "spam-block text=a # ");
	memset(text + strlen(text), 'x', BOUNCE_RULES_LINE_MAX);
	strcat(text, "\n");
	assert_refused(text, "t.conf:1: line longer than 1024 bytes");
	cursor = text;
	for (int i = 0; i <= BOUNCE_RULES_MAX; i++)
		cursor += sprintf(cursor, "local text=w%d\n", i);
	assert_refused(text, "t.conf:1001: more than 1000 rules");
	/* Bytes that have no place in a text file. */
	assert_refused("spam-block text=a\x01\n",
	    "t.conf:1: a control byte (0x01) in the line");
	{
		struct config_errors errors = {0};
		const char nul[] = "spam-block text=a\n\nlocal text=b\0c\n";

		assert_null(bounce_rules_parse(
		    "t.conf", nul, sizeof(nul) - 1, &errors));
		assert_config_error(
		    &errors, "t.conf:3: a control byte (0x00) in the line");
	}
	/* Nothing to use. */
	assert_refused("", "t.conf: no rules (every outcome would be unknown)");
	assert_refused("# only\n\n  \t\n", "t.conf: no rules");
	/* One bad line refuses the whole file; every error is reported. */
	{
		struct config_errors errors;

		assert_null(parse_text("local relay=none\nnetwork x=1\n"
		                       "spam-block text=spam\nbad text=a\n",
		    &errors));
		assert_int_equal(errors.count, 2);
		assert_config_error(&errors, "t.conf:2: unknown condition");
		assert_config_error(
		    &errors, "t.conf:4: \"bad\" is not a class");
	}
	free(text);
}

static enum bounce_class
classify_with(const struct bounce_rules *rules, const char *dsn_text,
    bool relay_none, const char *text, int *line)
{
	struct bounce_outcome outcome = {dsn_text, relay_none, text};

	return bounce_classify(rules, &outcome, line);
}

static void
test_rules_grammar(void **state)
{
	const char *text =
	    "# comment\r\n"
	    "\r\n"
	    "  reputation  text=\"Spamhaus\"   # a comment after a rule\r\n"
	    "spam-block text='said \"no\"' text=\"#5.7.1 x\"\n"
	    "content\tregex=\"^554 .*virus\"\n"
	    "invalid-recipient dsn=5.1.1,5.1.10 stage=rcpt,none\n"
	    "bad-domain dsn=5.*.* relay=none\n"
	    "rate-limited dsn=4.*.*\n"
	    "local stage=any relay=none\n"
	    "unknown text=UNKNOWN-ON-PURPOSE\n"
	    "network stage=greeting";
	struct config_errors errors;
	struct bounce_rules *rules = parse_text(text, &errors), *again;
	char *printed = NULL;
	size_t printed_size = 0;
	FILE *out;
	int line;

	(void)state;
	assert_non_null(rules);
	assert_int_equal(rules->count, 9);
	assert_int_equal(rules->rules[0].line, 3);
	assert_string_equal(rules->rules[0].texts[0], "spamhaus");
	assert_string_equal(rules->rules[1].texts[0], "said \"no\"");
	assert_string_equal(rules->rules[1].texts[1], "#5.7.1 x");
	/* First match wins, conditions all hold, alternatives any. */
	assert_int_equal(classify_with(rules, "5.1.1", false,
	                     "host a[1] said: 550 5.1.1 listed by SPAMHAUS (in "
	                     "reply to RCPT TO command)",
	                     &line),
	    BOUNCE_CLASS_REPUTATION);
	assert_int_equal(line, 3);
	assert_int_equal(classify_with(rules, "5.1.1", false,
	                     "host a[1] said: 550 5.1.1 No (in reply to RCPT "
	                     "TO command)",
	                     &line),
	    BOUNCE_CLASS_INVALID_RECIPIENT);
	assert_int_equal(line, 6);
	assert_int_equal(classify_with(rules, "5.1.1", false,
	                     "host a[1] said: 550 5.1.1 No (in reply to end "
	                     "of DATA command)",
	                     NULL),
	    BOUNCE_CLASS_UNKNOWN);
	assert_int_equal(classify_with(rules, "5.0.0", false,
	                     "host a[1] said: 550 #5.7.1 X (in reply to RCPT "
	                     "TO command)",
	                     NULL),
	    BOUNCE_CLASS_SPAM_BLOCK);
	assert_int_equal(classify_with(rules, "5.0.0", false,
	                     "host a[1] said: 554 Found a VIRUS (in reply to "
	                     "end of DATA command)",
	                     NULL),
	    BOUNCE_CLASS_CONTENT);
	/* The regex is anchored at the reply, not at Postfix's framing. */
	assert_int_equal(classify_with(rules, "5.0.0", false,
	                     "host a[1] said: 550 virus (in reply to end of "
	                     "DATA command)",
	                     NULL),
	    BOUNCE_CLASS_UNKNOWN);
	assert_int_equal(
	    classify_with(rules, "5.4.4", true, "Host not found", NULL),
	    BOUNCE_CLASS_BAD_DOMAIN);
	assert_int_equal(
	    classify_with(rules, "5.4.4", false, "Host not found", NULL),
	    BOUNCE_CLASS_UNKNOWN);
	assert_int_equal(
	    classify_with(rules, "4.4.1", true, "connect: timeout", NULL),
	    BOUNCE_CLASS_RATE_LIMITED);
	assert_int_equal(
	    classify_with(rules, NULL, true, "x", &line), BOUNCE_CLASS_LOCAL);
	assert_int_equal(line, 9);
	/* No valid DSN: rules with dsn= never match. */
	assert_int_equal(classify_with(rules, "bogus", false, "x", &line),
	    BOUNCE_CLASS_UNKNOWN);
	assert_int_equal(line, 0);
	assert_int_equal(classify_with(rules, "5.7.1", false,
	                     "host a[1] refused to talk to me: 554 no", &line),
	    BOUNCE_CLASS_NETWORK);
	assert_int_equal(line, 11);
	assert_int_equal(classify_with(NULL, "5.1.1", false, "x", &line),
	    BOUNCE_CLASS_UNKNOWN);
	/* Printed, the rules read back the same. */
	out = open_memstream(&printed, &printed_size);
	bounce_rules_print(rules, out);
	fclose(out);
	again = parse_text(printed, &errors);
	assert_non_null(again);
	assert_int_equal(again->count, rules->count);
	for (size_t i = 0; i < rules->count; i++) {
		assert_int_equal(again->rules[i].class, rules->rules[i].class);
		assert_int_equal(
		    again->rules[i].stages, rules->rules[i].stages);
		assert_int_equal(
		    again->rules[i].dsn_count, rules->rules[i].dsn_count);
		assert_int_equal(
		    again->rules[i].text_count, rules->rules[i].text_count);
	}
	assert_non_null(strstr(printed, "spam-block text='said \"no\"' "
	                                "text=\"#5.7.1 x\"\n"));
	assert_non_null(strstr(printed, "reputation text=spamhaus\n"));
	assert_non_null(strstr(printed, "invalid-recipient dsn=5.1.1,5.1.10 "
	                                "stage=none,rcpt\n"));
	free(printed);
	bounce_rules_free(again);
	bounce_rules_free(rules);
}

static void
test_rules_load(void **state)
{
	struct config_errors errors = {0};
	char path[4096];
	FILE *file;

	(void)state;
	assert_true(unit_temp_path(path, sizeof(path), "bounce-classes.conf"));
	file = fopen(path, "w");
	assert_non_null(file);
	fputs("local relay=none\n", file);
	fclose(file);
	chmod(path, 0644);
	assert_non_null(shipped);
	bounce_rules_free(bounce_rules_load(path, &errors));
	assert_int_equal(errors.count, 0);
	/* Writable by others: anyone could decide what is suppressed. */
	chmod(path, 0666);
	assert_null(bounce_rules_load(path, &errors));
	assert_config_error(&errors, "others may write it (mode 666)");
	unlink(path);
	memset(&errors, 0, sizeof(errors));
	assert_null(bounce_rules_load(path, &errors));
	assert_config_error(&errors, "cannot open");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_classes),
	    cmocka_unit_test(test_fixture_never_suppresses),
	    cmocka_unit_test(test_5_1_1_with_policy_words),
	    cmocka_unit_test(test_reply_stage_and_text),
	    cmocka_unit_test(test_dsn_parse),
	    cmocka_unit_test(test_class_names),
	    cmocka_unit_test(test_rules_errors),
	    cmocka_unit_test(test_rules_grammar),
	    cmocka_unit_test(test_rules_load),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
