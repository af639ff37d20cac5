/*
 * NAME
 *	hook_config - the [hooks] and [webhook "NAME"] sections of waypost.conf
 * SYNOPSIS
 *	#include "hook_config.h"
 *
 *	extern const struct config_schema hook_schema;
 *	bool hook_event_type_known(type)
 * DESCRIPTION
 *	The schema waypost-hookd loads: [log], [redis], [hooks] (the daemon
 *	keys without a socket, and the consumer's) and any number of
 *	[webhook "NAME"] sections, one per endpoint. Each section's check
 *	refuses what cannot work: a url that is neither https:// nor
 *	http:// to a loopback address (events are tenants' data: plain HTTP
 *	only where it never leaves the machine), no secret or two ways of
 *	giving it, more than HOOK_SECRETS_MAX secrets, an unknown event
 *	type, a batch that is neither "off" nor 2..HOOK_BATCH_MAX, a stop
 *	status outside 200..599 or a 2xx one, retry_min above retry_max.
 *	The secrets themselves are decoded when the runtime is built
 *	(hook_secret.c), so -n checks them too.
 *
 *	hook_event_type_known() says whether type is one of the events
 *	waypost-trackd writes (waypost-events(7)).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "event_streams.h"
#include "hook_config.h"

#define SECOND_MS (1000LL)
#define MINUTE_MS (60 * SECOND_MS)
#define HOUR_MS   (60 * MINUTE_MS)
#define DAY_MS    (24 * HOUR_MS)
#define YEAR_MS   (366 * DAY_MS)

static const char *const event_types[] = {
    "accepted",
    "delivered",
    "deferred",
    "bounced",
    "expired",
    "dropped",
    "suppressed",
    "guard",
    NULL,
};

#define HOOKS_KEY(name, type, member, value, flags, min, max)                  \
	{                                                                      \
		name, type, offsetof(struct hooks_section, member), value,     \
		    flags, min, max, NULL                                      \
	}

static const struct config_key hooks_keys[] = {
    HOOKS_KEY("consumer", CONFIG_STRING, consumer, NULL, 0, 0, 0),
    HOOKS_KEY("poll_interval", CONFIG_DURATION, poll_interval, "200ms", 0, 10,
        10 * SECOND_MS),
    HOOKS_KEY(
        "wake_delay", CONFIG_DURATION, wake_delay, "20ms", 0, 0, SECOND_MS),
    HOOKS_KEY("attempts_ttl", CONFIG_DURATION, attempts_ttl, "7d", 0, MINUTE_MS,
        YEAR_MS),
    HOOKS_KEY(
        "attempts_max", CONFIG_INTEGER, attempts_max, "100", 0, 1, 100000),
    HOOKS_KEY(
        "dead_max", CONFIG_INTEGER, dead_max, "100000", 0, 100, 1000000000LL),
    HOOKS_KEY("claim_idle", CONFIG_DURATION, claim_idle, "5m", 0, 0, DAY_MS),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

#define WEBHOOK_KEY(name, type, member, value, flags, min, max)                \
	{                                                                      \
		name, type, offsetof(struct webhook_section, member), value,   \
		    flags, min, max, NULL                                      \
	}

static const struct config_key webhook_keys[] = {
    WEBHOOK_KEY("url", CONFIG_STRING, url, NULL, CONFIG_REQUIRED, 0, 0),
    WEBHOOK_KEY("secret", CONFIG_LIST, secret, NULL, CONFIG_SECRET, 0, 0),
    WEBHOOK_KEY("secret_file", CONFIG_PATH, secret_file, NULL, 0, 0, 0),
    WEBHOOK_KEY("tenants", CONFIG_LIST, tenants, "*", 0, 0, 0),
    WEBHOOK_KEY("events", CONFIG_LIST, events, "*", 0, 0, 0),
    WEBHOOK_KEY("batch", CONFIG_STRING, batch, "off", 0, 0, 0),
    WEBHOOK_KEY(
        "batch_wait", CONFIG_DURATION, batch_wait, "1s", 0, 0, MINUTE_MS),
    WEBHOOK_KEY(
        "timeout", CONFIG_DURATION, timeout, "5s", 0, 100, 5 * MINUTE_MS),
    WEBHOOK_KEY(
        "retry_for", CONFIG_DURATION, retry_for, "24h", 0, 0, 30 * DAY_MS),
    WEBHOOK_KEY("retry_min", CONFIG_DURATION, retry_min, "1s", 0, 10, HOUR_MS),
    WEBHOOK_KEY("retry_max", CONFIG_DURATION, retry_max, "10m", 0, 10, DAY_MS),
    WEBHOOK_KEY("stop_status", CONFIG_LIST, stop_status, "410", 0, 0, 0),
    WEBHOOK_KEY("ca_file", CONFIG_PATH, ca_file, NULL, 0, 0, 0),
    WEBHOOK_KEY("concurrency", CONFIG_INTEGER, concurrency, "8", 0, 1,
        HOOK_CONCURRENCY_MAX),
    WEBHOOK_KEY("breaker_failures", CONFIG_INTEGER, breaker_failures, "5", 0, 0,
        1000000),
    WEBHOOK_KEY("backlog_max", CONFIG_INTEGER, backlog_max, "100000", 0, 100,
        1000000000LL),
    WEBHOOK_KEY(
        "response_max", CONFIG_SIZE, response_max, "4K", 0, 0, 1024 * 1024),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

bool
hook_event_type_known(const char *type)
{
	for (size_t i = 0; event_types[i] != NULL; i++)
		if (strcmp(event_types[i], type) == 0)
			return true;
	return false;
}

static bool
is_star(const struct config_list *list)
{
	return list->count == 1 && strcmp(list->items[0], "*") == 0;
}

/*
 * http:// only to this machine: the host is localhost, a 127.0.0.0/8
 * address in four decimal parts or an IPv6 loopback address in brackets,
 * with nothing before it (no "user@", after which the host would be
 * another) and nothing after it but a port, before the path. Comparing
 * prefixes is not enough: http://127.0.0.1.example.net/ is a name in the
 * DNS, and http://localhost:80@example.net/ goes to example.net.
 */
