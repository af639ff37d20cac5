/*
 * test_hook_config.c - [hooks] and [webhook "NAME"]: a webhook with a url
 * and a secret loads with its defaults, and every refusal of the
 * section's check comes with its message, the file and the line
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hook_config.h"
#include "unit_test.h"
#include "assert_errors.h"

#define SECRET  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SECRET2 "whsec_AAECAwQFBgcICQoLDA0ODw=="
#define URL     "https://crm.example.com/hooks/waypost"
#define LABEL   "waypost.conf:1: [webhook \"crm\"] "

static struct config_errors errors;

static struct hook_config *
load(const char *text)
{
	memset(&errors, 0, sizeof(errors));
	return config_load_buffer(
	    &hook_schema, "waypost.conf", text, strlen(text), &errors);
}

static struct hook_config *
loads(const char *text)
{
	struct hook_config *config = load(text);

	if (config == NULL) {
		for (size_t i = 0; i < errors.count; i++)
			print_message("error %zu: %s\n", i, errors.text[i]);
		fail_msg("refused: %s", text);
	}
	return config;
}

static const struct webhook_section *
webhook_of(const struct hook_config *config, size_t i)
{
	assert_true(i < config->webhooks.count);
	return config->webhooks.items[i];
}

static void
refused(const char *text, const char *expected)
{
	struct hook_config *config = load(text);

	if (config != NULL) {
		config_free(&hook_schema, config);
		fail_msg("accepted: %s", text);
	}
	assert_config_error(&errors, expected);
}

/* The webhook "crm", its url and secret set, then the keys given. */
static void
webhook_refused(const char *keys, const char *expected)
{
	char text[2048];

	snprintf(text, sizeof(text),
	    "[webhook \"crm\"]\nurl = " URL "\nsecret = " SECRET "\n%s", keys);
	refused(text, expected);
}

static void
test_defaults(void **state)
{
	struct hook_config *config =
	    loads("[webhook \"crm\"]\nurl = " URL "\nsecret = " SECRET "\n");
	const struct webhook_section *webhook;

	(void)state;
	assert_int_equal(config->webhooks.count, 1);
	webhook = webhook_of(config, 0);
	assert_string_equal(webhook->name, "crm");
	assert_string_equal(webhook->url, URL);
	assert_int_equal(webhook->secret.count, 1);
	assert_string_equal(webhook->secret.items[0], SECRET);
	assert_null(webhook->secret_file);
	assert_int_equal(webhook->timeout, 5000);
	assert_int_equal(webhook->retry_for, 24LL * 3600 * 1000);
	assert_int_equal(webhook->retry_min, 1000);
	assert_int_equal(webhook->retry_max, 10 * 60 * 1000);
	assert_int_equal(webhook->stop_status_count, 1);
	assert_int_equal(webhook->stop_statuses[0], 410);
	assert_int_equal(webhook->concurrency, 8);
	assert_string_equal(webhook->batch, "off");
	assert_int_equal(webhook->batch_size, 1);
	assert_int_equal(webhook->batch_wait, 1000);
	assert_true(webhook->all_tenants);
	assert_true(webhook->all_events);
	assert_null(webhook->ca_file);
	assert_int_equal(webhook->breaker_failures, 5);
	assert_int_equal(webhook->response_max, 4096);
	/* [hooks], absent, has its defaults too */
	assert_null(config->hooks.consumer);
	assert_int_equal(config->hooks.poll_interval, 200);
	assert_int_equal(config->hooks.wake_delay, 20);
	assert_int_equal(config->hooks.attempts_ttl, 7LL * 24 * 3600 * 1000);
	assert_int_equal(config->hooks.attempts_max, 100);
	assert_int_equal(config->hooks.dead_max, 100000);
	config_free(&hook_schema, config);

	/* No webhook at all is a configuration too (nothing to send). */
	config = loads("[hooks]\nconsumer = relay-1\n");
	assert_int_equal(config->webhooks.count, 0);
	assert_string_equal(config->hooks.consumer, "relay-1");
	config_free(&hook_schema, config);
}

