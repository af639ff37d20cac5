/*
 * NAME
 *	policy_config - [policy], [limit "NAME"], [warmup "NAME"] of
 *	waypost.conf
 * SYNOPSIS
 *	#include "policy_config.h"
 *
 *	const struct config_schema policy_schema
 *	void policy_config_check(config, errors)
 *	const char *limit_subject_part_name(part)
 *	bool limit_action_valid(action, error, error_size)
 * DESCRIPTION
 *	The keys of waypost-policyd: [policy] for the daemon (its socket,
 *	the prefix lengths of client_network) and its checks (relay,
 *	sender ownership, suspension, compromise), any number of
 *	[limit "NAME"] sections, each one limit, and of [warmup "NAME"]
 *	sections, each one warm-up schedule (waypost-policyd(8)).
 *
 *	Checks that span keys, so a wrong limit is an error at -n, at
 *	start and at reload, never a surprise at the first message:
 *
 *	.  subject: one or more of sasl_username, sender, sender_domain,
 *	   client_address, client_network, recipient_domain joined with
 *	   "+", each at most once; or global alone. The parts are kept in
 *	   the order written, which names the Redis key.
 *	.  action: DEFER_IF_PERMIT, REJECT, HOLD, DEFER or a 4xx/5xx SMTP
 *	   code, each optionally followed by a text; printable ASCII only,
 *	   since it goes back to Postfix on one line. The same for
 *	   suspension_action, guard_action and a warm-up's action.
 *	.  local_domains: domain names, or with a leading dot every
 *	   subdomain of one; a warm-up's domains: domain names.
 *	.  schedule: 1 to WARMUP_SCHEDULE_MAX daily caps, each a number
 *	   up to WARMUP_CAP_MAX or "unlimited".
 *	The name of a limit, which its Redis keys and log lines carry, is
 *	checked by lib/ as every instance name is.
 *
 *	policy_config_check() makes the checks across sections: no domain
 *	in two [warmup] sections (which schedule would it follow?).
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "daily_cap.h"
#include "domain_list.h"
#include "policy_config.h"

static const char *const subject_parts[SUBJECT_PART_COUNT + 1] = {
    "sasl_username", "sender", "sender_domain", "client_address",
    "client_network", "recipient_domain", "global", NULL};
static const char *const count_choices[] = {
    "messages", "recipients", "bytes", NULL};
static const char *const per_choices[] = {"domain", "group", NULL};

const char *
limit_subject_part_name(int part)
{
	return part >= 0 && part < SUBJECT_PART_COUNT ? subject_parts[part]
	                                              : "?";
}

#define POLICY_KEY(name, type, member, value, min, max)                        \
	{                                                                      \
		name, type, offsetof(struct policy_section, member), value, 0, \
		    min, max, NULL                                             \
	}
#define LIMIT_KEY(name, type, member, value, flags, min, max, choices)         \
	{                                                                      \
		name, type, offsetof(struct limit_section, member), value,     \
		    flags, min, max, choices                                   \
	}

#define WARMUP_KEY(name, type, member, value, flags, choices)                  \
	{                                                                      \
		name, type, offsetof(struct warmup_section, member), value,    \
		    flags, 0, 0, choices                                       \
	}

static const struct config_key policy_keys[] = {
    POLICY_KEY("ipv4_network_prefix", CONFIG_INTEGER, ipv4_network_prefix, "24",
        8, 32),
    POLICY_KEY("ipv6_network_prefix", CONFIG_INTEGER, ipv6_network_prefix, "64",
        16, 128),
    POLICY_KEY("trusted_networks", CONFIG_CIDR_LIST, trusted_networks,
        "127.0.0.1/32, ::1/128", 0, 0),
    POLICY_KEY("local_domains", CONFIG_LIST, local_domains, NULL, 0, 0),
    POLICY_KEY("check_relay", CONFIG_BOOL, check_relay, "yes", 0, 0),
    POLICY_KEY("check_sender_ownership", CONFIG_BOOL, check_sender_ownership,
        "no", 0, 0),
    POLICY_KEY("identities_file", CONFIG_PATH, identities_file, NULL, 0, 0),
    POLICY_KEY("check_suspension", CONFIG_BOOL, check_suspension, "yes", 0, 0),
    POLICY_KEY("suspension_action", CONFIG_STRING, suspension_action,
        "REJECT 5.7.1 Account suspended", 0, 0),
    POLICY_KEY("guard_action", CONFIG_STRING, guard_action,
        "DEFER_IF_PERMIT 4.7.1 Sending paused: bounce rate too high", 0, 0),
    POLICY_KEY(
        "check_suppression", CONFIG_BOOL, check_suppression, "yes", 0, 0),
    POLICY_KEY("detect_compromise", CONFIG_BOOL, detect_compromise, "no", 0, 0),
    POLICY_KEY("compromise_window", CONFIG_DURATION, compromise_window, "1h",
        60000, 7LL * 24 * 3600 * 1000),
    POLICY_KEY("compromise_max_addresses", CONFIG_INTEGER,
        compromise_max_addresses, "5", 1, 1000000),
    POLICY_KEY("compromise_max_failures", CONFIG_INTEGER,
        compromise_max_failures, "10", 1, 1000000),
    POLICY_KEY("check_cache_time", CONFIG_DURATION, check_cache_time, "1s", 0,
        CHECK_CACHE_TIME_MAX_MS),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_key limit_keys[] = {
    LIMIT_KEY(
        "subject", CONFIG_STRING, subject, NULL, CONFIG_REQUIRED, 0, 0, NULL),
    LIMIT_KEY(
        "count", CONFIG_CHOICE, count, "messages", 0, 0, 0, count_choices),
    LIMIT_KEY("window", CONFIG_DURATION, window, NULL, CONFIG_REQUIRED,
        LIMIT_WINDOW_MIN_MS, LIMIT_WINDOW_MAX_MS, NULL),
    LIMIT_KEY("max", CONFIG_INTEGER, max, NULL, CONFIG_REQUIRED, 0,
        LIMIT_MAX_MAX, NULL),
    LIMIT_KEY("action", CONFIG_STRING, action, NULL, 0, 0, 0, NULL),
    LIMIT_KEY("exempt_networks", CONFIG_CIDR_LIST, exempt_networks, NULL, 0, 0,
        0, NULL),
    LIMIT_KEY("exempt_users", CONFIG_LIST, exempt_users, NULL, 0, 0, 0, NULL),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_key warmup_keys[] = {
    WARMUP_KEY("domains", CONFIG_LIST, domains, NULL, CONFIG_REQUIRED, NULL),
    WARMUP_KEY("schedule", CONFIG_LIST, schedule, NULL, CONFIG_REQUIRED, NULL),
    WARMUP_KEY("per", CONFIG_CHOICE, per, "domain", 0, per_choices),
    WARMUP_KEY("action", CONFIG_STRING, action, NULL, 0, NULL),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_default policy_defaults[] = {
    {"socket", "unix:" WAYPOST_RUN_DIR "/policy.sock"},
    {NULL, NULL},
};

bool
limit_action_valid(const char *action, char *error, size_t error_size)
{
	static const char *const words[] = {
	    "DEFER_IF_PERMIT", "REJECT", "HOLD", "DEFER", NULL};
	size_t word = strcspn(action, " ");
	bool known = word == 3 && (action[0] == '4' || action[0] == '5') &&
	             isdigit((unsigned char)action[1]) &&
	             isdigit((unsigned char)action[2]);

	for (size_t i = 0; words[i] != NULL && !known; i++)
		known = strlen(words[i]) == word &&
		        strncmp(action, words[i], word) == 0;
	if (!known) {
		snprintf(error, error_size,
		    "\"%.*s\" is not DEFER_IF_PERMIT, REJECT, HOLD, DEFER or a "
		    "4xx/5xx code",
		    (int)(word > 40 ? 40 : word), action);
		return false;
	}
	if (strlen(action) > LIMIT_ACTION_MAX) {
		snprintf(error, error_size, "longer than %d bytes",
		    LIMIT_ACTION_MAX);
		return false;
	}
	for (const char *p = action; *p; p++)
		if (*p < 32 || *p > 126) {
			snprintf(error, error_size,
			    "only printable ASCII may go back to Postfix");
			return false;
		}
	return true;
}

/* "sasl_username+recipient_domain" into parts; false with the reason. */
static bool
parse_subject(struct limit_section *limit, char *error, size_t error_size)
{
	const char *cursor = limit->subject;

	limit->part_count = 0;
	for (;;) {
		size_t length = strcspn(cursor, "+");
		int part = -1;

		for (int i = 0; i < SUBJECT_PART_COUNT; i++)
			if (strlen(subject_parts[i]) == length &&
			    strncmp(cursor, subject_parts[i], length) == 0)
				part = i;
		if (part < 0) {
			snprintf(error, error_size,
			    "\"%.*s\" is not a subject (sasl_username, sender, "
			    "sender_domain, client_address, client_network, "
			    "recipient_domain, global)",
			    (int)(length > 40 ? 40 : length), cursor);
			return false;
		}
		for (size_t i = 0; i < limit->part_count; i++)
			if (limit->parts[i] == part) {
				snprintf(error, error_size, "%s twice",
				    subject_parts[part]);
				return false;
			}
		limit->parts[limit->part_count++] = part;
		if (cursor[length] == '\0')
			break;
		cursor += length + 1;
	}
	for (size_t i = 0; i < limit->part_count; i++)
		if (limit->parts[i] == SUBJECT_GLOBAL &&
		    limit->part_count > 1) {
			snprintf(error, error_size,
			    "global counts the whole relay: it joins nothing");
			return false;
		}
	return true;
}

