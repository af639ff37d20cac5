/*
 * NAME
 *	waypost-trackd - what happened to each recipient, from Postfix's log
 * SYNOPSIS
 *	waypost-trackd [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	The program around the log reader: the shared daemon life cycle
 *	of lib/daemon.c, with no socket (daemon.h: no_socket), the log
 *	opened while still root (prepare()), then one libevent loop:
 *
 *	.  the follower's descriptor (inotify, or standard input) and a
 *	   timer each second both run log_follow_poll() (log_follow.c),
 *	   which hands each complete line to track_lines_read(); a poll
 *	   that stopped at its byte bound runs again at once, after the
 *	   loop has seen its signals;
 *	.  SIGHUP reloads the configuration and the bounce rules (the
 *	   runtime, built by build()); a file with errors keeps the
 *	   running one, each error logged with its file and line;
 *	.  SIGTERM, SIGINT stop, after one line of every counter.
 *
 *	The log is read from its beginning: there is no saved position
 *	yet (the Redis one comes with the records), and the daemon never
 *	seeks to the end of a file. Standard input ends the daemon at its
 *	end.
 * SECURITY
 *	The log is opened as root, before the switch to the configured
 *	user; after a rotation the new file is opened as that user, which
 *	must be able to read it. Every byte of the log is a peer's.
 * CONFIGURATION PARAMETERS
 *	[track] and [log] of waypost.conf(5); see waypost-trackd(8).
 */
#include "config.h"

#include <libgen.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "bounce_rules.h"
#include "daemon.h"
#include "daemon_signal.h"
#include "event_log.h"
#include "log.h"
#include "log_follow.h"
#include "text_copy.h"
#include "track_config.h"
#include "track_lines.h"
#include "xmalloc.h"

#define POLL_INTERVAL_MS 1000

/* What a configuration makes: the rules, read once per load. */
struct track_runtime {
	struct swap_item item;
	struct bounce_rules *rules;
};

struct tracker {
	struct daemon *daemon;
	struct log_follow *follow;
	struct track_lines *lines;
	const struct bounce_rules *rules; /* during one poll */
	struct event_base *base;
	struct event *again; /* a poll stopped at its bound: at once */
	char log_file[4096];
	int status;
};

static struct tracker tracker;

static void
runtime_destroy(struct swap_item *item)
{
	struct track_runtime *runtime = (struct track_runtime *)item;

	bounce_rules_free(runtime->rules);
	free(runtime);
}

static struct swap_item *
build(const void *config, struct config_errors *errors)
{
	const struct track_config *track_config = config;
	struct track_runtime *runtime;
	struct bounce_rules *rules =
	    bounce_rules_load(track_config->track.rules_file, errors);

	if (rules == NULL)
		return NULL;
	runtime = xcalloc(1, sizeof(*runtime));
	swap_item_init(&runtime->item, runtime_destroy);
	runtime->rules = rules;
	return &runtime->item;
}

static void
installed(const struct swap_item *item)
{
	const struct track_runtime *runtime =
	    (const struct track_runtime *)item;

	log_info("bounce classes: %zu rules from %s", runtime->rules->count,
	    runtime->rules->file);
}

/* The log's directory must exist: the follower watches it. */
static bool
check(const void *config, struct config_errors *errors)
{
	const struct track_config *track_config = config;
	char copy[4096];
	struct stat st;

	if (strcmp(track_config->track.log_file, "-") == 0)
		return true;
	text_copy(copy, sizeof(copy), track_config->track.log_file);
	if (stat(dirname(copy), &st) < 0 || !S_ISDIR(st.st_mode)) {
		config_errors_add(errors,
		    "[track] log_file: directory %s does not exist", copy);
		return false;
	}
	return true;
}

static bool
on_line(const char *line, size_t length, const struct log_position *after,
    void *context)
{
	struct tracker *state = context;

	(void)after; /* the position to save, with the Redis records */
	track_lines_read(state->lines, state->rules, line, length, time(NULL));
	return true;
}

/* One poll with the current rules; at once again if it stopped at its
 * bound; the loop ends with standard input. */
static void
poll_log(struct tracker *state)
{
	struct swap_item *item = daemon_runtime_acquire();
	const struct timeval now = {0, 0};
	bool more;

	state->rules = ((struct track_runtime *)item)->rules;
	more = log_follow_poll(state->follow);
	state->rules = NULL;
	daemon_runtime_release(item);
	if (more)
		event_add(state->again, &now);
	else if (log_follow_ended(state->follow)) {
		log_info("end of standard input");
		event_base_loopbreak(state->base);
	}
}

