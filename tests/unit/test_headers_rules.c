/*
 * test_headers_rules - each rule of waypost-headers, through normalize()
 *
 * A case is a header block in, a configuration, and the header block
 * expected out (as header_list_render() writes it), the change log, or
 * the refusal. Every case also plays the milter requests
 * header_list_send_operations() makes against a small model of how Postfix
 * applies them (change by name and occurrence, an empty value deletes;
 * insert by position, where index 0 is Postfix's own Received header,
 * which milters do not see) and checks that it gives the same block:
 * the requests, not just the plan, are right.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "unit_test.h"

#include "buffer.h"
#include "config_file.h"
#include "header_list.h"
#include "header_store.h"
#include "headers_config.h"
#include "identity_sources.h"
#include "normalize.h"

/* 2026-11-23 10:00:00 UTC, a Monday. */
#define ARRIVAL 1795428000

struct outcome {
	enum rule_result result;
	char out[8192];
	char changes[1024];
	char reply[512];
};

enum { TRUSTED = 1, SMTPUTF8 = 2 };

/* "Name: value\n\tfold\n..." into the store, as the MTA sends it. */
static void
parse_block(const char *block, struct header_store *store)
{
	char *copy = strdup(block), *line = copy, *next;
	struct buffer value = {0};
	char *name = NULL;

	for (; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if ((*line == ' ' || *line == '\t') && name != NULL) {
			buffer_append_char(&value, '\n');
			buffer_append(&value, line,
			    (size_t)(next - line) - (next[-1] == '\n'));
			continue;
		}
		if (name != NULL)
			header_store_receive(store, name, value.data);
		buffer_reset(&value);
		buffer_append_text(&value, "");
		name = line;
		*strchr(line, ':') = '\0';
		buffer_append(&value, strchr(line, '\0') + 1,
		    (size_t)(next - strchr(line, '\0') - 1) -
		        (next[-1] == '\n'));
	}
	if (name != NULL)
		header_store_receive(store, name, value.data);
	buffer_free(&value);
	free(copy);
}

/* Postfix's side: apply the requests to the received headers. */
struct model {
	char *names[256];
	char *values[256];
	size_t count;
};

static bool
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la && (a[la - 1] == ' ' || a[la - 1] == '\t'))
		la--;
	while (lb && (b[lb - 1] == ' ' || b[lb - 1] == '\t'))
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static void
model_apply(struct model *model, const struct header_operation *operation)
{
	if (operation->kind == HEADER_OPERATION_CHANGE) {
		unsigned seen = 0;

		for (size_t i = 0; i < model->count; i++) {
			if (!same_name(model->names[i], operation->name) ||
			    ++seen != operation->index)
				continue;
			if (operation->value[0] == '\0') {
				memmove(&model->names[i], &model->names[i + 1],
				    (model->count - i - 1) * sizeof(char *));
				memmove(&model->values[i],
				    &model->values[i + 1],
				    (model->count - i - 1) * sizeof(char *));
				model->count--;
			} else
				model->values[i] = (char *)operation->value;
			return;
		}
		fail_msg("change of %s #%u: no such header", operation->name,
		    operation->index);
	}
	/* Index 0 is Postfix's hidden Received header. */
	size_t at = operation->index == 0 ? 0 : operation->index - 1;

	at = at < model->count ? at : model->count;
	memmove(&model->names[at + 1], &model->names[at],
	    (model->count - at) * sizeof(char *));
	memmove(&model->values[at + 1], &model->values[at],
	    (model->count - at) * sizeof(char *));
	model->names[at] = (char *)operation->name;
	model->values[at] = (char *)operation->value;
	model->count++;
}

static bool
model_send(void *context, const struct header_operation *operation)
{
	model_apply(context, operation);
	return true;
}

static void
check_operations(const struct header_list *list, const char *rendered)
{
	struct model model = {0};
	struct buffer out = {0};

	for (size_t i = 0; i < list->received; i++) {
		model.names[model.count] = list->items[i].name;
		model.values[model.count++] = list->items[i].value;
	}
	assert_true(header_list_send_operations(list, model_send, &model));
	buffer_append_text(&out, "");
	for (size_t i = 0; i < model.count; i++)
		buffer_printf(&out, "%s:%s\n", model.names[i], model.values[i]);
	assert_string_equal(out.data, rendered);
	buffer_free(&out);
}

/* user: the SMTP AUTH name, or NULL; the identity sources are the real
 * ones the settings name (a file, or a Redis that is not there). */