static void
validate_limit(void *section, struct config_report *report)
{
	struct limit_section *limit = section;
	char error[256];

	if (limit->subject != NULL &&
	    !parse_subject(limit, error, sizeof(error)))
		config_report_error(report, "subject: %s", error);
	if (limit->action != NULL &&
	    !limit_action_valid(limit->action, error, sizeof(error)))
		config_report_error(report, "action: %s", error);
}

static void
validate_policy(void *section, struct config_report *report)
{
	struct policy_section *policy = section;
	char error[256];

	for (size_t i = 0; i < policy->local_domains.count; i++)
		if (!domain_name_valid(policy->local_domains.items[i], true,
		        error, sizeof(error)))
			config_report_error(report, "local_domains: %s", error);
	if (policy->suspension_action != NULL &&
	    !limit_action_valid(
	        policy->suspension_action, error, sizeof(error)))
		config_report_error(report, "suspension_action: %s", error);
	if (policy->guard_action != NULL &&
	    !limit_action_valid(policy->guard_action, error, sizeof(error)))
		config_report_error(report, "guard_action: %s", error);
}

static void
validate_warmup(void *section, struct config_report *report)
{
	struct warmup_section *warmup = section;
	char error[256];
	long long cap;

	for (size_t i = 0; i < warmup->domains.count; i++)
		if (!domain_name_valid(
		        warmup->domains.items[i], false, error, sizeof(error)))
			config_report_error(report, "domains: %s", error);
	if (warmup->schedule.count > WARMUP_SCHEDULE_MAX)
		config_report_error(report,
		    "schedule: more than %d days; the last cap holds after it",
		    WARMUP_SCHEDULE_MAX);
	for (size_t i = 0; i < warmup->schedule.count; i++)
		if (!daily_cap_parse(warmup->schedule.items[i], &cap)) {
			config_report_error(report,
			    "schedule: \"%.40s\" is not a daily cap (0 to "
			    "%lld, or unlimited)",
			    warmup->schedule.items[i], WARMUP_CAP_MAX);
			break;
		}
	if (warmup->action != NULL &&
	    !limit_action_valid(warmup->action, error, sizeof(error)))
		config_report_error(report, "action: %s", error);
}