static void
test_every_key_set(void **state)
{
	struct hook_config *config = loads(
	    "[hooks]\nconsumer = relay-1\npoll_interval = 1s\n"
	    "wake_delay = 0\n"
	    "[webhook \"crm\"]\n"
	    "url = http://127.0.0.1:8080/hook\n"
	    "secret = " SECRET " " SECRET2 "\n"
	    "tenants = App@Example.com, b@example.com\n"
	    "events = bounced deferred expired\n"
	    "batch = 1000\nbatch_wait = 250ms\n"
	    "timeout = 100ms\nretry_for = 0s\n"
	    "retry_min = 10ms\nretry_max = 10ms\n"
	    "stop_status = 300 404 410 599\n"
	    "ca_file = /etc/ssl/crm.pem\n"
	    "concurrency = 256\nbreaker_failures = 0\n"
	    "response_max = 0\n"
	    "[webhook \"local\"]\n"
	    "url = http://[::1]:9000/\nsecret_file = /etc/waypost/local.key\n"
	    "batch = 2\nstop_status = none\n"
	    "[webhook \"name\"]\nurl = http://localhost/x\n"
	    "secret = " SECRET "\n");
	const struct webhook_section *webhook;

	(void)state;
	assert_int_equal(config->hooks.poll_interval, 1000);
	assert_int_equal(config->hooks.wake_delay, 0);
	assert_int_equal(config->webhooks.count, 3);
	webhook = webhook_of(config, 0);
	assert_int_equal(webhook->secret.count, 2);
	assert_string_equal(webhook->secret.items[1], SECRET2);
	assert_false(webhook->all_tenants);
	assert_int_equal(webhook->tenants.count, 2);
	assert_false(webhook->all_events);
	assert_int_equal(webhook->events.count, 3);
	assert_int_equal(webhook->batch_size, 1000);
	assert_int_equal(webhook->batch_wait, 250);
	assert_int_equal(webhook->timeout, 100);
	assert_int_equal(webhook->retry_for, 0);
	assert_int_equal(webhook->stop_status_count, 4);
	assert_int_equal(webhook->stop_statuses[0], 300);
	assert_int_equal(webhook->stop_statuses[3], 599);
	assert_string_equal(webhook->ca_file, "/etc/ssl/crm.pem");
	assert_int_equal(webhook->concurrency, 256);
	webhook = webhook_of(config, 1);
	assert_int_equal(webhook->secret.count, 0);
	assert_string_equal(webhook->secret_file, "/etc/waypost/local.key");
	assert_int_equal(webhook->batch_size, 2);
	assert_int_equal(webhook->stop_status_count, 0);
	config_free(&hook_schema, config);
}

static void
test_url(void **state)
{
	static const char *const good[] = {
	    "https://crm.example.com/hooks/waypost",
	    "https://192.0.2.1:8443/",
	    "https://x",
	    "http://127.0.0.1/hook",
	    "http://127.0.0.1:8080/hook",
	    "http://127.1.2.3:80",
	    "http://[::1]:8080/hook",
	    "http://[::1]/",
	    "http://localhost:8080/",
	    "http://localhost/hook",
	    "http://localhost",
	    "http://[0:0:0:0:0:0:0:1]:8080/",
	    "http://127.0.0.1?a=b@c",
	};
	static const struct {
		const char *url;
	} bad[] = {
	    {"http://crm.example.com/hooks/waypost"},
	    {"http://192.0.2.1/"},
	    {"http://10.0.0.1:8080/"},
	    {"http://128.0.0.1/"},
	    {"http://[::2]/"},
	    {"http://[::1/"},
	    {"ftp://127.0.0.1/"},
	    {"file:///etc/passwd"},
	    {"https://"},
	    {"crm.example.com"},
	    {"http://localhost.example.com/"},
	    {"http://localhostx/"},
	    {"HTTP://crm.example.com/"},
	    /* names that only start like a loopback address */
	    {"http://127.0.0.1.nip.example/"},
	    {"http://127.example.com/"},
	    /* user information before the host: the host is after "@" */
	    {"http://127.0.0.1@crm.example.com/"},
	    {"http://127.0.0.1:8080@crm.example.com/"},
	    {"http://localhost:x@crm.example.com/"},
	    {"http://[::1]@crm.example.com/"},
	    {"http://[::1]:80@crm.example.com/"},
	    {"http://[::1].example.com/"},
	    {"http://localhost:80a/"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text),
		    "[webhook \"crm\"]\nurl = %s\nsecret = " SECRET "\n",
		    good[i]);
		config_free(&hook_schema, loads(text));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512], expected[512];

		snprintf(text, sizeof(text),
		    "[webhook \"crm\"]\nurl = %s\nsecret = " SECRET "\n",
		    bad[i].url);
		snprintf(expected, sizeof(expected),
		    LABEL "url: \"%s\" is neither https:// nor http:// to this "
		          "machine (127.0.0.1, [::1], localhost)",
		    bad[i].url);
		refused(text, expected);
	}
	refused("[webhook \"crm\"]\nsecret = " SECRET "\n",
	    LABEL "missing required key \"url\"");
	refused("[webhook \"crm\"]\nurl =\nsecret = " SECRET "\n",
	    "waypost.conf:2: [webhook \"crm\"] url: needs a value");
}

static void
test_secret(void **state)
{
	(void)state;
	refused("[webhook \"crm\"]\nurl = " URL "\n",
	    LABEL "no secret: set secret or secret_file (whsec_ and the key "
	          "in base64, as waypost-hookd(8) says)");
	refused(
	    "[webhook \"crm\"]\nurl = " URL "\nsecret =\n", LABEL "no secret");
	refused("[webhook \"crm\"]\nurl = " URL "\nsecret = " SECRET
	        "\nsecret_file = /etc/waypost/crm.key\n",
	    LABEL "secret and secret_file: set one of them");
	refused("[webhook \"crm\"]\nurl = " URL "\nsecret = " SECRET " " SECRET2
	        " " SECRET "\n",
	    LABEL "secret: 3 secrets, at most 2 (the new and the old during "
	          "a rotation)");
	refused("[webhook \"crm\"]\nurl = " URL "\nsecret_file = crm.key\n",
	    "waypost.conf:3: [webhook \"crm\"] secret_file: \"crm.key\" is not "
	    "an absolute path");
}

