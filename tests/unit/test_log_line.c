/*
 * test_log_line.c - Postfix log lines: every kind from a real Postfix 3.7,
 * every time stamp form, and garbage, cut and hostile lines
 *
 * data/postfix-3.7.maillog is the maillog_file of a private Postfix
 * (data/make-postfix-maillog.py says how it was made); its lines are read
 * whole, then some are checked field by field. The others are made by
 * hand from the formats in Postfix's source.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_line.h"
#include "log_time.h"
#include "unit_test.h"

#define FIXTURE "tests/unit/data/postfix-3.7.maillog"

/* 2026-12-02T03:00:00Z: when the fixture was made, give or take. */
static const struct log_clock fixture_clock = {1796180400, 0};

static struct log_line line;

static enum log_line_kind
parse_with(const char *text, const struct log_clock *clock)
{
	return log_line_parse(text, strlen(text), clock, &line);
}

static enum log_line_kind
parse(const char *text)
{
	return parse_with(text, &fixture_clock);
}

#define assert_span(span, text)                                                \
	do {                                                                   \
		const char *expected_ = (text);                                \
		if ((span).length != strlen(expected_) ||                      \
		    memcmp((span).data, expected_, (span).length) != 0)        \
			fail_msg("%s is \"%.*s\", not \"%s\"", #span,          \
			    (int)(span).length, (span).data, expected_);       \
	} while (0)

static time_t
utc(int year, int month, int day, int hour, int minute, int second)
{
	return log_time_from_civil(year, month, day, hour, minute, second);
}

/* Every span of a parsed line lies inside the text. */
static void
assert_inside(const char *text, size_t length)
{
	const struct log_span *spans[] = {&line.host, &line.program,
	    &line.daemon, &line.message, &line.queue_id, &line.client,
	    &line.client_name, &line.client_address, &line.sasl_method,
	    &line.sasl_username, &line.sasl_sender, &line.message_id,
	    &line.sender, &line.recipient, &line.original_recipient,
	    &line.relay, &line.delay, &line.delays, &line.dsn, &line.status,
	    &line.reply, &line.notification_queue_id, &line.stage};

	for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		if (spans[i]->length == 0)
			continue;
		assert_true(spans[i]->data >= text);
		assert_true(spans[i]->data + spans[i]->length <= text + length);
	}
}

static FILE *
open_fixture(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", top != NULL ? top : ".", FIXTURE);
	file = fopen(path, "r");
	if (file == NULL)
		fail_msg("cannot open %s", path);
	return file;
}

static void
test_fixture_every_line(void **state)
{
	FILE *file = open_fixture();
	char text[LOG_LINE_MAX + 2];
	int kinds[LOG_LINE_REJECT + 1] = {0};
	int notifications[LOG_NOTIFY_SENDER_SUCCESS + 1] = {0};
	int statuses[LOG_STATUS_OTHER + 1] = {0};
	int lines = 0, long_ids = 0, submission = 0, logins = 0, reuses = 0;

	(void)state;
	while (fgets(text, sizeof(text), file) != NULL) {
		size_t length = strcspn(text, "\n");

		lines++;
		if (log_line_parse(text, length, &fixture_clock, &line) ==
		    LOG_LINE_INVALID)
			fail_msg("line %d invalid: %s", lines, text);
		assert_inside(text, length);
		assert_false(line.cut);
		/* Made on 2026-12-02, in UTC, by Postfix with no year. */
		assert_true(line.time >= utc(2026, 12, 2, 0, 0, 0));
		assert_true(line.time <= fixture_clock.now);
		kinds[line.kind]++;
		if (line.queue_id.length > 0) {
			assert_true(log_queue_id_valid(
			    line.queue_id.data, line.queue_id.length));
			if (memchr(line.queue_id.data, 'z',
			        line.queue_id.length) != NULL)
				long_ids++;
		}
		if (line.kind == LOG_LINE_DELIVERY) {
			statuses[line.status_code]++;
			assert_true(line.reply.length > 0);
			assert_true(line.dsn.length >= 5);
			reuses += line.connection_use > 1;
		}
		if (line.kind == LOG_LINE_NOTIFICATION)
			notifications[line.notification]++;
		if (line.kind == LOG_LINE_CLIENT) {
			assert_true(line.client_address.length > 0);
			logins += line.sasl_username.length > 0;
		}
		submission += line.program.length == 24 &&
		              memcmp(line.program.data,
		                  "postfix/submission/smtpd", 24) == 0;
	}
	fclose(file);
	assert_true(lines > 200);
	/* Both rounds, short and long queue IDs, had every kind. */
	assert_true(kinds[LOG_LINE_CLIENT] >= 20);
	assert_true(kinds[LOG_LINE_MESSAGE_ID] >= 20);
	assert_true(kinds[LOG_LINE_QUEUED] >= 20);
	assert_int_equal(kinds[LOG_LINE_EXPIRED], 2);
	assert_true(kinds[LOG_LINE_REMOVED] >= 20);
	assert_int_equal(kinds[LOG_LINE_DELETED], 2);
	assert_true(kinds[LOG_LINE_DELIVERY] >= 40);
	assert_true(kinds[LOG_LINE_OTHER] > 0);
	assert_true(notifications[LOG_NOTIFY_SENDER_NON_DELIVERY] >= 6);
	assert_true(notifications[LOG_NOTIFY_SENDER_DELAY] >= 2);
	assert_true(notifications[LOG_NOTIFY_SENDER_SUCCESS] >= 2);
	assert_true(statuses[LOG_STATUS_SENT] > 0);
	assert_true(statuses[LOG_STATUS_DEFERRED] > 0);
	assert_true(statuses[LOG_STATUS_BOUNCED] > 0);
	assert_true(long_ids > 30);
	assert_true(submission > 0);
	assert_int_equal(logins, 2);
	assert_true(reuses > 0);
}

