/*
 * test_ctl_args.c - waypostctl's argument checks: users, @DOMAIN
 * subjects and grants come out in the form waypost-policyd reads (lower
 * case, no final dot); durations, reasons, counts and a limit's maximum
 * within their bounds are taken, everything else refused with a reason;
 * a message is a Message-ID (its angle brackets taken off) or a queue ID
 * that may be one, within their bounds and without control characters;
 * relay names and stream entry ids are checked; a warm-up's domain is
 * normalized as a subject's; the remaining time is shown in its two
 * largest units; why's request values and client, and top's window
 */
#include "config.h"

#include <string.h>

#include "ctl.h"
#include "policy_config.h"
#include "unit_test.h"

static char error[CTL_ERROR_MAX];

static void
test_user(void **state)
{
	char out[IDENTITY_USER_MAX + 1];
	char long_user[IDENTITY_USER_MAX + 2];

	(void)state;
	assert_true(ctl_parse_user(
	    "Alice@Example.COM", out, sizeof(out), error, sizeof(error)));
	assert_string_equal(out, "alice@example.com");
	assert_true(
	    ctl_parse_user("bob", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_user("", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_user("a b", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_user("a\nb", out, sizeof(out), error, sizeof(error)));
	assert_false(ctl_parse_user(
	    "@example.com", out, sizeof(out), error, sizeof(error)));
	assert_non_null(strstr(error, "not a user name"));
	memset(long_user, 'a', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = '\0';
	assert_false(
	    ctl_parse_user(long_user, out, sizeof(out), error, sizeof(error)));
	long_user[IDENTITY_USER_MAX] = '\0';
	assert_true(
	    ctl_parse_user(long_user, out, sizeof(out), error, sizeof(error)));
}

static void
test_subject(void **state)
{
	struct ctl_subject subject;

	(void)state;
	assert_true(ctl_parse_subject(
	    "@News.Example.", &subject, error, sizeof(error)));
	assert_true(subject.domain);
	assert_string_equal(subject.name, "news.example");
	assert_true(ctl_parse_subject(
	    "Carol@Example.com", &subject, error, sizeof(error)));
	assert_false(subject.domain);
	assert_string_equal(subject.name, "carol@example.com");
	assert_false(ctl_parse_subject("@", &subject, error, sizeof(error)));
	assert_false(ctl_parse_subject("@.", &subject, error, sizeof(error)));
	assert_false(ctl_parse_subject("@a@b", &subject, error, sizeof(error)));
	assert_false(ctl_parse_subject("@a b", &subject, error, sizeof(error)));
	assert_false(ctl_parse_subject("", &subject, error, sizeof(error)));
}

static void
test_grant(void **state)
{
	char out[IDENTITY_ADDRESS_MAX + 1];

	(void)state;
	assert_true(ctl_parse_grant(
	    "Alice@Shop.Example.", out, sizeof(out), error, sizeof(error)));
	assert_string_equal(out, "alice@shop.example");
	assert_true(ctl_parse_grant(
	    "@Shop.Example", out, sizeof(out), error, sizeof(error)));
	assert_string_equal(out, "@shop.example");
	assert_false(ctl_parse_grant(
	    "no-at-sign", out, sizeof(out), error, sizeof(error)));
	assert_non_null(strstr(error, "neither an address nor @DOMAIN"));
	assert_false(
	    ctl_parse_grant("a@", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_grant("@.", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_grant("a@b@c", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_grant("a @b", out, sizeof(out), error, sizeof(error)));
}

static void
test_for(void **state)
{
	long long ms;

	(void)state;
	assert_true(ctl_parse_for("30m", &ms, error, sizeof(error)));
	assert_int_equal(ms, 30 * 60 * 1000LL);
	assert_true(ctl_parse_for("24h", &ms, error, sizeof(error)));
	assert_int_equal(ms, 24 * 3600 * 1000LL);
	assert_true(ctl_parse_for("7d", &ms, error, sizeof(error)));
	assert_int_equal(ms, 7 * 86400 * 1000LL);
	assert_true(ctl_parse_for("1s", &ms, error, sizeof(error)));
	assert_false(ctl_parse_for("999ms", &ms, error, sizeof(error)));
	assert_false(ctl_parse_for("0s", &ms, error, sizeof(error)));
	assert_false(ctl_parse_for("tomorrow", &ms, error, sizeof(error)));
	assert_non_null(strstr(error, "bad duration \"tomorrow\""));
	assert_false(ctl_parse_for("-1h", &ms, error, sizeof(error)));
	assert_false(ctl_parse_for("", &ms, error, sizeof(error)));
	assert_false(ctl_parse_for("99999999d", &ms, error, sizeof(error)));
}

static void
test_reason(void **state)
{
	char reason[CTL_REASON_MAX + 2];

	(void)state;
	assert_true(
	    ctl_parse_reason("spam complaint 4711", error, sizeof(error)));
	assert_false(ctl_parse_reason("", error, sizeof(error)));
	assert_false(ctl_parse_reason("two\nlines", error, sizeof(error)));
	assert_non_null(strstr(error, "control character"));
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_false(ctl_parse_reason(reason, error, sizeof(error)));
	reason[CTL_REASON_MAX] = '\0';
	assert_true(ctl_parse_reason(reason, error, sizeof(error)));
}

static void
test_count(void **state)
{
	long long count;

	(void)state;
	assert_true(ctl_parse_count(
	    "1", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_int_equal(count, 1);
	assert_true(ctl_parse_count(
	    "10000", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_false(ctl_parse_count(
	    "10001", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_false(ctl_parse_count(
	    "0", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_false(ctl_parse_count(
	    "-5", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_false(ctl_parse_count(
	    "+5", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_false(ctl_parse_count(
	    "5x", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_false(ctl_parse_count(
	    "", CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
	assert_false(ctl_parse_count("99999999999999999999",
	    CTL_AUDIT_COUNT_MAX, &count, error, sizeof(error)));
}

static void
test_message_ref(void **state)
{
	struct ctl_message_ref ref;
	char longest[CTL_MESSAGE_ID_MAX + 3];

	(void)state;
	assert_true(ctl_parse_message_ref(
	    "<abc@example.com>", &ref, error, sizeof(error)));
	assert_string_equal(ref.message_id, "abc@example.com");
	assert_string_equal(ref.queue_id, "");
	assert_true(ctl_parse_message_ref(
	    "abc@example.com", &ref, error, sizeof(error)));
	assert_string_equal(ref.message_id, "abc@example.com");
	assert_true(
	    ctl_parse_message_ref("4F3A21C0B2", &ref, error, sizeof(error)));
	assert_string_equal(ref.queue_id, "4F3A21C0B2");
	assert_string_equal(ref.message_id, "4F3A21C0B2");
	assert_true(
	    ctl_parse_message_ref("<4F3A21C0B2>", &ref, error, sizeof(error)));
	assert_string_equal(ref.queue_id, "");
	assert_true(ctl_parse_message_ref(
	    "a b@example.com", &ref, error, sizeof(error)));
	assert_false(ctl_parse_message_ref("", &ref, error, sizeof(error)));
	assert_false(ctl_parse_message_ref("<>", &ref, error, sizeof(error)));
	assert_false(ctl_parse_message_ref(
	    "a\nb@example.com", &ref, error, sizeof(error)));
	assert_non_null(strstr(error, "control character"));
	assert_false(ctl_parse_message_ref(
	    "a\x7f@example.com", &ref, error, sizeof(error)));
	/* The longest, with its brackets; one byte more. */
	memset(longest, 'a', sizeof(longest) - 1);
	longest[0] = '<';
	longest[sizeof(longest) - 2] = '>';
	longest[sizeof(longest) - 1] = '\0';
	assert_true(ctl_parse_message_ref(longest, &ref, error, sizeof(error)));
	assert_int_equal(strlen(ref.message_id), CTL_MESSAGE_ID_MAX);
	longest[sizeof(longest) - 2] = 'a';
	assert_false(
	    ctl_parse_message_ref(longest + 1, &ref, error, sizeof(error)));
	assert_non_null(strstr(error, "1 to 998 bytes"));
}

static void
test_relay(void **state)
{
	char out[CTL_RELAY_MAX + 1], longest[CTL_RELAY_MAX + 2];

	(void)state;
	assert_true(ctl_parse_relay(
	    "relay-a.example", out, sizeof(out), error, sizeof(error)));
	assert_string_equal(out, "relay-a.example");
	assert_false(
	    ctl_parse_relay("", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_relay("a b", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_relay("a\tb", out, sizeof(out), error, sizeof(error)));
	memset(longest, 'r', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_false(
	    ctl_parse_relay(longest, out, sizeof(out), error, sizeof(error)));
	longest[sizeof(longest) - 2] = '\0';
	assert_true(
	    ctl_parse_relay(longest, out, sizeof(out), error, sizeof(error)));
}

static void
test_stream_id(void **state)
{
	char out[CTL_STREAM_ID_MAX + 1];

	(void)state;
	assert_true(ctl_parse_stream_id(
	    "1764583354000-0", out, sizeof(out), error, sizeof(error)));
	assert_string_equal(out, "1764583354000-0");
	assert_true(
	    ctl_parse_stream_id("0", out, sizeof(out), error, sizeof(error)));
	assert_true(ctl_parse_stream_id(
	    "1764583354000", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_stream_id("", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_stream_id("$", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_stream_id("1-", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_stream_id("-1", out, sizeof(out), error, sizeof(error)));
	assert_false(ctl_parse_stream_id(
	    "1-2-3", out, sizeof(out), error, sizeof(error)));
	assert_false(ctl_parse_stream_id(
	    "12345678901234567890", out, sizeof(out), error, sizeof(error)));
}

static void
test_remaining(void **state)
{
	char out[32];

	(void)state;
	ctl_format_remaining(4000, out, sizeof(out));
	assert_string_equal(out, "4s");
	ctl_format_remaining(3599 * 1000LL, out, sizeof(out));
	assert_string_equal(out, "59m 59s");
	ctl_format_remaining(7 * 86400 * 1000LL - 1000, out, sizeof(out));
	assert_string_equal(out, "6d 23h");
	ctl_format_remaining(86400 * 1000LL + 60000, out, sizeof(out));
	assert_string_equal(out, "1d");
	ctl_format_remaining(1, out, sizeof(out));
	assert_string_equal(out, "1s");
	ctl_format_remaining(0, out, sizeof(out));
	assert_string_equal(out, "0s");
}

static void
test_max(void **state)
{
	long long max = -1;

	(void)state;
	assert_true(ctl_parse_max("0", &max, error, sizeof(error)));
	assert_int_equal(max, 0);
	assert_true(ctl_parse_max("2000", &max, error, sizeof(error)));
	assert_int_equal(max, 2000);
	assert_true(
	    ctl_parse_max("1000000000000000", &max, error, sizeof(error)));
	assert_int_equal(max, LIMIT_MAX_MAX);
	assert_false(
	    ctl_parse_max("1000000000000001", &max, error, sizeof(error)));
	assert_non_null(strstr(error, "bad maximum"));
	assert_false(ctl_parse_max(
	    "99999999999999999999999", &max, error, sizeof(error)));
	assert_false(ctl_parse_max("-1", &max, error, sizeof(error)));
	assert_false(ctl_parse_max("+5", &max, error, sizeof(error)));
	assert_false(ctl_parse_max(" 5", &max, error, sizeof(error)));
	assert_false(ctl_parse_max("5k", &max, error, sizeof(error)));
	assert_false(ctl_parse_max("", &max, error, sizeof(error)));
}

static void
test_domain(void **state)
{
	char out[64];

	(void)state;
	assert_true(ctl_parse_domain(
	    "Shop.Example.", out, sizeof(out), error, sizeof(error)));
	assert_string_equal(out, "shop.example");
	assert_false(ctl_parse_domain(
	    "a@b.example", out, sizeof(out), error, sizeof(error)));
	assert_non_null(strstr(error, "not a domain"));
	assert_false(
	    ctl_parse_domain("", out, sizeof(out), error, sizeof(error)));
	assert_false(
	    ctl_parse_domain("a b", out, sizeof(out), error, sizeof(error)));
	assert_false(ctl_parse_domain(
	    "a-very-long-domain.example", out, 8, error, sizeof(error)));
}

/* why's request values: one line of the protocol each, bounded. */
static void
test_value(void **state)
{
	char longest[CTL_VALUE_MAX + 2];

	(void)state;
	assert_true(
	    ctl_parse_value("Bob@Example.NET.", "x", error, sizeof(error)));
	assert_false(ctl_parse_value("", "recipient", error, sizeof(error)));
	assert_non_null(strstr(error, "bad recipient"));
	assert_false(ctl_parse_value("a b", "x", error, sizeof(error)));
	assert_false(ctl_parse_value(
	    "bob@example.net\nrecipient=x", "x", error, sizeof(error)));
	assert_false(ctl_parse_value("a\tb", "x", error, sizeof(error)));
	assert_false(ctl_parse_value("a\177b", "x", error, sizeof(error)));
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_false(ctl_parse_value(longest, "x", error, sizeof(error)));
	longest[CTL_VALUE_MAX] = '\0';
	assert_true(ctl_parse_value(longest, "x", error, sizeof(error)));
}

static void
test_client(void **state)
{
	(void)state;
	assert_true(ctl_parse_client("192.0.2.1", error, sizeof(error)));
	assert_true(ctl_parse_client("2001:db8::1", error, sizeof(error)));
	assert_true(ctl_parse_client("::ffff:192.0.2.1", error, sizeof(error)));
	assert_false(ctl_parse_client("192.0.2", error, sizeof(error)));
	assert_false(ctl_parse_client("192.0.2.0/24", error, sizeof(error)));
	assert_false(ctl_parse_client("localhost", error, sizeof(error)));
	assert_false(ctl_parse_client("", error, sizeof(error)));
	assert_non_null(strstr(error, "not a client address"));
}

/* top --window: whole hours, 1h to a day. */
static void
test_window(void **state)
{
	long long hours;

	(void)state;
	assert_true(ctl_parse_window("1h", &hours, error, sizeof(error)));
	assert_int_equal(hours, 1);
	assert_true(ctl_parse_window("24h", &hours, error, sizeof(error)));
	assert_int_equal(hours, 24);
	assert_true(ctl_parse_window("1d", &hours, error, sizeof(error)));
	assert_int_equal(hours, 24);
	assert_true(ctl_parse_window("120m", &hours, error, sizeof(error)));
	assert_int_equal(hours, 2);
	assert_false(ctl_parse_window("25h", &hours, error, sizeof(error)));
	assert_false(ctl_parse_window("90m", &hours, error, sizeof(error)));
	assert_false(ctl_parse_window("30m", &hours, error, sizeof(error)));
	assert_false(ctl_parse_window("0h", &hours, error, sizeof(error)));
	assert_false(ctl_parse_window("h", &hours, error, sizeof(error)));
	assert_non_null(strstr(error, "1h to 24h"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_user),
    cmocka_unit_test(test_subject),
    cmocka_unit_test(test_grant),
    cmocka_unit_test(test_for),
    cmocka_unit_test(test_reason),
    cmocka_unit_test(test_count),
    cmocka_unit_test(test_message_ref),
    cmocka_unit_test(test_relay),
    cmocka_unit_test(test_stream_id),
    cmocka_unit_test(test_remaining),
    cmocka_unit_test(test_max),
    cmocka_unit_test(test_domain),
    cmocka_unit_test(test_value),
    cmocka_unit_test(test_client),
    cmocka_unit_test(test_window),
};

UNIT_TEST_MAIN(tests)