static struct outcome
run_as(const char *settings, const char *block, int flags, const char *user)
{
	struct config_errors errors = {0};
	char text[2048];
	struct headers_config *config;
	struct header_store store;
	struct header_list list;
	struct rule_context context;
	struct buffer rendered = {0};
	struct identity_sources identities;
	struct outcome outcome;

	snprintf(text, sizeof(text),
	    "[headers]\nmessage_id_domain = example.org\n"
	    "authserv_id = relay.example.org\n%s\n",
	    settings);
	config = config_load_buffer(
	    &headers_schema, "test.conf", text, strlen(text), &errors);
	if (config == NULL)
		fail_msg("config: %s", errors.text[0]);
	if (!identity_sources_open(&identities, config, &errors))
		fail_msg("identities: %s", errors.text[0]);
	header_store_init(&store, &header_list_limits, true);
	parse_block(block, &store);
	header_list_init(&list, &store);
	normalize_context_init(&context, &config->headers, &list);
	context.arrival = ARRIVAL;
	context.trusted_client = flags & TRUSTED;
	context.smtputf8 = flags & SMTPUTF8;
	context.queue_id = "4QabcD1xyz";
	context.message_id_domain = "example.org";
	context.authserv_id = "relay.example.org";
	context.user = user;
	context.owns = identity_sources_owns;
	context.identity_source = &identities;
	outcome.result = normalize(&context);
	header_list_render(&list, &rendered);
	snprintf(outcome.out, sizeof(outcome.out), "%s", rendered.data);
	snprintf(outcome.changes, sizeof(outcome.changes), "%s",
	    context.changes.data);
	snprintf(outcome.reply, sizeof(outcome.reply), "%s %s %s",
	    context.reply_code, context.status, context.reply_text);
	if (outcome.result == RULE_PASS)
		check_operations(&list, rendered.data);
	buffer_free(&rendered);
	normalize_context_free(&context);
	header_list_free(&list);
	header_store_free(&store);
	identity_sources_close(&identities);
	config_free(&headers_schema, config);
	return outcome;
}

static struct outcome
run(const char *settings, const char *block, int flags)
{
	return run_as(settings, block, flags, NULL);
}

/* A clean message: every rule must leave it alone. */
#define CLEAN                                                                  \
	"From: App <app@example.com>\n"                                        \
	"To: user@example.net\n"                                               \
	"Subject: hello\n"                                                     \
	"Date: Mon, 23 Nov 2026 10:00:00 +0000\n"                              \
	"Message-ID: <1@example.com>\n"

static void
assert_passes(
    const struct outcome *outcome, const char *out, const char *changes)
{
	if (outcome->result != RULE_PASS)
		fail_msg("refused: %s", outcome->reply);
	assert_string_equal(outcome->out, out);
	assert_string_equal(outcome->changes, changes);
}

static void
assert_refused(const struct outcome *outcome, const char *reply)
{
	assert_int_equal(outcome->result, RULE_REFUSE);
	if (strstr(outcome->reply, reply) == NULL)
		fail_msg("reply \"%s\" lacks \"%s\"", outcome->reply, reply);
}

static void
test_clean_message_untouched(void **state)
{
	struct outcome outcome = run("", CLEAN, TRUSTED);

	(void)state;
	assert_passes(&outcome, CLEAN, "");
}

static void
test_rule1_duplicates(void **state)
{
	struct outcome outcome;

	(void)state;
	outcome = run("", CLEAN "From: evil@example.net\n", 0);
	assert_refused(&outcome, "550 5.7.1 Message has more than one From");
	outcome =
	    run("", CLEAN "Sender: a@example.com\nSender: b@example.com\n", 0);
	assert_refused(&outcome, "more than one Sender");
	outcome = run("", CLEAN "To:  user@example.net\nSubject: other\n", 0);
	assert_passes(&outcome, CLEAN,
	    "removed To (a copy), removed Subject (a second, different one)");
	outcome =
	    run("differing_duplicates = reject", CLEAN "Subject: other\n", 0);
	assert_refused(&outcome, "more than one Subject");
	outcome =
	    run("differing_duplicates = reject", CLEAN "Subject: hello\n", 0);
	assert_passes(&outcome, CLEAN, "removed Subject (a copy)");
	outcome = run("duplicates = no", CLEAN "Subject: other\n", 0);
	assert_passes(&outcome, CLEAN "Subject: other\n", "");
}

#define REST                                                                   \
	"Subject: hello\n"                                                     \
	"Date: Mon, 23 Nov 2026 10:00:00 +0000\n"                              \
	"Message-ID: <1@example.com>\n"