/* smtpd's refusals, with and without a queue file (smtpd_check.c). */
static void
test_reject(void **state)
{
	static const char noqueue[] =
	    "Dec  2 04:00:00 relay postfix/smtpd[4242]: NOQUEUE: reject: RCPT "
	    "from localhost[127.0.0.1]:40112: 550 5.1.1 <bob@example.net>: "
	    "Recipient address rejected: recipient suppressed since "
	    "2026-12-01 (bounced: 550 5.1.1 user unknown; from=<x>); "
	    "from=<App@Example.com> to=<bob@example.net> proto=ESMTP "
	    "helo=<client.example>";
	static const char queued[] =
	    "Dec  2 04:00:00 relay postfix/submission/smtpd[17]: 4A1B2C3D4E: "
	    "reject: RCPT from app[2001:db8::1]: 450 4.7.1 <c@example.net>: "
	    "Recipient address rejected: later; from=<> to=<c@example.net> "
	    "proto=ESMTP helo=<h>";
	static const char no_dsn[] =
	    "Dec  2 04:00:00 relay postfix/smtpd[17]: NOQUEUE: reject: MAIL "
	    "from app[192.0.2.1]: 554 Go away; from=<a@b.example> proto=SMTP "
	    "helo=<h>";
	static const char *const broken[] = {
	    "Dec  2 04:00:00 relay postfix/smtpd[17]: NOQUEUE: reject: RCPT "
	    "from app[192.0.2.1]: 554 no from field",
	    "Dec  2 04:00:00 relay postfix/smtpd[17]: NOQUEUE: reject: RCPT",
	    "Dec  2 04:00:00 relay postfix/smtpd[17]: NOQUEUE: reject: RCPT "
	    "from app[192.0.2.1]: 550 x; from=<unclosed",
	    "Dec  2 04:00:00 relay postfix/cleanup[17]: NOQUEUE: reject: RCPT "
	    "from app[192.0.2.1]: 550 x; from=<a> to=<b>",
	    "Dec  2 04:00:00 relay postfix/smtpd[17]: NOQUEUE: client=x[1.2.3.4]",
	    /* A delivery's form after NOQUEUE (the fuzzer's): no delivery
	     * without a queue ID. */
	    "Dec  2 04:00:00 relay postfix/smtp[17]: NOQUEUE: to=<a@b.example>, "
	    "relay=127.0.0.1[127.0.0.1]:25, delay=0.1, delays=0/0/0/0.1, "
	    "dsn=2.0.0, status=sent (250 ok)",
	};

	(void)state;
	assert_int_equal(parse(noqueue), LOG_LINE_REJECT);
	assert_inside(noqueue, strlen(noqueue));
	assert_int_equal(line.queue_id.length, 0);
	assert_span(line.stage, "RCPT");
	assert_span(line.client, "localhost[127.0.0.1]:40112");
	assert_span(line.dsn, "5.1.1");
	assert_span(line.sender, "App@Example.com");
	assert_span(line.recipient, "bob@example.net");
	/* The reply runs to the last "; from=<", its own one included. */
	assert_span(line.reply,
	    "550 5.1.1 <bob@example.net>: Recipient address rejected: "
	    "recipient suppressed since 2026-12-01 (bounced: 550 5.1.1 user "
	    "unknown; from=<x>)");
	assert_int_equal(line.pid, 4242);

	assert_int_equal(parse(queued), LOG_LINE_REJECT);
	assert_span(line.queue_id, "4A1B2C3D4E");
	assert_span(line.client, "app[2001:db8::1]");
	assert_span(line.dsn, "4.7.1");
	assert_span(line.sender, "");
	assert_span(line.recipient, "c@example.net");

	assert_int_equal(parse(no_dsn), LOG_LINE_REJECT);
	assert_span(line.stage, "MAIL");
	assert_int_equal(line.dsn.length, 0);
	assert_int_equal(line.recipient.length, 0);
	assert_span(line.reply, "554 Go away");

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		assert_int_equal(parse(broken[i]), LOG_LINE_OTHER);
		assert_int_equal(line.stage.length, 0);
		assert_int_equal(line.queue_id.length, 0);
	}
}