static bool
http_host_is_loopback(const char *authority, size_t length)
{
	char host[64];
	const char *port;
	size_t host_length;
	struct in_addr ipv4;
	struct in6_addr ipv6;
	bool loopback;

	if (memchr(authority, '@', length) != NULL)
		return false;
	if (authority[0] == '[') {
		const char *close = memchr(authority, ']', length);

		if (close == NULL)
			return false;
		host_length = (size_t)(close - authority) - 1;
		if (host_length >= sizeof(host))
			return false;
		memcpy(host, authority + 1, host_length);
		host[host_length] = '\0';
		loopback = inet_pton(AF_INET6, host, &ipv6) == 1 &&
		           IN6_IS_ADDR_LOOPBACK(&ipv6);
		port = close + 1;
	} else {
		const char *colon = memchr(authority, ':', length);

		host_length =
		    colon != NULL ? (size_t)(colon - authority) : length;
		if (host_length >= sizeof(host))
			return false;
		memcpy(host, authority, host_length);
		host[host_length] = '\0';
		loopback = strcmp(host, "localhost") == 0 ||
		           (inet_pton(AF_INET, host, &ipv4) == 1 &&
		               (ntohl(ipv4.s_addr) >> 24) == 127);
		port = authority + host_length;
	}
	if (!loopback)
		return false;
	if (port == authority + length)
		return true;
	return *port == ':' && strspn(port + 1, "0123456789") ==
	                           (size_t)(authority + length - port - 1);
}

static bool
url_allowed(const char *url)
{
	const char *authority;

	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0';
	if (strncmp(url, "http://", 7) != 0)
		return false;
	authority = url + 7;
	return http_host_is_loopback(authority, strcspn(authority, "/?#"));
}

static void
check_batch(struct webhook_section *webhook, struct config_report *report)
{
	char *end;
	long size;

	webhook->batch_size = 1;
	if (webhook->batch == NULL) {
		/* "batch =": the empty value unsets the key, default and all */
		config_report_error(report,
		    "batch: empty (off, or a number of events from 2 to %d)",
		    HOOK_BATCH_MAX);
		return;
	}
	if (strcmp(webhook->batch, "off") == 0)
		return;
	size = strtol(webhook->batch, &end, 10);
	if (*end != '\0' || end == webhook->batch || size < 2 ||
	    size > HOOK_BATCH_MAX) {
		config_report_error(report,
		    "batch: \"%.40s\" is neither off nor a number of events "
		    "from 2 to %d",
		    webhook->batch, HOOK_BATCH_MAX);
		return;
	}
	webhook->batch_size = (int)size;
}

