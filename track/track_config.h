/*
 * track_config.h - the [track] section of waypost.conf
 */
#ifndef WAYPOST_TRACK_CONFIG_H
#define WAYPOST_TRACK_CONFIG_H

#include "config_common.h"
#include "config_file.h"

#define TRACK_OPEN_MESSAGES_MIN 100
#define TRACK_OPEN_MESSAGES_MAX 100000000LL

struct track_section {
	struct daemon_settings daemon; /* no socket: see lib/daemon.h */
	char *log_file;                /* an absolute path, or "-" */
	char *rules_file;
	long long max_open_messages;
	/* The records in Redis (issue 21); durations in milliseconds. */
	bool records;
	char *relay_name; /* NULL: the host's name */
	long long record_ttl;
	long long events_max;
	long long deferred_event_interval;
	long long suppress_for;
	bool suppress_all_tenants;
	long long soft_expirations;
	long long soft_span;
	long long guard_window;
	long long guard_minimum;
	long long guard_warn_percent;
	long long guard_pause_percent;
};

struct track_config {
	struct log_settings log;
	struct redis_settings redis;
	struct track_section track;
};

extern const struct config_schema track_schema;

#endif