/* Real lines of an earlier run of make-postfix-maillog.py, field by field. */
static void
test_delivery(void **state)
{
	(void)state;
	assert_int_equal(
	    parse("Dec 02 02:30:50 relay postfix/smtp[14286]: 0C665A7325A: "
	          "to=<block@example.net>, relay=127.0.0.1[127.0.0.1]:55891, "
	          "delay=0.05, delays=0.01/0.02/0/0.01, dsn=5.7.1, "
	          "status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.7.1 "
	          "Service unavailable; client [127.0.0.1] blocked using "
	          "zen.example (see https://example.org/q?ip=127.0.0.1, "
	          "code=5 (listed)) (in reply to RCPT TO command))"),
	    LOG_LINE_DELIVERY);
	assert_int_equal(line.time, utc(2026, 12, 2, 2, 30, 50));
	assert_span(line.host, "relay");
	assert_span(line.program, "postfix/smtp");
	assert_span(line.daemon, "smtp");
	assert_int_equal(line.pid, 14286);
	assert_span(line.queue_id, "0C665A7325A");
	assert_span(line.recipient, "block@example.net");
	assert_int_equal(line.original_recipient.length, 0);
	assert_span(line.relay, "127.0.0.1[127.0.0.1]:55891");
	assert_int_equal(line.connection_use, 0);
	assert_span(line.delay, "0.05");
	assert_span(line.delays, "0.01/0.02/0/0.01");
	assert_span(line.dsn, "5.7.1");
	assert_int_equal(line.status_code, LOG_STATUS_BOUNCED);
	assert_span(line.status, "bounced");
	assert_span(line.reply,
	    "host 127.0.0.1[127.0.0.1] said: 550 5.7.1 Service unavailable; "
	    "client [127.0.0.1] blocked using zen.example (see "
	    "https://example.org/q?ip=127.0.0.1, code=5 (listed)) (in reply "
	    "to RCPT TO command)");
	assert_false(line.cut);

	assert_int_equal(
	    parse("Dec 02 02:30:51 relay postfix/smtp[14295]: 0C665A7325A: "
	          "to=<later@example.net>, relay=127.0.0.1[127.0.0.1]:55891, "
	          "conn_use=2, delay=1.2, delays=1.2/0/0/0, dsn=2.0.0, "
	          "status=sent (250 2.0.0 Ok: queued as test)"),
	    LOG_LINE_DELIVERY);
	assert_int_equal(line.connection_use, 2);
	assert_int_equal(line.status_code, LOG_STATUS_SENT);
	assert_span(line.reply, "250 2.0.0 Ok: queued as test");

	assert_int_equal(
	    parse("Dec 02 02:30:50 relay postfix/discard[14287]: 0C665A7325A: "
	          "to=<ok2@discard.example>, relay=none, delay=0.03, "
	          "delays=0.01/0.02/0/0, dsn=2.0.0, status=sent "
	          "(discard.example)"),
	    LOG_LINE_DELIVERY);
	assert_span(line.relay, "none");
	assert_span(line.daemon, "discard");

	/* Made by hand: orig_to, a local delivery, a quoted recipient that
	 * holds what would end its field, qmgr's own deferral, expired. */
	assert_int_equal(
	    parse("Dec  1 10:00:00 mx postfix/local[99]: 4F3A21C0B2: "
	          "to=<bob@mx.example>, orig_to=<postmaster@example.com>, "
	          "relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
	          "status=sent (delivered to mailbox)"),
	    LOG_LINE_DELIVERY);
	assert_span(line.original_recipient, "postmaster@example.com");
	assert_span(line.recipient, "bob@mx.example");
	assert_int_equal(
	    parse(
	        "Dec  1 10:00:00 mx postfix/smtp[99]: 4F3A21C0B2: "
	        "to=<\"a>, relay=x, status=sent (\\\"ok\"@example.net>, "
	        "relay=mx.example.net[192.0.2.1]:25, delay=3, delays=0/0/1/2, "
	        "dsn=5.1.1, status=bounced (550 5.1.1 no)"),
	    LOG_LINE_DELIVERY);
	assert_span(
	    line.recipient, "\"a>, relay=x, status=sent (\\\"ok\"@example.net");
	assert_int_equal(line.status_code, LOG_STATUS_BOUNCED);
	assert_int_equal(
	    parse("Dec  1 10:00:00 mx postfix/qmgr[9]: 4F3A21C0B2: "
	          "to=<a@example.net>, relay=none, delay=900, "
	          "delays=900/0/0/0, dsn=4.3.2, status=deferred (delivery "
	          "temporarily suspended: connect to mx[192.0.2.1]:25: "
	          "Connection refused)"),
	    LOG_LINE_DELIVERY);
	assert_int_equal(line.status_code, LOG_STATUS_DEFERRED);
	assert_int_equal(
	    parse("Dec  1 10:00:00 mx postfix/error[9]: 4F3A21C0B2: "
	          "to=<a@example.net>, relay=none, delay=9, delays=9/0/0/0, "
	          "dsn=4.4.1, status=expired (gave up)"),
	    LOG_LINE_DELIVERY);
	assert_int_equal(line.status_code, LOG_STATUS_EXPIRED);
	assert_int_equal(
	    parse("Dec  1 10:00:00 mx postfix/smtp[9]: 4F3A21C0B2: "
	          "to=<a@example.net>, relay=none, delay=9, delays=9/0/0/0, "
	          "dsn=5.0.0, status=SOFTBOUNCE (no)"),
	    LOG_LINE_DELIVERY);
	assert_int_equal(line.status_code, LOG_STATUS_OTHER);
	assert_span(line.status, "SOFTBOUNCE");
}

