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
 *	keeps in memory between their first line and their "removed"; the
 *	records in Redis ([redis], shared with every daemon): how long they
 *	live, the event streams' bound, how often a deferral is an event,
 *	suppression, and the bounce-rate guard. The keys every daemon
 *	shares (user, pidfile...) come from lib/, without the socket ones:
 *	waypost-trackd serves no socket.
 *
 *	log_file is required and is "-" (standard input) or an absolute
 *	path; the reader checks the rest (types, bounds, unknown and
 *	repeated keys), each error with the file and line. guard_window
 *	is whole hours (the guard counts per hour); relay_name, when set,
 *	is one word.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "track_config.h"

#ifndef WAYPOST_SYSCONF_DIR
#define WAYPOST_SYSCONF_DIR "/etc/waypost"
#endif

#define MINUTE_MS (60 * 1000LL)
#define HOUR_MS   (60 * MINUTE_MS)
#define DAY_MS    (24 * HOUR_MS)
#define YEAR_MS   (366 * DAY_MS)

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
    TRACK_KEY("records", CONFIG_BOOL, records, "yes", 0, 0, 0),
    TRACK_KEY("relay_name", CONFIG_STRING, relay_name, NULL, 0, 0, 0),
    TRACK_KEY(
        "record_ttl", CONFIG_DURATION, record_ttl, "7d", 0, HOUR_MS, YEAR_MS),
    TRACK_KEY("events_max", CONFIG_INTEGER, events_max, "1000000", 0, 1000,
        1000000000LL),
    TRACK_KEY("deferred_event_interval", CONFIG_DURATION,
        deferred_event_interval, "4h", 0, 0, YEAR_MS),
    TRACK_KEY("suppress_for", CONFIG_DURATION, suppress_for, "30d", 0,
        MINUTE_MS, 10 * YEAR_MS),
    TRACK_KEY("suppress_all_tenants", CONFIG_BOOL, suppress_all_tenants, "no",
        0, 0, 0),
    TRACK_KEY(
        "soft_expirations", CONFIG_INTEGER, soft_expirations, "3", 0, 0, 1000),
    TRACK_KEY("soft_span", CONFIG_DURATION, soft_span, "72h", 0, 0, YEAR_MS),
    TRACK_KEY("guard_window", CONFIG_DURATION, guard_window, "24h", 0, HOUR_MS,
        30 * DAY_MS),
    TRACK_KEY("guard_minimum", CONFIG_INTEGER, guard_minimum, "200", 0, 1,
        1000000000LL),
    TRACK_KEY("guard_warn_percent", CONFIG_INTEGER, guard_warn_percent, "5", 0,
        0, 100),
    TRACK_KEY("guard_pause_percent", CONFIG_INTEGER, guard_pause_percent, "10",
        0, 0, 100),
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
	if (track->guard_window % HOUR_MS != 0)
		config_report_error(report,
		    "guard_window: whole hours: the guard counts per hour");
	if (track->relay_name != NULL &&
	    (track->relay_name[0] == '\0' ||
	        strcspn(track->relay_name, " \t\r\n") !=
	            strlen(track->relay_name)))
		config_report_error(report,
		    "relay_name: \"%.100s\" is empty or holds white space",
		    track->relay_name);
}

static const struct config_section track_sections[] = {
    {"log", false, offsetof(struct track_config, log), 0,
        {{log_config_keys, 0}}, NULL, NULL},
    CONFIG_SECTION_REDIS(struct track_config),
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