static void
test_rule2_from(void **state)
{
	struct outcome outcome;

	(void)state;
	outcome = run("", "To: a@example.net\n" REST, 0);
	assert_refused(&outcome, "550 5.7.1 Message has no From header");
	outcome = run("", "From: a@example.com, b@example.com\n" REST, 0);
	assert_refused(&outcome, "names 2 mailboxes and there is no Sender");
	outcome = run("",
	    "From: a@example.com, b@example.com\nSender: a@example.com\n" REST,
	    0);
	assert_passes(&outcome,
	    "From: a@example.com, b@example.com\nSender: a@example.com\n" REST,
	    "");
	outcome = run("", "From: undisclosed:;\n" REST, 0);
	assert_refused(&outcome, "names no mailbox");
	outcome = run("", "From: \"unbalanced <a@example.com>\n" REST, 0);
	assert_refused(&outcome, "cannot be parsed");
	outcome =
	    run("", "From: a@example.com\nSender: a@x.org, b@x.org\n" REST, 0);
	assert_refused(&outcome, "Sender header must name exactly one");
	outcome = run("check_from = no", "To: a@example.net\n" REST, 0);
	assert_passes(&outcome, "To: a@example.net\n" REST, "");
}

/* Rule 2's second half: an authenticated user's From. */
static void
test_rule2_from_owner(void **state)
{
	char file[128];
	char reject[512], rewrite[512], redis_down[512], accept[512];
	const char *alice = "alice@example.com";
	struct outcome outcome;
	int fd;
	FILE *out;

	(void)state;
	assert_true(
	    unit_temp_path(file, sizeof(file), "waypost-identities-XXXXXX"));
	fd = mkstemp(file);
	out = fdopen(fd, "w");
	fprintf(out, "# user  grants\n"
	             "Alice@Example.com alice@example.com, @alice.example\n"
	             "bob bob@example.net\n"
	             "alice@example.com  billing@example.com # more\n");
	fclose(out);
	snprintf(reject, sizeof(reject),
	    "from_ownership = reject\nidentities_redis = no\n"
	    "identities_file = %s",
	    file);
	snprintf(rewrite, sizeof(rewrite),
	    "from_ownership = rewrite\nidentities_redis = no\n"
	    "identities_file = %s",
	    file);
	/* Port 1 on loopback: nothing listens, the connect is refused. */
	snprintf(redis_down, sizeof(redis_down),
	    "from_ownership = reject\nidentities_file = %s\n"
	    "[redis]\naddress = 127.0.0.1:1",
	    file);
	snprintf(accept, sizeof(accept),
	    "from_ownership = reject\nidentities_unavailable = accept\n"
	    "[redis]\naddress = 127.0.0.1:1");

	/* Owned: the exact address (any case), a granted domain. */
	outcome = run_as(reject, "From: Alice <ALICE@Example.COM>\n" REST, 0,
	    "ALICE@example.com");
	assert_passes(&outcome, "From: Alice <ALICE@Example.COM>\n" REST, "");
	outcome = run_as(reject, "From: news@alice.example\n" REST, 0, alice);
	assert_passes(&outcome, "From: news@alice.example\n" REST, "");
	outcome = run_as(reject, "From: billing@example.com\n" REST, 0, alice);
	assert_passes(&outcome, "From: billing@example.com\n" REST, "");
	/* Not owned: another address, a subdomain, a Sender, another user. */
	outcome = run_as(reject, "From: ceo@example.com\n" REST, 0, alice);
	assert_refused(&outcome, "550 5.7.1 From address <ceo@example.com> "
	                         "not owned by user alice@example.com");
	outcome = run_as(reject, "From: a@sub.alice.example\n" REST, 0, alice);
	assert_refused(&outcome, "<a@sub.alice.example> not owned");
	outcome = run_as(reject,
	    "From: alice@example.com\nSender: ceo@example.com\n" REST, 0,
	    alice);
	assert_refused(&outcome, "<ceo@example.com> not owned");
	outcome = run_as(reject, "From: alice@example.com\n" REST, 0, "bob");
	assert_refused(&outcome, "not owned by user bob");
	/* Clients that did not log in are not rule 2's second half. */
	outcome = run_as(reject, "From: ceo@example.com\n" REST, 0, NULL);
	assert_passes(&outcome, "From: ceo@example.com\n" REST, "");
	/* Off by default. */
	outcome = run_as("", "From: ceo@example.com\n" REST, 0, alice);
	assert_passes(&outcome, "From: ceo@example.com\n" REST, "");

	/* Rewrite: the user's address, the display name kept, the original
	 * in Reply-To (inserted at the top), a Sender removed. */
	outcome = run_as(rewrite,
	    "From: \"Shop\" <noreply@shop.example>\nSender: x@shop.example\n" REST,
	    0, alice);
	assert_passes(&outcome,
	    "Reply-To: \"Shop\" <noreply@shop.example>\n"
	    "From: \"Shop\" <alice@example.com>\n" REST,
	    "rewrote From (noreply@shop.example not owned by user "
	    "alice@example.com), original in Reply-To, removed Sender (From "
	    "rewritten)");
	outcome = run_as(rewrite,
	    "From: noreply@shop.example\nReply-To: help@shop.example\n" REST, 0,
	    alice);
	assert_passes(&outcome,
	    "From: <alice@example.com>\nReply-To: help@shop.example\n" REST,
	    "rewrote From (noreply@shop.example not owned by user "
	    "alice@example.com)");
	/* A user whose name is not an address has no address to put. */
	outcome = run_as(rewrite, "From: ceo@example.com\n" REST, 0, "bob");
	assert_refused(&outcome, "<ceo@example.com> not owned by user bob");

	/* Redis down: a file grant still answers; otherwise 451, or pass
	 * with identities_unavailable = accept. */
	outcome =
	    run_as(redis_down, "From: alice@example.com\n" REST, 0, alice);
	assert_passes(&outcome, "From: alice@example.com\n" REST, "");
	outcome = run_as(redis_down, "From: ceo@example.com\n" REST, 0, alice);
	assert_refused(&outcome, "451 4.3.0 Sender identities unavailable");
	outcome = run_as(accept, "From: ceo@example.com\n" REST, 0, alice);
	assert_int_equal(outcome.result, RULE_PASS);
	if (strstr(outcome.changes, "From not checked (Redis: ") == NULL)
		fail_msg("changes: %s", outcome.changes);
	unlink(file);
}