static void
test_message_kinds(void **state)
{
	(void)state;
	assert_int_equal(
	    parse("Dec 02 02:30:50 relay "
	          "postfix/submission/smtpd[14299]: 2FFB7A73274: "
	          "client=localhost[127.0.0.1], sasl_method=XCLIENT, "
	          "sasl_username=alice@example.com"),
	    LOG_LINE_CLIENT);
	assert_span(line.program, "postfix/submission/smtpd");
	assert_span(line.daemon, "smtpd");
	assert_span(line.client, "localhost[127.0.0.1]");
	assert_span(line.client_name, "localhost");
	assert_span(line.client_address, "127.0.0.1");
	assert_span(line.sasl_method, "XCLIENT");
	assert_span(line.sasl_username, "alice@example.com");
	assert_int_equal(line.sasl_sender.length, 0);

	assert_int_equal(
	    parse(
	        "Dec  1 10:00:00 mx postfix/smtpd[1]: 4F3A21C0B2: "
	        "client=app.example.com[2001:db8::1]:54321, sasl_method=PLAIN, "
	        "sasl_username=a, b@example.com, sasl_sender=x@example.com, "
	        "orig_queue_id=ABCDEF123, orig_client=c[192.0.2.9]"),
	    LOG_LINE_CLIENT);
	assert_span(line.client_name, "app.example.com");
	assert_span(line.client_address, "2001:db8::1");
	assert_span(line.sasl_username, "a, b@example.com");
	assert_span(line.sasl_sender, "x@example.com");

	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/cleanup[14284]: "
	                       "0C665A7325A: message-id=<mixed-short@app."
	                       "example.com>"),
	    LOG_LINE_MESSAGE_ID);
	assert_span(line.message_id, "mixed-short@app.example.com");
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/cleanup[14284]: "
	                       "28D98A72F22: message-id=no-brackets-here@"
	                       "example.com"),
	    LOG_LINE_MESSAGE_ID);
	assert_span(line.message_id, "no-brackets-here@example.com");
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/cleanup[14284]: "
	                       "2B74CA72F22: message-id="),
	    LOG_LINE_MESSAGE_ID);
	assert_int_equal(line.message_id.length, 0);
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/cleanup[1]: "
	                       "2B74CA72F22: message-id=<>"),
	    LOG_LINE_MESSAGE_ID);
	assert_int_equal(line.message_id.length, 0);

	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/qmgr[14278]: "
	                       "0C665A7325A: from=<sender@example.com>, "
	                       "size=334, nrcpt=6 (queue active)"),
	    LOG_LINE_QUEUED);
	assert_span(line.sender, "sender@example.com");
	assert_int_equal(line.size, 334);
	assert_int_equal(line.recipient_count, 6);
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/qmgr[14278]: "
	                       "16FE4A73274: from=<>, size=2175, nrcpt=1 "
	                       "(queue active)"),
	    LOG_LINE_QUEUED);
	assert_int_equal(line.sender.length, 0);
	assert_int_equal(parse("Dec 02 02:31:11 relay postfix/qmgr[14278]: "
	                       "39D3EA73084: from=<sender@example.com>, "
	                       "status=expired, returned to sender"),
	    LOG_LINE_EXPIRED);
	assert_int_equal(line.status_code, LOG_STATUS_EXPIRED);
	assert_span(line.sender, "sender@example.com");
	assert_int_equal(parse("Dec 02 02:31:11 relay postfix/qmgr[1]: "
	                       "39D3EA73084: from=<s@example.com>, "
	                       "status=force-expired, returned to sender"),
	    LOG_LINE_EXPIRED);
	assert_int_equal(parse("Dec 02 02:31:11 relay postfix/qmgr[14278]: "
	                       "39D3EA73084: removed"),
	    LOG_LINE_REMOVED);
	assert_span(line.queue_id, "39D3EA73084");
	assert_int_equal(parse("Dec 02 02:31:11 relay postfix/postsuper[7]: "
	                       "4jfMHG6Sfkz1bZGS: removed"),
	    LOG_LINE_DELETED);
	assert_span(line.queue_id, "4jfMHG6Sfkz1bZGS");
	/* "removed" from any other program is nothing we know. */
	assert_int_equal(parse("Dec 02 02:31:11 relay postfix/smtpd[7]: "
	                       "39D3EA73084: removed"),
	    LOG_LINE_OTHER);

	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/bounce[14293]: "
	                       "0C665A7325A: sender non-delivery notification: "
	                       "1C8C0A72F22"),
	    LOG_LINE_NOTIFICATION);
	assert_int_equal(line.notification, LOG_NOTIFY_SENDER_NON_DELIVERY);
	assert_span(line.notification_queue_id, "1C8C0A72F22");
	assert_int_equal(parse("Dec 02 02:30:53 relay postfix/bounce[1]: "
	                       "39D3EA73084: sender delay notification: "
	                       "4226CA73286"),
	    LOG_LINE_NOTIFICATION);
	assert_int_equal(line.notification, LOG_NOTIFY_SENDER_DELAY);
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/bounce[1]: "
	                       "3110EA73273: sender delivery status "
	                       "notification: 3480EA73083"),
	    LOG_LINE_NOTIFICATION);
	assert_int_equal(line.notification, LOG_NOTIFY_SENDER_SUCCESS);
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/bounce[1]: "
	                       "3110EA73273: postmaster non-delivery "
	                       "notification: 3480EA73083"),
	    LOG_LINE_NOTIFICATION);
	assert_int_equal(line.notification, LOG_NOTIFY_POSTMASTER_NON_DELIVERY);
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/bounce[1]: "
	                       "3110EA73273: postmaster delay notification: "
	                       "3480EA73083"),
	    LOG_LINE_NOTIFICATION);
	assert_int_equal(line.notification, LOG_NOTIFY_POSTMASTER_DELAY);

	/* Lines with no kind: a queue ID if they have one. */
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/pickup[14277]: "
	                       "10F58A72F22: uid=0 from=<sender@example.com>"),
	    LOG_LINE_OTHER);
	assert_span(line.queue_id, "10F58A72F22");
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/smtpd[14280]: "
	                       "NOQUEUE: hold: RCPT from localhost[127.0.0.1]: "
	                       "<hold@example.net>: Recipient address triggers "
	                       "HOLD action"),
	    LOG_LINE_OTHER);
	assert_int_equal(line.queue_id.length, 0);
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/qmgr[1]: "
	                       "warning: 39D3EA73084: removed"),
	    LOG_LINE_OTHER);
	assert_span(line.queue_id, "39D3EA73084");
	assert_span(line.message, "warning: 39D3EA73084: removed");
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/postsuper[1]: "
	                       "Deleted: 1 message"),
	    LOG_LINE_OTHER);
	/* Not a Postfix program: no slash, or nothing after it. */
	assert_int_equal(parse("Dec 02 02:30:50 relay sshd[1]: 39D3EA73084: "
	                       "removed"),
	    LOG_LINE_OTHER);
	assert_int_equal(line.queue_id.length, 0);
	assert_int_equal(parse("Dec 02 02:30:50 relay postfix/[1]: "
	                       "39D3EA73084: removed"),
	    LOG_LINE_OTHER);
	assert_int_equal(line.queue_id.length, 0);
	assert_int_equal(line.daemon.length, 0);
}