static void
on_poll(evutil_socket_t fd, short what, void *argument)
{
	(void)fd;
	(void)what;
	poll_log(argument);
}

/* A reload takes a new max_open_messages at once; a new log_file needs a
 * restart (the log was opened as root). */
static void
reload(struct tracker *state)
{
	const struct track_config *config;

	if (!daemon_reload(state->daemon))
		return;
	config = daemon_config(state->daemon);
	track_lines_set_max(
	    state->lines, (size_t)config->track.max_open_messages);
	if (strcmp(config->track.log_file, state->log_file) != 0)
		log_warning("[track] log_file changed: restart to apply it "
		            "(still following %s)",
		    state->log_file);
}

static void
on_signal(evutil_socket_t fd, short what, void *argument)
{
	struct tracker *state = argument;
	int number;

	(void)fd;
	(void)what;
	while ((number = daemon_signal_next()) != 0) {
		if (number == SIGHUP) {
			reload(state);
			continue;
		}
		log_info("stopping on signal %d", number);
		event_base_loopbreak(state->base);
	}
}

/* As root: the log may be readable by root alone. */
static bool
prepare(struct daemon *daemon, char *error, size_t error_size)
{
	const struct track_config *config = daemon_config(daemon);

	tracker.daemon = daemon;
	text_copy(
	    tracker.log_file, sizeof(tracker.log_file), config->track.log_file);
	tracker.lines =
	    track_lines_new((size_t)config->track.max_open_messages);
	tracker.follow = log_follow_open(tracker.log_file, NULL,
	    LOG_FOLLOW_FROM_BEGINNING, on_line, &tracker, error, error_size);
	if (tracker.follow == NULL) {
		track_lines_free(tracker.lines);
		tracker.lines = NULL;
		return false;
	}
	return true;
}

/* A regular file as standard input cannot be watched (epoll refuses
 * it): the timer and the polls at once read it. */
static bool
watchable(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
}

static void
loop(struct tracker *state)
{
	const struct timeval interval = {
	    POLL_INTERVAL_MS / 1000, (POLL_INTERVAL_MS % 1000) * 1000};
	const struct timeval at_once = {0, 0};
	struct event *signals, *timer, *watch;

	signals = event_new(state->base, daemon_signal_fd(),
	    EV_READ | EV_PERSIST, on_signal, state);
	timer = event_new(state->base, -1, EV_PERSIST, on_poll, state);
	state->again = event_new(state->base, -1, 0, on_poll, state);
	watch = watchable(log_follow_fd(state->follow))
	            ? event_new(state->base, log_follow_fd(state->follow),
	                  EV_READ | EV_PERSIST, on_poll, state)
	            : NULL;
	event_add(signals, NULL);
	event_add(timer, &interval);
	if (watch != NULL)
		event_add(watch, NULL);
	event_add(state->again, &at_once);
	event_base_dispatch(state->base);
	if (watch != NULL)
		event_free(watch);
	event_free(state->again);
	event_free(timer);
	event_free(signals);
}

static int
run(struct daemon *daemon)
{
	struct log_follow_counters follow_counters;

	(void)daemon; /* prepare() kept it */
	event_log_route();
	tracker.base = event_base_new();
	if (tracker.base == NULL) {
		log_error("cannot make an event loop");
		tracker.status = 1;
	} else {
		log_info("following %s from its beginning",
		    strcmp(tracker.log_file, "-") == 0 ? "standard input"
		                                       : tracker.log_file);
		loop(&tracker);
		event_base_free(tracker.base);
	}
	follow_counters = log_follow_counters(tracker.follow);
	track_counters_report(track_lines_counters(tracker.lines),
	    follow_counters.long_lines, "summary");
	log_follow_close(tracker.follow);
	track_lines_free(tracker.lines);
	return tracker.status;
}

static const struct daemon_program program = {
    .name = "waypost-trackd",
    .section = "track",
    .schema = &track_schema,
    .settings_offset = offsetof(struct track_config, track.daemon),
    .log_offset = offsetof(struct track_config, log),
    .no_socket = true,
    .check = check,
    .build = build,
    .installed = installed,
    .prepare = prepare,
    .run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&program, argc, argv);
}