/* Compare, with "{id}" in expected matching a generated Message-ID's
 * local part. */
static void
assert_matches(const char *actual, const char *expected)
{
	const char *a = actual, *e = expected;

	while (*e) {
		if (strncmp(e, "{id}", 4) == 0) {
			size_t length = strspn(a, "0123456789."
			                          "abcdefghijklmnopqrstuvwxyz");

			if (length < 16)
				break;
			a += length;
			e += 4;
			continue;
		}
		if (*a++ != *e++)
			break;
	}
	if (*a != '\0' || *e != '\0')
		fail_msg("got:\n%s\nexpected:\n%s", actual, expected);
}

static void
test_rule3_message_id(void **state)
{
	struct outcome outcome;
	const char *base = "From: a@example.com\n"
	                   "Date: Mon, 23 Nov 2026 10:00:00 +0000\n";

	(void)state;
	outcome = run("", base, 0);
	assert_matches(outcome.out,
	    "Message-ID: <20261123100000.{id}@example.org>\nFrom: a@example.com\n"
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n");
	assert_string_equal(outcome.changes, "added Message-ID");
	outcome = run("",
	    "From: a@example.com\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n"
	    "Message-ID: 12345.abc\n",
	    0);
	assert_matches(outcome.out,
	    "X-Original-Message-ID: 12345.abc\nFrom: a@example.com\n"
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
	    "Message-ID: <20261123100000.{id}@example.org>\n");
	assert_string_equal(outcome.changes, "replaced invalid Message-ID");
	static const char *const invalid[] = {"<no-at-sign>", "<a b@c>", "<a@b",
	    "a@b", "<a@b> trailing", "<a@@b>", "<@b>", "<a@>", "<a..b@c>",
	    "<\xc3\xa9@b>"};
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char block[256];

		snprintf(block, sizeof(block), "%sMessage-ID: %s\n", base,
		    invalid[i]);
		outcome = run("encode_8bit = no", block, 0);
		if (strcmp(outcome.changes, "replaced invalid Message-ID") != 0)
			fail_msg("%s: %s", invalid[i], outcome.changes);
	}
	static const char *const valid[] = {"<a.b@c.d>", " (comment) <a@b>",
	    "<\"quoted.local\"@b>", "<a@[127.0.0.1]>",
	    "<a!#$%&'*+/=?^_`{|}~@b>"};
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char block[256];

		snprintf(
		    block, sizeof(block), "%sMessage-ID: %s\n", base, valid[i]);
		outcome = run("", block, 0);
		if (strcmp(outcome.changes, "") != 0)
			fail_msg("%s: %s", valid[i], outcome.changes);
	}
	outcome = run("message_id = no", base, 0);
	assert_passes(&outcome, base, "");
}