/* One message in each time stamp form and program name. */
static void
test_formats(void **state)
{
	static const char *const forms[] = {
	    "Dec 01 10:00:00 mx postfix/qmgr[12]: ",
	    "Dec  1 10:00:00 mx postfix/qmgr[12]: ",
	    "2026-12-01T10:00:00.123456+00:00 mx postfix/qmgr[12]: ",
	    "2026-12-01T11:00:00.123456+01:00 mx postfix/qmgr[12]: ",
	    "2026-12-01T05:30:00-04:30 mx postfix/qmgr[12]: ",
	    "2026-12-01T10:00:00Z mx postfix/qmgr[12]: ",
	    "2026-12-01T11:00:00+0100 mx postfix/qmgr[12]: ",
	    "2026-12-01T10:00:00 mx postfix/qmgr[12]: ",
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(text, sizeof(text), "%s4F3A21C0B2: removed", forms[i]);
		assert_int_equal(parse(text), LOG_LINE_REMOVED);
		assert_int_equal(line.time, utc(2026, 12, 1, 10, 0, 0));
		assert_span(line.host, "mx");
		assert_int_equal(line.pid, 12);
	}
	assert_int_equal(
	    parse("2026-12-01T10:00:00.123456+00:00 mx "
	          "mx-out/relay/smtp: 4F3A21C0B2: to=<a@b>, "
	          "relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, "
	          "status=deferred (connect to b: timeout)"),
	    LOG_LINE_DELIVERY);
	assert_span(line.program, "mx-out/relay/smtp");
	assert_span(line.daemon, "smtp");
	assert_int_equal(line.pid, 0);
}

