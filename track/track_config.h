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
};

struct track_config {
	struct log_settings log;
	struct track_section track;
};

extern const struct config_schema track_schema;

#endif
