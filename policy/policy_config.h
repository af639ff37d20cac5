/*
 * policy_config.h - [policy], [limit "NAME"], [warmup "NAME"] of waypost.conf
 */
#ifndef WAYPOST_POLICY_CONFIG_H
#define WAYPOST_POLICY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "config_common.h"
#include "config_file.h"
#include "daily_cap.h"

/* What a limit counts by; a subject joins up to all of them with "+". */
enum limit_subject_part {
	SUBJECT_SASL_USERNAME,
	SUBJECT_SENDER,
	SUBJECT_SENDER_DOMAIN,
	SUBJECT_CLIENT_ADDRESS,
	SUBJECT_CLIENT_NETWORK,
	SUBJECT_RECIPIENT_DOMAIN,
	SUBJECT_GLOBAL,
	SUBJECT_PART_COUNT
};

enum limit_count { COUNT_MESSAGES, COUNT_RECIPIENTS, COUNT_BYTES };

#define LIMIT_WINDOW_MIN_MS 1000LL
#define LIMIT_WINDOW_MAX_MS (366LL * 24 * 3600 * 1000)
#define LIMIT_ACTION_MAX    256
#define LIMIT_MAX_MAX       1000000000000000LL /* max, an override */

#define CHECK_CACHE_TIME_MAX_MS 60000LL /* [policy] check_cache_time */

struct limit_section {
	char *name; /* first: the instance name */
	int line;   /* second: its header's line in the file */
	char *subject;
	int count;
	long long window; /* milliseconds */
	long long max;
	char *action; /* NULL: DEFER_IF_PERMIT 4.7.1 ... */
	struct cidr_list exempt_networks;
	struct config_list exempt_users;
	/* Filled in by the check of the section: */
	int parts[SUBJECT_PART_COUNT]; /* enum limit_subject_part, in order */
	size_t part_count;
};

#define WARMUP_SCHEDULE_MAX DAILY_CAP_DAYS
#define WARMUP_CAP_MAX      DAILY_CAP_MAX

enum warmup_per { WARMUP_PER_DOMAIN, WARMUP_PER_GROUP };

struct warmup_section {
	char *name; /* first: the instance name */
	int line;   /* second: its header's line in the file */
	struct config_list domains;
	struct config_list schedule; /* numbers, "unlimited" */
	int per;                     /* enum warmup_per */
	char *action; /* NULL: DEFER_IF_PERMIT 4.7.1 warm-up cap ... */
};

struct policy_section {
	struct daemon_settings daemon;
	long long ipv4_network_prefix;
	long long ipv6_network_prefix;
	struct cidr_list trusted_networks;
	struct config_list local_domains; /* "example.com", ".example.com" */
	bool check_relay;
	bool check_sender_ownership;
	char *identities_file;
	bool check_suspension;
	char *suspension_action;
	char *guard_action; /* a suspension by waypost-trackd's guard */
	bool check_suppression;
	bool detect_compromise;
	long long compromise_window; /* milliseconds */
	long long compromise_max_addresses;
	long long compromise_max_failures;
	long long check_cache_time; /* milliseconds; 0: no cache */
};

struct policy_config {
	struct log_settings log;
	struct redis_settings redis;
	struct policy_section policy;
	struct config_instances limits;  /* struct limit_section */
	struct config_instances warmups; /* struct warmup_section */
};

extern const struct config_schema policy_schema;

void policy_config_check(
    const struct policy_config *config, struct config_errors *errors);
const char *limit_subject_part_name(int part);
bool limit_action_valid(const char *action, char *error, size_t error_size);

#endif