/* Times without a year: the latest that is not far after now. */
static void
test_year(void **state)
{
	struct log_clock new_year = {utc(2027, 1, 1, 0, 0, 30), 0};
	struct log_clock new_year_eve = {utc(2026, 12, 31, 23, 59, 59), 0};
	struct log_clock march = {utc(2027, 3, 1, 0, 0, 0), 0};
	struct log_clock paris = {utc(2026, 12, 1, 12, 0, 0), 3600};
	const char *tail = " mx postfix/qmgr[1]: 4F3A21C0B2: removed";
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "Dec 31 23:59:59%s", tail);
	assert_int_equal(parse_with(text, &new_year), LOG_LINE_REMOVED);
	assert_int_equal(line.time, utc(2026, 12, 31, 23, 59, 59));
	/* The writer's clock a little ahead of the reader's. */
	snprintf(text, sizeof(text), "Jan  1 00:00:10%s", tail);
	assert_int_equal(parse_with(text, &new_year_eve), LOG_LINE_REMOVED);
	assert_int_equal(line.time, utc(2027, 1, 1, 0, 0, 10));
	snprintf(text, sizeof(text), "Jan 01 00:00:10%s", tail);
	assert_int_equal(parse_with(text, &new_year), LOG_LINE_REMOVED);
	assert_int_equal(line.time, utc(2027, 1, 1, 0, 0, 10));
	/* Far ahead: last year's. */
	snprintf(text, sizeof(text), "Jun 15 12:00:00%s", tail);
	assert_int_equal(parse_with(text, &new_year), LOG_LINE_REMOVED);
	assert_int_equal(line.time, utc(2026, 6, 15, 12, 0, 0));
	/* A leap day goes back to the last leap year. */
	snprintf(text, sizeof(text), "Feb 29 08:00:00%s", tail);
	assert_int_equal(parse_with(text, &march), LOG_LINE_REMOVED);
	assert_int_equal(line.time, utc(2024, 2, 29, 8, 0, 0));
	/* Local time an hour east of UTC. */
	snprintf(text, sizeof(text), "Dec 01 10:00:00%s", tail);
	assert_int_equal(parse_with(text, &paris), LOG_LINE_REMOVED);
	assert_int_equal(line.time, utc(2026, 12, 1, 9, 0, 0));
	/* RFC 3339 has its year and zone: now does not matter. */
	snprintf(text, sizeof(text), "2020-02-29T23:00:00-01:00%s", tail);
	assert_int_equal(parse_with(text, &paris), LOG_LINE_REMOVED);
	assert_int_equal(line.time, utc(2020, 3, 1, 0, 0, 0));
}

static void
test_queue_ids(void **state)
{
	(void)state;
	assert_true(log_queue_id_valid("4F3A21C0B2", 10));
	assert_true(log_queue_id_valid("0C665A", 6));
	assert_true(log_queue_id_valid("0C665A7325A0123456789", 21));
	assert_true(log_queue_id_valid("4jfMHG6Sfkz1bZGS", 16));
	assert_true(log_queue_id_valid("4jfMHGz6Sfkz1bZGS", 17));
	assert_false(log_queue_id_valid("", 0));
	assert_false(log_queue_id_valid("0C665", 5));
	assert_false(log_queue_id_valid("0C665A7325A01234567890", 22));
	assert_false(log_queue_id_valid("4f3a21c0b2", 10)); /* vowel a */
	assert_false(log_queue_id_valid("4F3A21G0B2", 10)); /* G, no z */
	assert_false(log_queue_id_valid("4jfMHG6SfkA1bZGS", 16));
	assert_false(log_queue_id_valid("4jfMHG6Sfz1bZGS", 15));  /* z at 9 */
	assert_false(log_queue_id_valid("4jfMHG6Sfkz", 11));      /* no inode */
	assert_false(log_queue_id_valid("4jfMHG6Sfkz1bEGS", 16)); /* vowel */
	assert_false(log_queue_id_valid("4F3A2\0C0B2", 10));
	assert_false(
	    log_queue_id_valid("4jfMHG6Sfkz1bZGS4jfMHG6Sfkz1bZGSb", 33));
	assert_false(log_queue_id_valid("NOQUEUE", 7));

	assert_int_equal(parse("Dec  1 10:00:00 mx postfix/qmgr[1]: "
	                       "4f3a21c0b2: removed"),
	    LOG_LINE_OTHER);
	assert_int_equal(line.queue_id.length, 0);
	assert_int_equal(parse("Dec  1 10:00:00 mx postfix/bounce[1]: "
	                       "4F3A21C0B2: sender non-delivery notification: "
	                       "4F3A21C0b2"),
	    LOG_LINE_OTHER);
	assert_int_equal(line.notification, LOG_NOTIFY_NONE);
}

