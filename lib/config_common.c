/*
 * NAME
 *	config_common - keys every daemon shares: life cycle, [log], [redis]
 * DESCRIPTION
 *	Waypost's daemons read one file, /etc/waypost/waypost.conf. The
 *	keys they share are declared once, here:
 *
 *	.  daemon_config_keys: socket, socket_mode, socket_group, user,
 *	   pidfile, stop_timeout, metrics and metrics_allow (the
 *	   Prometheus endpoint, lib/metrics_http.c), which each daemon
 *	   takes in its own
 *	   section (a key group of that section, see config_file.h);
 *	   daemon_socketless_config_keys, the same without the socket
 *	   keys, for a daemon that serves no socket (waypost-trackd; its
 *	   struct daemon_program says no_socket);
 *	.  the [log] and [redis] sections; redis_config_validate() checks
 *	   the keys of [redis] that go together: sentinels (each
 *	   HOST:PORT, at most REDIS_SENTINELS_MAX) and master_name (letters,
 *	   digits, ".", "-" and "_", at most REDIS_MASTER_NAME_MAX), each
 *	   needing the other, and sentinel_password only with them.
 *	   CONFIG_SECTION_REDIS() is the [redis] entry of each program's
 *	   schema.
 *
 *	config_suite_sections lists every section name of the suite, so
 *	that a daemon skips the sections of the others instead of calling
 *	them unknown; each daemon's -n checks its own. A new daemon or a
 *	new named section adds its name here.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "config_common.h"
#include "log.h"

#define HOUR_MS (3600LL * 1000)

const char *const config_suite_sections[] = {
    "log",
    "redis",
    "dkim",
    "headers",
    "policy",
    "limit",
    "warmup",
    "track",
    "hooks",
    "webhook",
    "route",
    "pool",
    "provider",
    NULL,
};

#define DAEMON_KEY(name, type, member, value, flags, min, max)                 \
	{                                                                      \
		name, type, offsetof(struct daemon_settings, member), value,   \
		    flags, min, max, NULL                                      \
	}
#define USER_KEY    DAEMON_KEY("user", CONFIG_USER, user, NULL, 0, 0, 0)
#define PIDFILE_KEY DAEMON_KEY("pidfile", CONFIG_PATH, pidfile, NULL, 0, 0, 0)
#define STOP_TIMEOUT_KEY                                                       \
	DAEMON_KEY("stop_timeout", CONFIG_DURATION, stop_timeout, "10s", 0, 0, \
	    HOUR_MS)
#define METRICS_KEY DAEMON_KEY("metrics", CONFIG_SOCKET, metrics, NULL, 0, 0, 0)
#define METRICS_ALLOW_KEY                                                      \
	DAEMON_KEY(                                                            \
	    "metrics_allow", CONFIG_CIDR_LIST, metrics_allow, NULL, 0, 0, 0)

const struct config_key daemon_config_keys[] = {
    DAEMON_KEY("socket", CONFIG_SOCKET, socket, NULL, CONFIG_REQUIRED, 0, 0),
    DAEMON_KEY("socket_mode", CONFIG_MODE, socket_mode, "0660", 0, 0, 0777),
    DAEMON_KEY("socket_group", CONFIG_GROUP, socket_group, NULL, 0, 0, 0),
    USER_KEY,
    PIDFILE_KEY,
    STOP_TIMEOUT_KEY,
    METRICS_KEY,
    METRICS_ALLOW_KEY,
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

/* The same, for a daemon that has no socket. */
const struct config_key daemon_socketless_config_keys[] = {
    USER_KEY,
    PIDFILE_KEY,
    STOP_TIMEOUT_KEY,
    METRICS_KEY,
    METRICS_ALLOW_KEY,
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

const struct config_key log_config_keys[] = {
    {"level", CONFIG_CHOICE, offsetof(struct log_settings, level), "info", 0, 0,
        0, log_level_names},
    {"facility", CONFIG_CHOICE, offsetof(struct log_settings, facility), "mail",
        0, 0, 0, log_facility_names},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const char *const fail_mode_names[] = {"closed", "open", NULL};

const struct config_key redis_config_keys[] = {
    {"address", CONFIG_ADDRESS, offsetof(struct redis_settings, address),
        "127.0.0.1:6379", 0, 0, 0, NULL},
    {"username", CONFIG_STRING, offsetof(struct redis_settings, username), NULL,
        0, 0, 0, NULL},
    {"password", CONFIG_STRING, offsetof(struct redis_settings, password), NULL,
        CONFIG_SECRET, 0, 0, NULL},
    {"database", CONFIG_INTEGER, offsetof(struct redis_settings, database), "0",
        0, 0, 1000000, NULL},
    {"connect_timeout", CONFIG_DURATION,
        offsetof(struct redis_settings, connect_timeout), "100ms", 0, 1, 60000,
        NULL},
    {"timeout", CONFIG_DURATION, offsetof(struct redis_settings, timeout),
        "100ms", 0, 1, 60000, NULL},
    {"prefix", CONFIG_STRING, offsetof(struct redis_settings, prefix),
        "waypost:", 0, 0, 0, NULL},
    {"fail_mode", CONFIG_CHOICE, offsetof(struct redis_settings, fail_mode),
        "closed", 0, 0, 0, fail_mode_names},
    {"sentinels", CONFIG_LIST, offsetof(struct redis_settings, sentinels), NULL,
        0, 0, 0, NULL},
    {"master_name", CONFIG_STRING, offsetof(struct redis_settings, master_name),
        NULL, 0, 0, 0, NULL},
    {"sentinel_password", CONFIG_STRING,
        offsetof(struct redis_settings, sentinel_password), NULL, CONFIG_SECRET,
        0, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static bool
master_name_valid(const char *name)
{
	size_t length = strlen(name);

	return length > 0 && length <= REDIS_MASTER_NAME_MAX &&
	       strspn(name,
	           "abcdefghijklmnopqrstuvwxyz"
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == length;
}

void
redis_config_validate(void *section, struct config_report *report)
{
	const struct redis_settings *settings = section;
	struct socket_spec spec;
	char error[256];

	if (settings->sentinels.count > REDIS_SENTINELS_MAX)
		config_report_error(report, "sentinels: at most %d, not %zu",
		    REDIS_SENTINELS_MAX, settings->sentinels.count);
	for (size_t i = 0; i < settings->sentinels.count; i++) {
		const char *text = settings->sentinels.items[i];

		if (!socket_spec_parse_address(
		        text, &spec, error, sizeof(error)))
			config_report_error(
			    report, "sentinels: \"%s\": %s", text, error);
		else if (spec.kind == SOCKET_UNIX)
			config_report_error(report,
			    "sentinels: \"%s\": sentinels name the master "
			    "by HOST:PORT; give theirs so too",
			    text);
	}
	if (settings->sentinels.count > 0 && settings->master_name == NULL)
		config_report_error(report,
		    "sentinels needs master_name: the name the sentinels "
		    "monitor the master by");
	if (settings->master_name != NULL && settings->sentinels.count == 0)
		config_report_error(report,
		    "master_name needs sentinels (for one Redis, set address)");
	if (settings->master_name != NULL &&
	    !master_name_valid(settings->master_name))
		config_report_error(report,
		    "master_name: \"%s\" is not a name (letters, digits, "
		    "\".\", \"-\", \"_\"; at most %d)",
		    settings->master_name, REDIS_MASTER_NAME_MAX);
	if (settings->sentinel_password != NULL &&
	    settings->sentinels.count == 0)
		config_report_error(
		    report, "sentinel_password needs sentinels");
	/* A brace would make the prefix every key's hash tag: one
	 * Cluster slot for all (lib/redis_keys.c). */
	if (settings->prefix != NULL && strpbrk(settings->prefix, "{}"))
		config_report_error(report,
		    "prefix: \"%s\" holds \"{\" or \"}\", which would make "
		    "it the Redis Cluster hash tag of every key",
		    settings->prefix);
}
