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
	int fail_mode; /* enum redis_fail_mode */
};

extern const struct config_key daemon_config_keys[];
extern const struct config_key daemon_socketless_config_keys[];
extern const struct config_key log_config_keys[];
extern const struct config_key redis_config_keys[];

/* Every section name the suite's file may hold. */
extern const char *const config_suite_sections[];

#endif