static const struct config_section policy_sections[] = {
    {"log", false, offsetof(struct policy_config, log), 0,
        {{log_config_keys, 0}}, NULL, NULL},
    CONFIG_SECTION_REDIS(struct policy_config),
    {"policy", false, offsetof(struct policy_config, policy), 0,
        {{daemon_config_keys, offsetof(struct policy_section, daemon)},
            {policy_keys, 0}},
        policy_defaults, validate_policy},
    {"limit", true, offsetof(struct policy_config, limits),
        sizeof(struct limit_section), {{limit_keys, 0}}, NULL, validate_limit},
    {"warmup", true, offsetof(struct policy_config, warmups),
        sizeof(struct warmup_section), {{warmup_keys, 0}}, NULL,
        validate_warmup},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema policy_schema = {
    sizeof(struct policy_config),
    policy_sections,
    config_suite_sections,
};

void
policy_config_check(
    const struct policy_config *config, struct config_errors *errors)
{
	for (size_t i = 0; i < config->warmups.count; i++) {
		const struct warmup_section *one = config->warmups.items[i];

		for (size_t j = i + 1; j < config->warmups.count; j++) {
			const struct warmup_section *other =
			    config->warmups.items[j];

			for (size_t k = 0; k < one->domains.count; k++)
				if (domain_list_match(&other->domains,
				        one->domains.items[k],
				        strlen(one->domains.items[k])))
					config_errors_add(errors,
					    "[warmup \"%s\"] and [warmup "
					    "\"%s\"] both name domain %s",
					    one->name, other->name,
					    one->domains.items[k]);
		}
	}
}