/* Postfix cuts a record's text at 2000 bytes. */
static void
test_cut(void **state)
{
	static const char head[] =
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b.example>, "
	    "relay=b[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, "
	    "status=bounced (host b[192.0.2.1] said: 550 ";
	size_t start = strlen("Dec  1 10:00:00 mx postfix/smtp[1]: ");
	char text[2100];

	(void)state;
	memset(text, 'x', sizeof(text));
	memcpy(text, head, strlen(head));
	assert_int_equal(
	    log_line_parse(text, start + 2000, &fixture_clock, &line),
	    LOG_LINE_DELIVERY);
	assert_true(line.cut);
	assert_int_equal(line.status_code, LOG_STATUS_BOUNCED);
	assert_int_equal(
	    line.reply.data + line.reply.length, text + start + 2000);
	assert_inside(text, start + 2000);

	/* Cut right after the status word, or inside the recipient. */
	assert_int_equal(
	    parse("Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: "
	          "to=<a@b>, relay=none, delay=1, delays=1/0/0/0, "
	          "dsn=4.4.1, status=deferred"),
	    LOG_LINE_DELIVERY);
	assert_true(line.cut);
	assert_int_equal(line.reply.length, 0);
	assert_int_equal(
	    parse("Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: "
	          "to=<a@b"),
	    LOG_LINE_OTHER);
	assert_int_equal(line.recipient.length, 0);
	assert_int_equal(parse("Dec  1 10:00:00 mx postfix/cleanup[1]: "
	                       "4F3A21C0B2: message-id=<cut-in-the-midd"),
	    LOG_LINE_MESSAGE_ID);
	assert_span(line.message_id, "<cut-in-the-midd");

	/* Longer than any line Postfix writes: refused unread. */
	assert_int_equal(
	    log_line_parse(text, LOG_LINE_MAX + 1, &fixture_clock, &line),
	    LOG_LINE_INVALID);
}

static void
test_nul(void **state)
{
	static const char reply[] =
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "relay=none, delay=1, delays=1/0/0/0, dsn=5.0.0, status=bounced "
	    "(550 a\0b)";
	static const char host[] = "Dec  1 10:00:00 m\0x postfix/qmgr[1]: "
	                           "4F3A21C0B2: removed";
	static const char queue_id[] = "Dec  1 10:00:00 mx postfix/qmgr[1]: "
	                               "4F3A2\0C0B2: removed";

	(void)state;
	assert_int_equal(
	    log_line_parse(reply, sizeof(reply) - 1, &fixture_clock, &line),
	    LOG_LINE_DELIVERY);
	assert_int_equal(line.reply.length, 7);
	assert_memory_equal(line.reply.data, "550 a\0b", 7);
	assert_int_equal(
	    log_line_parse(host, sizeof(host) - 1, &fixture_clock, &line),
	    LOG_LINE_INVALID);
	assert_int_equal(log_line_parse(queue_id, sizeof(queue_id) - 1,
	                     &fixture_clock, &line),
	    LOG_LINE_OTHER);
	assert_int_equal(line.queue_id.length, 0);
}