static void
check_statuses(struct webhook_section *webhook, struct config_report *report)
{
	webhook->stop_status_count = 0;
	if (webhook->stop_status.count > HOOK_STATUSES_MAX) {
		config_report_error(report,
		    "stop_status: more than %d statuses", HOOK_STATUSES_MAX);
		return;
	}
	for (size_t i = 0; i < webhook->stop_status.count; i++) {
		const char *word = webhook->stop_status.items[i];
		char *end;
		long status = strtol(word, &end, 10);

		if (strcmp(word, "none") == 0 &&
		    webhook->stop_status.count == 1)
			return;
		if (*end != '\0' || end == word || status < 300 ||
		    status > 599) {
			config_report_error(report,
			    "stop_status: \"%.40s\" is not an HTTP status from "
			    "300 to 599 (or none)",
			    word);
			continue;
		}
		webhook->stop_statuses[webhook->stop_status_count++] =
		    (int)status;
	}
}

static void
validate_webhook(void *section, struct config_report *report)
{
	struct webhook_section *webhook = section;

	if (webhook->url != NULL && !url_allowed(webhook->url))
		config_report_error(report,
		    "url: \"%.100s\" is neither https:// nor http:// to this "
		    "machine (127.0.0.1, [::1], localhost)",
		    webhook->url);
	if (webhook->secret.count == 0 && webhook->secret_file == NULL)
		config_report_error(report,
		    "no secret: set secret or secret_file (whsec_ and the "
		    "key in base64, as waypost-hookd(8) says)");
	if (webhook->secret.count > 0 && webhook->secret_file != NULL)
		config_report_error(
		    report, "secret and secret_file: set one of them");
	if (webhook->secret.count > HOOK_SECRETS_MAX)
		config_report_error(report,
		    "secret: %zu secrets, at most %d (the new and the old "
		    "during a rotation)",
		    webhook->secret.count, HOOK_SECRETS_MAX);
	webhook->all_tenants = is_star(&webhook->tenants);
	webhook->all_events = is_star(&webhook->events);
	if (webhook->tenants.count == 0)
		config_report_error(report, "tenants: empty (* for all)");
	for (size_t i = 0; !webhook->all_tenants && i < webhook->tenants.count;
	     i++)
		if (strcmp(webhook->tenants.items[i], "*") == 0)
			config_report_error(report,
			    "tenants: * with other tenants: * alone means all");
	if (webhook->events.count == 0)
		config_report_error(report, "events: empty (* for all)");
	for (size_t i = 0; !webhook->all_events && i < webhook->events.count;
	     i++)
		if (!hook_event_type_known(webhook->events.items[i]))
			config_report_error(report,
			    "events: unknown type \"%.40s\" (accepted, "
			    "delivered, deferred, bounced, expired, dropped, "
			    "suppressed, guard, or * alone)",
			    webhook->events.items[i]);
	check_batch(webhook, report);
	check_statuses(webhook, report);
	if (webhook->retry_min > webhook->retry_max)
		config_report_error(report, "retry_min is above retry_max");
}

static void
validate_hooks(void *section, struct config_report *report)
{
	const struct hooks_section *hooks = section;

	if (hooks->consumer != NULL &&
	    !event_streams_consumer_valid(hooks->consumer))
		config_report_error(report,
		    "consumer: \"%.100s\" is empty or holds white space",
		    hooks->consumer);
}

static const struct config_section hook_sections[] = {
    {"log", false, offsetof(struct hook_config, log), 0, {{log_config_keys, 0}},
        NULL, NULL},
    CONFIG_SECTION_REDIS(struct hook_config),
    {"hooks", false, offsetof(struct hook_config, hooks), 0,
        {{daemon_socketless_config_keys,
             offsetof(struct hooks_section, daemon)},
            {hooks_keys, 0}},
        NULL, validate_hooks},
    {"webhook", true, offsetof(struct hook_config, webhooks),
        sizeof(struct webhook_section), {{webhook_keys, 0}}, NULL,
        validate_webhook},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema hook_schema = {
    sizeof(struct hook_config),
    hook_sections,
    config_suite_sections,
};