static void
test_tenants_and_events(void **state)
{
	(void)state;
	webhook_refused("tenants =\n", LABEL "tenants: empty (* for all)");
	webhook_refused("tenants = * a@example.com\n",
	    LABEL "tenants: * with other tenants: * alone means all");
	webhook_refused("tenants = a@example.com, *\n",
	    LABEL "tenants: * with other tenants: * alone means all");
	webhook_refused("events =\n", LABEL "events: empty (* for all)");
	webhook_refused("events = bounced sent\n",
	    LABEL "events: unknown type \"sent\" (accepted, delivered, "
	          "deferred, bounced, expired, dropped, suppressed, guard, "
	          "or * alone)");
	webhook_refused(
	    "events = Bounced\n", LABEL "events: unknown type \"Bounced\"");
	webhook_refused(
	    "events = * bounced\n", LABEL "events: unknown type \"*\"");
}

static void
test_every_event_type(void **state)
{
	struct hook_config *config =
	    loads("[webhook \"crm\"]\nurl = " URL "\nsecret = " SECRET "\n"
	          "events = accepted delivered deferred bounced expired "
	          "dropped suppressed guard\n");

	(void)state;
	assert_false(webhook_of(config, 0)->all_events);
	assert_int_equal(webhook_of(config, 0)->events.count, 8);
	config_free(&hook_schema, config);
	assert_true(hook_event_type_known("guard"));
	assert_false(hook_event_type_known("sent"));
	assert_false(hook_event_type_known("*"));
}

static void
test_batch(void **state)
{
	static const char *const bad[] = {
	    "1", "0", "-5", "1001", "on", "5x", "0x10", "99999999999999999999"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char keys[128], expected[256];

		snprintf(keys, sizeof(keys), "batch = %s\n", bad[i]);
		snprintf(expected, sizeof(expected),
		    LABEL "batch: \"%s\" is neither off nor a number of events "
		          "from 2 to 1000",
		    bad[i]);
		webhook_refused(keys, expected);
	}
	webhook_refused("batch =\n",
	    LABEL "batch: empty (off, or a number of events from 2 to 1000)");
}

static void
test_stop_status(void **state)
{
	static const char *const bad[] = {
	    "200", "204", "299", "100", "600", "gone", "410x", "none"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char keys[128], expected[256];

		/* with another status, so "none" is not alone */
		snprintf(keys, sizeof(keys), "stop_status = 410 %s\n", bad[i]);
		snprintf(expected, sizeof(expected),
		    LABEL "stop_status: \"%s\" is not an HTTP status from 300 "
		          "to 599 (or none)",
		    bad[i]);
		webhook_refused(keys, expected);
	}
	webhook_refused("stop_status = 300 301 302 303 304 305 306 307 308 "
	                "400 401 403 404 405 410 413 422\n",
	    LABEL "stop_status: more than 16 statuses");
}

static void
test_retry(void **state)
{
	struct hook_config *config;

	(void)state;
	webhook_refused("retry_min = 2m\nretry_max = 1m\n",
	    LABEL "retry_min is above retry_max");
	config = loads("[webhook \"crm\"]\nurl = " URL "\nsecret = " SECRET
	               "\nretry_min = 1m\nretry_max = 1m\n");
	config_free(&hook_schema, config);
}

/* The bounds of the keys themselves, checked before the section's. */
static void
test_key_bounds(void **state)
{
	(void)state;
	webhook_refused(
	    "timeout = 50ms\n", "waypost.conf:4: [webhook \"crm\"] timeout:");
	webhook_refused("timeout = 6m\n", "timeout:");
	webhook_refused("retry_for = 31d\n", "retry_for:");
	webhook_refused("concurrency = 0\n", "concurrency:");
	webhook_refused("concurrency = 257\n", "concurrency:");
	webhook_refused("batch_wait = 2m\n", "batch_wait:");
	webhook_refused("response_max = 2M\n", "response_max:");
	webhook_refused("colour = blue\n", "waypost.conf:4: unknown key");
	refused("[hooks]\npoll_interval = 5ms\n",
	    "waypost.conf:2: [hooks] poll_interval:");
	refused("[hooks]\nwake_delay = 2s\n",
	    "waypost.conf:2: [hooks] wake_delay:");
}

static void
test_consumer(void **state)
{
	(void)state;
	refused("[hooks]\nconsumer = relay 1\n",
	    "waypost.conf:1: [hooks] consumer: \"relay 1\" is empty or holds "
	    "white space");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults),
    cmocka_unit_test(test_every_key_set),
    cmocka_unit_test(test_url),
    cmocka_unit_test(test_secret),
    cmocka_unit_test(test_tenants_and_events),
    cmocka_unit_test(test_every_event_type),
    cmocka_unit_test(test_batch),
    cmocka_unit_test(test_stop_status),
    cmocka_unit_test(test_retry),
    cmocka_unit_test(test_key_bounds),
    cmocka_unit_test(test_consumer),
};

UNIT_TEST_MAIN(tests)