static void
test_rule4_date(void **state)
{
	static const struct {
		const char *in, *out, *change;
	} cases[] = {
	    {"Mon, 23 Nov 2026 10:00:00 +0000", NULL, ""},
	    {"23 Nov 2026 10:00 -0500 (EST)", NULL, ""},
	    {"Mon, 23 Nov 2026 10:00:00 GMT", NULL, ""},
	    {"2026-11-23T10:00:00Z", "Mon, 23 Nov 2026 10:00:00 +0000",
	        "repaired Date"},
	    {"2026-11-23 11:30:15.123+01:30", "Mon, 23 Nov 2026 11:30:15 +0130",
	        "repaired Date"},
	    {"Mon, 23 Nov 2026 12:00:00 +02:00",
	        "Mon, 23 Nov 2026 12:00:00 +0200", "repaired Date"},
	    {"Mon 23 Nov 2026 10:00:00 +0000",
	        "Mon, 23 Nov 2026 10:00:00 +0000", "repaired Date"},
	    {"Mon, 23 Nov 26 10:00:00 +0000", "Mon, 23 Nov 2026 10:00:00 +0000",
	        "repaired Date"},
	    {"Fri, 23 Nov 2026 10:00:00 +0000",
	        "Mon, 23 Nov 2026 10:00:00 +0000", "repaired Date"},
	    {"Mon Nov 23 10:00:00 2026", "Mon, 23 Nov 2026 10:00:00 -0000",
	        "repaired Date"},
	    {"Monday, 23 November 2026 10:00:00 UTC",
	        "Mon, 23 Nov 2026 10:00:00 +0000", "repaired Date"},
	    {"yesterday", "Mon, 23 Nov 2026 10:00:00 +0000",
	        "replaced invalid Date with the arrival time"},
	    {"Mon, 31 Feb 2026 10:00:00 +0000",
	        "Mon, 23 Nov 2026 10:00:00 +0000",
	        "replaced invalid Date with the arrival time"},
	    {"Mon, 23 Nov 2026 25:00:00 +0000",
	        "Mon, 23 Nov 2026 10:00:00 +0000",
	        "replaced invalid Date with the arrival time"},
	};
	struct outcome outcome;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[256], out[512];

		snprintf(in, sizeof(in),
		    "From: a@example.com\nMessage-ID: <1@b>\nDate: %s\n",
		    cases[i].in);
		if (cases[i].out == NULL)
			snprintf(out, sizeof(out), "%s", in);
		else
			snprintf(out, sizeof(out),
			    "X-Original-Date: %s\nFrom: a@example.com\n"
			    "Message-ID: <1@b>\nDate: %s\n",
			    cases[i].in, cases[i].out);
		outcome = run("", in, 0);
		assert_passes(&outcome, out, cases[i].change);
	}
	outcome = run("", "From: a@example.com\nMessage-ID: <1@b>\n", 0);
	assert_passes(&outcome,
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\nFrom: a@example.com\n"
	    "Message-ID: <1@b>\n",
	    "added Date");
}

/* Every line of a rendered block within max, and the unfolded block
 * equal to the unfolded original. */
