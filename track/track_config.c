/*
 * NAME
 *	track_config - the [track] section of waypost.conf
 * SYNOPSIS
 *	#include "track_config.h"
 *
 *	const struct config_schema track_schema
 * DESCRIPTION
 *	The keys of waypost-trackd (waypost-trackd(8)): the log it
 *	follows, the bounce classes file, and the bound on the messages it
 *	keeps in memory between their first line and their "removed". The
 *	keys every daemon shares (user, pidfile...) come from lib/, without
 *	the socket ones: waypost-trackd serves no socket.
 *
 *	log_file is required and is "-" (standard input) or an absolute
 *	path; the reader checks the rest (types, bounds, unknown and
 *	repeated keys), each error with the file and line.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "track_config.h"

#ifndef WAYPOST_SYSCONF_DIR
#define WAYPOST_SYSCONF_DIR "/etc/waypost"
#endif

#define TRACK_KEY(name, type, member, value, flags, min, max)                  \
	{                                                                      \
		name, type, offsetof(struct track_section, member), value,     \
		    flags, min, max, NULL                                      \
	}

static const struct config_key track_keys[] = {
    TRACK_KEY("log_file", CONFIG_STRING, log_file, NULL, CONFIG_REQUIRED, 0, 0),
    TRACK_KEY("rules_file", CONFIG_PATH, rules_file,
        WAYPOST_SYSCONF_DIR "/bounce-classes.conf", 0, 0, 0),
    TRACK_KEY("max_open_messages", CONFIG_INTEGER, max_open_messages, "1000000",
        0, TRACK_OPEN_MESSAGES_MIN, TRACK_OPEN_MESSAGES_MAX),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static void
validate_track(void *section, struct config_report *report)
{
	const struct track_section *track = section;

	if (track->log_file != NULL && strcmp(track->log_file, "-") != 0 &&
	    track->log_file[0] != '/')
		config_report_error(report,
		    "log_file: \"%.100s\" is neither an absolute path nor - "
		    "(standard input)",
		    track->log_file);
}

static const struct config_section track_sections[] = {
    {"log", false, offsetof(struct track_config, log), 0,
        {{log_config_keys, 0}}, NULL, NULL},
    {"track", false, offsetof(struct track_config, track), 0,
        {{daemon_socketless_config_keys,
             offsetof(struct track_section, daemon)},
            {track_keys, 0}},
        NULL, validate_track},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema track_schema = {
    sizeof(struct track_config),
    track_sections,
    config_suite_sections,
};