/* A form with a field missing or out of bounds is no kind at all. */
static void
test_missing_and_huge(void **state)
{
	static const char *const other[] = {
	    /* no dsn */
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "relay=none, delay=1, delays=1/0/0/0, status=sent (ok)",
	    /* three delays */
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "relay=none, delay=1, delays=1/0/0, dsn=2.0.0, status=sent (ok)",
	    /* no relay */
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (ok)",
	    /* a dsn of class 3 */
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "relay=none, delay=1, delays=1/0/0/0, dsn=3.0.0, status=sent (ok)",
	    /* no status word */
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "relay=none, delay=1, delays=1/0/0/0, dsn=2.0.0, status= (ok)",
	    /* conn_use over 10^15 */
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "relay=none, conn_use=99999999999999999999, delay=1, "
	    "delays=1/0/0/0, dsn=2.0.0, status=sent (ok)",
	    /* a delay that is not a number */
	    "Dec  1 10:00:00 mx postfix/smtp[1]: 4F3A21C0B2: to=<a@b>, "
	    "relay=none, delay=1e5, delays=1/0/0/0, dsn=2.0.0, status=sent (ok)",
	    /* size over 10^15 */
	    "Dec  1 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: from=<a@b>, "
	    "size=99999999999999999999, nrcpt=1 (queue active)",
	    "Dec  1 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: from=<a@b>, "
	    "size=1, nrcpt=-1 (queue active)",
	    "Dec  1 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: from=<a@b>, "
	    "size=1 (queue active)",
	    "Dec  1 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: from=<a@b>, "
	    "status=deferred, returned to sender",
	    "Dec  1 10:00:00 mx postfix/smtpd[1]: 4F3A21C0B2: client=nobrackets",
	    "Dec  1 10:00:00 mx postfix/bounce[1]: 4F3A21C0B2: sender "
	    "non-delivery notification: ",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		if (parse(other[i]) != LOG_LINE_OTHER)
			fail_msg("not other: %s", other[i]);
		assert_span(line.queue_id, "4F3A21C0B2");
		/* Nothing of the form half read is left. */
		assert_int_equal(line.recipient.length, 0);
		assert_int_equal(line.sender.length, 0);
		assert_int_equal(line.relay.length, 0);
		assert_int_equal(line.client.length, 0);
		assert_int_equal(line.size, 0);
		assert_int_equal(line.status_code, LOG_STATUS_NONE);
	}
	assert_int_equal(
	    parse("Dec  1 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: "
	          "from=<a@b>, size=1000000000000000, nrcpt=1 "
	          "(queue active)"),
	    LOG_LINE_QUEUED);
	assert_int_equal(line.size, LOG_LINE_NUMBER_MAX);
}

static void
test_garbage(void **state)
{
	static const char *const invalid[] = {
	    "",
	    "x",
	    "Dec 01 10:00:00",
	    "Dec 01 10:00:00 ",
	    "Dec 01 10:00:00 mx",
	    "Dec 01 10:00:00 mx postfix/qmgr",
	    "Dec 01 10:00:00 mx postfix/qmgr[1] 4F3A21C0B2: removed",
	    "Dec 01 10:00:00 mx postfix/qmgr[]: 4F3A21C0B2: removed",
	    "Dec 01 10:00:00 mx postfix/qmgr[1: 4F3A21C0B2: removed",
	    "Dec 01 10:00:00 mx postfix/qmgr[99999999999999999999]: x",
	    "Dec 01 10:00:00 mx postfix/qmgr[1000000000]: x",
	    "Dec 01 10:00:00 mx : 4F3A21C0B2: removed",
	    "Dec 01 10:00:00  mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "Foo 01 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "Dec 00 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "Dec 32 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "Dec 01 24:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "Dec 01 10:60:00 mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "Dec  1 1:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "Feb 30 10:00:00 mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "2026-13-01T10:00:00Z mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "2026-02-29T10:00:00Z mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "2026-12-01T10:00:00.Z mx postfix/qmgr[1]: 4F3A21C0B2: removed",
	    "2026-12-01T10:00:00.1234567890Z mx postfix/qmgr[1]: x",
	    "2026-12-01T10:00:00+25:00 mx postfix/qmgr[1]: x",
	    "2026-12-01T10:00:00+01 mx postfix/qmgr[1]: x",
	    "2026-12-01T10:00:00+01:0 mx postfix/qmgr[1]: x",
	    "2026-12-01X10:00:00Z mx postfix/qmgr[1]: x",
	    "\x80\xff\x01 garbage",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		if (parse(invalid[i]) != LOG_LINE_INVALID)
			fail_msg("not invalid: %s", invalid[i]);
		assert_int_equal(line.host.length, 0);
		assert_int_equal(line.time, 0);
	}
	assert_int_equal(
	    log_line_parse(NULL, 0, &fixture_clock, &line), LOG_LINE_INVALID);
	assert_string_equal(log_line_kind_name(LOG_LINE_DELIVERY), "delivery");
	assert_string_equal(log_line_kind_name(LOG_LINE_INVALID), "invalid");
	assert_string_equal(log_line_kind_name((enum log_line_kind)99), "?");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_fixture_every_line),
    cmocka_unit_test(test_delivery),
    cmocka_unit_test(test_reject),
    cmocka_unit_test(test_message_kinds),
    cmocka_unit_test(test_formats),
    cmocka_unit_test(test_year),
    cmocka_unit_test(test_queue_ids),
    cmocka_unit_test(test_cut),
    cmocka_unit_test(test_nul),
    cmocka_unit_test(test_missing_and_huge),
    cmocka_unit_test(test_garbage),
};

UNIT_TEST_MAIN(tests)