static void
assert_folded(const char *out, const char *original, size_t max)
{
	size_t line = 0;
	char *a = malloc(strlen(out) + 1), *b = malloc(strlen(original) + 1);
	char *p;

	for (const char *c = out; *c; c++) {
		if (*c == '\n') {
			if (line > max)
				fail_msg("a line of %zu octets", line);
			line = 0;
		} else
			line++;
	}
	/* Unfold both: drop each "\n" that precedes white space. */
	p = a;
	for (const char *c = out; *c; c++)
		if (!(*c == '\n' && (c[1] == ' ' || c[1] == '\t')))
			*p++ = *c;
	*p = '\0';
	p = b;
	for (const char *c = original; *c; c++)
		if (!(*c == '\n' && (c[1] == ' ' || c[1] == '\t')))
			*p++ = *c;
	*p = '\0';
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void
test_rule5_long_lines(void **state)
{
	struct buffer block = {0};
	struct outcome outcome;
	char change[64];

	(void)state;
	buffer_append_text(&block, CLEAN "X-Long:");
	for (int i = 0; i < 130; i++)
		buffer_printf(&block, " word%03d", i);
	buffer_append_text(&block, "\n");
	outcome = run("", block.data, 0);
	snprintf(change, sizeof(change), "refolded X-Long (%zu octets)",
	    strlen("X-Long:") + 130 * 8);
	assert_int_equal(outcome.result, RULE_PASS);
	assert_string_equal(outcome.changes, change);
	assert_folded(outcome.out, block.data, 78);
	/* Quoted strings in a structured field stay on one line. */
	buffer_reset(&block);
	buffer_append_text(&block, CLEAN "Cc: \"");
	for (int i = 0; i < 100; i++)
		buffer_printf(&block, "name%03d ", i);
	buffer_append_text(&block, "\" <x@example.com>");
	for (int i = 0; i < 40; i++)
		buffer_printf(&block, ", user%03d@example.com", i);
	buffer_append_text(&block, "\n");
	outcome = run("", block.data, 0);
	assert_int_equal(outcome.result, RULE_PASS);
	assert_folded(outcome.out, block.data, 998);
	assert_non_null(strstr(outcome.out, "name000 name001"));
	assert_null(strstr(outcome.out, "name050\n"));
	/* One word longer than a line. */
	buffer_reset(&block);
	buffer_append_text(&block, CLEAN "X-Token: ");
	for (int i = 0; i < 1100; i++)
		buffer_append_char(&block, 'a');
	buffer_append_text(&block, "\n");
	outcome = run("", block.data, 0);
	assert_refused(&outcome, "550 5.6.0 Header X-Token cannot be folded");
	outcome = run("unfoldable = pass", block.data, 0);
	assert_passes(&outcome, block.data,
	    "left X-Token unfolded (a word of 1109 octets)");
	/* Under 998 octets: not touched, however long. */
	buffer_reset(&block);
	buffer_append_text(&block, CLEAN "X-Medium:");
	for (int i = 0; i < 100; i++)
		buffer_printf(&block, " word%03d", i);
	buffer_append_text(&block, "\n");
	outcome = run("", block.data, 0);
	assert_passes(&outcome, block.data, "");
	buffer_free(&block);
}

static void
test_rule5_references_cap(void **state)
{
	struct outcome outcome;

	(void)state;
	outcome = run("references_max = 2",
	    CLEAN "References: <1@a> <2@a>\n\t<3@a> <4@a> <5@a>\n", 0);
	assert_passes(&outcome, CLEAN "References: <1@a> <4@a> <5@a>\n",
	    "shortened References (5 to 3 IDs)");
	outcome = run(
	    "references_max = 2", CLEAN "References: <1@a> <2@a> <3@a>\n", 0);
	assert_passes(&outcome, CLEAN "References: <1@a> <2@a> <3@a>\n", "");
}

static void
test_rule6_8bit(void **state)
{
	struct outcome outcome;

	(void)state;
	outcome = run("",
	    "From: J\xc3\xb6rg M\xc3\xbcller <j@example.com>\n"
	    "To: \"Ren\xc3\xa9 \\\"R\\\"\" <r@example.net>, plain@example.net\n" REST
	    "X-Note: caf\xc3\xa9 au lait\n",
	    0);
	assert_passes(&outcome,
	    "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <j@example.com>\n"
	    "To: =?UTF-8?Q?Ren=C3=A9_=22R=22?= <r@example.net>, "
	    "plain@example.net\n" REST
	    "X-Note: =?UTF-8?Q?caf=C3=A9?= au lait\n",
	    "encoded From (RFC 2047), encoded To (RFC 2047), encoded X-Note "
	    "(RFC 2047)");
	/* Runs of 8-bit words stay one run: the space inside survives. */
	outcome = run("",
	    "From: a@example.com\nDate: Mon, 23 Nov 2026 "
	    "10:00:00 +0000\nMessage-ID: <1@b>\n"
	    "Subject: \xc3\xa9t\xc3\xa9 \xc3\xa0 Paris\n",
	    0);
	assert_string_equal(strstr(outcome.out, "Subject:"),
	    "Subject: =?UTF-8?B?w6l0w6kgw6A=?= Paris\n");
	/* Not UTF-8: read as ISO-8859-1. */
	outcome = run("", CLEAN "Comments: caf\xe9\n", 0);
	assert_passes(&outcome, CLEAN "Comments: =?UTF-8?Q?caf=C3=A9?=\n",
	    "encoded Comments (RFC 2047, from ISO-8859-1)");
	outcome = run("invalid_utf8 = reject", CLEAN "Comments: caf\xe9\n", 0);
	assert_refused(
	    &outcome, "550 5.6.7 Header Comments is not valid UTF-8");
	outcome =
	    run("", CLEAN "Cc: J\xc3\xb6rg <j\xc3\xb6rg@example.com>\n", 0);
	assert_refused(&outcome, "5.6.7 Header Cc has a non-ASCII address");
	outcome = run("", CLEAN "Cc: j\xc3\xb6rg@example.com\n", 0);
	assert_refused(&outcome, "non-ASCII address");
	outcome = run("", CLEAN "Cc: j@example.com (J\xc3\xb6rg)\n", 0);
	assert_passes(&outcome,
	    CLEAN "Cc: j@example.com (=?UTF-8?Q?J=C3=B6rg?=)\n",
	    "encoded Cc (RFC 2047)");
	/* SMTPUTF8 mail may carry UTF-8 headers. */
	outcome = run("", CLEAN "Cc: j\xc3\xb6rg@example.com\n", SMTPUTF8);
	assert_passes(&outcome, CLEAN "Cc: j\xc3\xb6rg@example.com\n", "");
	outcome = run("encode_8bit = no", CLEAN "Comments: caf\xc3\xa9\n", 0);
	assert_passes(&outcome, CLEAN "Comments: caf\xc3\xa9\n", "");
	/* A long 8-bit Subject: several encoded-words, folded. */
	struct buffer block = {0};
	buffer_append_text(&block, "From: a@example.com\nDate: Mon, 23 Nov "
	                           "2026 10:00:00 +0000\nMessage-ID: <1@b>\n"
	                           "Subject:");
	for (int i = 0; i < 40; i++)
		buffer_append_text(&block, " \xe6\x97\xa5\xe6\x9c\xac");
	buffer_append_text(&block, "\n");
	outcome = run("", block.data, 0);
	assert_int_equal(outcome.result, RULE_PASS);
	for (char *line = outcome.out; *line;) {
		char *end = strchr(line, '\n');

		assert_true(end - line <= 78);
		line = end + 1;
	}
	buffer_free(&block);
}

static void
test_rule7_privacy(void **state)
{
	const char *in =
	    "Received: from app.internal (app.internal [10.1.2.3])\n"
	    "\tby relay.example.org (Postfix) with ESMTP id 4QabcD1xyz\n"
	    "Received: from laptop (unknown [192.168.1.20])\n"
	    "\tby app.internal with SMTP id 77\n"
	    "Received: from mx.example.net (mx.example.net [203.0.113.5])\n"
	    "\tby app.internal with ESMTP id 78\n"
	    "Received: from [IPv6:fd00::5] by gw with SMTP\n" CLEAN
	    "X-Mailer: PHPMailer 6.0\n"
	    "X-Originating-IP: [10.1.2.3]\n"
	    "User-Agent: Thunderbird\n"
	    "X-Keep: yes\n";
	struct outcome outcome;

	(void)state;
	outcome = run("", in, TRUSTED);
	assert_passes(&outcome,
	    "Received: from app.internal (app.internal [10.1.2.3])\n"
	    "\tby relay.example.org (Postfix) with ESMTP id 4QabcD1xyz\n"
	    "Received: from mx.example.net (mx.example.net [203.0.113.5])\n"
	    "\tby app.internal with ESMTP id 78\n" CLEAN "X-Keep: yes\n",
	    "removed Received (a private hop), removed Received (a private "
	    "hop), removed X-Mailer, removed X-Originating-IP, removed "
	    "User-Agent");
	outcome = run("", in, 0);
	assert_passes(&outcome, in, "");
	outcome = run("privacy_headers = X-Keep, X-*-IP\nprivacy_received = no",
	    in, TRUSTED);
	assert_string_equal(
	    outcome.changes, "removed X-Originating-IP, removed X-Keep");
}

static void
test_rule8_trust(void **state)
{
	struct outcome outcome;

	(void)state;
	outcome = run("",
	    CLEAN "Authentication-Results: relay.example.org; dkim=pass\n"
	          "Authentication-Results: mx.other.net; spf=pass\n"
	          "X-Spam-Flag: NO\nX-Spam-Status: No, score=-1\n",
	    0);
	assert_passes(&outcome,
	    CLEAN "Authentication-Results: mx.other.net; spf=pass\n",
	    "removed Authentication-Results (our authserv-id), removed "
	    "X-Spam-Flag, removed X-Spam-Status");
	outcome = run("trust_headers = no", CLEAN "X-Spam-Flag: YES\n", 0);
	assert_passes(&outcome, CLEAN "X-Spam-Flag: YES\n", "");
}

static void
test_rule9_list_unsubscribe(void **state)
{
	struct outcome outcome;
	const char *good = CLEAN
	    "List-Unsubscribe: <https://example.com/u/1>, <mailto:u@example.com>\n"
	    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n";

	(void)state;
	outcome = run("", good, 0);
	assert_passes(&outcome, good, "");
	outcome = run("",
	    CLEAN "List-Unsubscribe: <https://example.com/u/1>\n"
	          "List-Unsubscribe: <https://example.com/u/2>\n"
	          "List-Unsubscribe-Post: list-unsubscribe=one-click\n",
	    0);
	assert_passes(&outcome,
	    CLEAN "List-Unsubscribe: <https://example.com/u/1>\n"
	          "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
	    "removed List-Unsubscribe (a second one), repaired "
	    "List-Unsubscribe-Post");
	outcome = run("",
	    CLEAN "List-Unsubscribe: <mailto:u@example.com>\n"
	          "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
	    0);
	assert_passes(&outcome,
	    CLEAN "List-Unsubscribe: <mailto:u@example.com>\n",
	    "removed List-Unsubscribe-Post (no https List-Unsubscribe)");
	outcome = run("list_unsubscribe = reject",
	    CLEAN "List-Unsubscribe: <mailto:u@example.com>\n"
	          "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
	    0);
	assert_refused(&outcome, "needs a List-Unsubscribe with an https URI");
	outcome = run("",
	    CLEAN "List-Unsubscribe: <https://example.com/u/1>\n"
	          "List-Unsubscribe-Post: yes please\n",
	    0);
	assert_string_equal(outcome.changes,
	    "removed List-Unsubscribe-Post (not List-Unsubscribe=One-Click)");
}

static void
test_rule10_syntax(void **state)
{
	struct outcome outcome;

	(void)state;
	outcome = run("", "From : a@example.com\nTo: b@example.net\n" REST, 0);
	assert_passes(&outcome, "From: a@example.com\nTo: b@example.net\n" REST,
	    "repaired From (white space before the colon)");
	outcome = run("syntax = reject",
	    "From : a@example.com\nTo: b@example.net\n" REST, 0);
	assert_refused(&outcome, "5.6.0 Header From  has white space");
	outcome = run("", CLEAN "X-Bad: one\rtwo\n", 0);
	assert_passes(&outcome, CLEAN "X-Bad: one two\n",
	    "repaired X-Bad (bare CR or LF)");
	outcome = run("", CLEAN "X-Bad\x01: x\n", 0);
	assert_refused(&outcome, "has characters RFC 5322 does not allow");
	outcome = run("", CLEAN "X-\xc3\xa9: x\n", 0);
	assert_refused(&outcome, "has characters RFC 5322 does not allow");
}

/* waypost-headers' bounds, as its store applies them. */
static void
test_list_bounds(void **state)
{
	struct header_store store;
	char *big = malloc(HEADER_LIST_BYTES_MAX + 2);

	(void)state;
	header_store_init(&store, &header_list_limits, true);
	for (size_t i = 0; i < HEADER_LIST_COUNT_MAX; i++)
		assert_true(header_store_receive(&store, "X-N", " 1"));
	assert_false(header_store_receive(&store, "X-N", " 1"));
	assert_true(store.over_limit);
	header_store_free(&store);
	memset(big, 'a', HEADER_LIST_BYTES_MAX + 1);
	big[HEADER_LIST_BYTES_MAX + 1] = '\0';
	assert_false(header_store_receive(&store, "X-Big", big));
	assert_true(store.over_limit);
	header_store_free(&store);
	free(big);
}

/* Deleting three of four same-named headers: from the last one up. */
static void
test_deletions_from_the_highest_index(void **state)
{
	struct outcome outcome;

	(void)state;
	outcome = run("privacy_headers = X-Mailer",
	    CLEAN "X-Mailer: 1\nX-Keep: a\nX-Mailer: 2\nX-Mailer: 3\n",
	    TRUSTED);
	assert_passes(&outcome, CLEAN "X-Keep: a\n",
	    "removed X-Mailer, removed X-Mailer, removed X-Mailer");
}

static void
test_config_errors(void **state)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
	    {"fallback_charset = NO-SUCH-CHARSET", "fallback_charset"},
	    {"message_id_domain = not a domain", "message_id_domain"},
	    {"single_headers = From, Bad:Name", "single_headers"},
	    {"differing_duplicates = maybe", "differing_duplicates"},
	    {"references_max = -1", "references_max"},
	    {"from_ownership = reject\nidentities_redis = no",
	        "no identity source"},
	    {"from_ownership = maybe", "from_ownership"},
	    {"identities_file = relative/path", "identities_file"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_errors errors = {0};
		char text[256];
		void *config;

		snprintf(text, sizeof(text), "[headers]\n%s\n", cases[i].text);
		config = config_load_buffer(
		    &headers_schema, "t.conf", text, strlen(text), &errors);
		assert_null(config);
		assert_true(errors.count > 0);
		if (strstr(errors.text[0], cases[i].error) == NULL)
			fail_msg("%s: %s", cases[i].text, errors.text[0]);
	}
}

static int
utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_clean_message_untouched),
    cmocka_unit_test(test_rule1_duplicates),
    cmocka_unit_test(test_rule2_from),
    cmocka_unit_test(test_rule2_from_owner),
    cmocka_unit_test(test_rule3_message_id),
    cmocka_unit_test(test_rule4_date),
    cmocka_unit_test(test_rule5_long_lines),
    cmocka_unit_test(test_rule5_references_cap),
    cmocka_unit_test(test_rule6_8bit),
    cmocka_unit_test(test_rule7_privacy),
    cmocka_unit_test(test_rule8_trust),
    cmocka_unit_test(test_rule9_list_unsubscribe),
    cmocka_unit_test(test_rule10_syntax),
    cmocka_unit_test(test_list_bounds),
    cmocka_unit_test(test_deletions_from_the_highest_index),
    cmocka_unit_test(test_config_errors),
};

int
main(void)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, utc, NULL);
}
