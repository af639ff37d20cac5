/*
 * config_common.h - keys every daemon shares: daemon life cycle, [log], [redis]
 */
#ifndef WAYPOST_CONFIG_COMMON_H
#define WAYPOST_CONFIG_COMMON_H

#include "cidr.h"
#include "config_file.h"
#include "socket_spec.h"

/* The life-cycle keys, in each daemon's own section ([dkim], [policy]...). */
struct daemon_settings {
	struct socket_spec socket;
	unsigned socket_mode;
	char *socket_group;
	char *user;
	char *pidfile;
	long long stop_timeout;         /* milliseconds */
	struct socket_spec metrics;     /* SOCKET_NONE: no metrics served */
	struct cidr_list metrics_allow; /* empty: loopback only */
};

struct log_settings {
	int level;    /* index into log_level_names */
	int facility; /* index into log_facility_names */
};

enum redis_fail_mode { REDIS_FAIL_CLOSED, REDIS_FAIL_OPEN };

struct redis_settings {
	struct socket_spec address;
	char *username;
	char *password;
	long long database;
	long long connect_timeout; /* milliseconds */
	long long timeout;         /* milliseconds, each command */
	char *prefix;
	int fail_mode;                /* enum redis_fail_mode */
	struct config_list sentinels; /* HOST:PORT each; empty: address */
	char *master_name;            /* with sentinels */
	char *sentinel_password;      /* NULL: sentinels ask none */
};

/* Sentinels one [redis] section may name; a master name's length. */
#define REDIS_SENTINELS_MAX   16
#define REDIS_MASTER_NAME_MAX 64

extern const struct config_key daemon_config_keys[];
extern const struct config_key daemon_socketless_config_keys[];
extern const struct config_key log_config_keys[];
extern const struct config_key redis_config_keys[];

void redis_config_validate(void *section, struct config_report *report);

/* The [redis] section of a program's configuration struct TYPE, whose
 * member is named redis. */
#define CONFIG_SECTION_REDIS(type)                                             \
	{                                                                      \
		"redis", false, offsetof(type, redis), 0,                      \
		    {{redis_config_keys, 0}}, NULL, redis_config_validate      \
	}

/* Every section name the suite's file may hold. */
extern const char *const config_suite_sections[];

#endif
