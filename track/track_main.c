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
 *	   stops at its byte bound or once the batch holds
 *	   RECORD_BATCH_OPS_MAX records, and runs again at once, after the
 *	   loop has seen its signals;
 *	.  after each poll the batch goes to Redis with the position
 *	   after its last line (record_store.c), in one script call that
 *	   Redis runs while the next lines are read (flush_soon(): its
 *	   reply is read after them, before the next batch goes); while
 *	   Redis refuses it, no more is read (flush(), tried each second);
 *	.  SIGHUP reloads the configuration and the bounce rules (the
 *	   runtime, built by build()); a file with errors keeps the
 *	   running one, each error logged with its file and line;
 *	.  SIGTERM, SIGINT stop, after the last batch and one line of
 *	   every counter.
 *
 *	With records (the default) the daemon starts where the position
 *	saved in Redis says, and does not start without it; otherwise, or
 *	from standard input, at the log's beginning: it never seeks to the
 *	end of a file. A line of a message the table lacks (read before a
 *	restart) restores it from Redis (restore()), waiting while Redis is
 *	away; a stop signal then abandons the batch, which the next start
 *	reads again. Standard input ends the daemon at its end.
 * SECURITY
 *	The log is opened as root, before the switch to the configured
 *	user; after a rotation the new file is opened as that user, which
 *	must be able to read it (contrib's unit: CAP_DAC_READ_SEARCH).
 *	Every byte of the log is a peer's.
 * CONFIGURATION PARAMETERS
 *	[track], [redis] and [log] of waypost.conf(5); see
 *	waypost-trackd(8).
 */
#include "config.h"

#include <libgen.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bounce_rules.h"
#include "daemon.h"
#include "daemon_loop.h"
#include "daemon_signal.h"
#include "event_log.h"
#include "log.h"
#include "log_follow.h"
#include "record_batch.h"
#include "record_store.h"
#include "text_copy.h"
#include "track_config.h"
#include "track_lines.h"
#include "track_metrics.h"
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
	struct record_store *store; /* NULL: records = no */
	struct record_batch *batch; /* being read */
	struct record_batch *sent;  /* sent, or waiting to be (stalled) */
	bool stalled; /* a batch Redis did not take: no reading meanwhile */
	bool resumed; /* from a position saved in Redis */
	/* Signals taken while a restore waited for Redis (restore()). */
	bool reload_pending;
	bool abandon;
	char relay[256];
	char prefix[256];                 /* [redis] prefix at the start */
	const struct bounce_rules *rules; /* during one poll */
	struct event_base *base;
	struct event *again; /* a poll stopped at its bound: at once */
	char log_file[4096];
	int status;
};

static struct tracker tracker;

static void reload(struct tracker *state);
static bool settle_in_flight(struct tracker *state);

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

	if (state->abandon)
		return false;
	track_lines_read(state->lines, state->rules, line, length, time(NULL));
	if (state->batch == NULL)
		return true;
	if (after != NULL)
		record_batch_position(state->batch, after);
	return record_batch_ops(state->batch) < RECORD_BATCH_OPS_MAX;
}

/* Signals that came while a restore waited for Redis: a reload is done
 * after the poll; a stop abandons the batch being read (it holds a guess
 * now), which the next start reads again from the saved position. */
static bool
signals_while_waiting(struct tracker *state)
{
	int number;

	while ((number = daemon_signal_next()) != 0) {
		if (number == SIGHUP)
			state->reload_pending = true;
		else {
			log_info(
			    "stopping on signal %d while Redis is away: the "
			    "lines after the saved position are read again "
			    "at the next start",
			    number);
			state->abandon = true;
		}
	}
	return state->abandon;
}

/* A message read before a restart: Redis has it. While Redis does not
 * answer, wait: a guess would split one message's record in two. */
static bool
restore(void *context, struct message_entry *message)
{
	struct tracker *state = context;
	char error[512];
	enum record_lookup found;
	bool told = false;
	const struct timespec second = {1, 0};

	/* Its reply first: the connection is the batch's until then. */
	(void)settle_in_flight(state);

	while ((found = record_store_restore(state->store, message->queue_id,
	            message, error, sizeof(error))) == RECORD_ERROR) {
		if (!told)
			log_event(LOG_LEVEL_WARNING, message->queue_id,
			    "Redis: %s; waiting for it to read the message's "
			    "record",
			    error);
		told = true;
		nanosleep(&second, NULL);
		if (signals_while_waiting(state))
			return false; /* the batch is dropped: see abandon */
	}
	if (told)
		log_event(LOG_LEVEL_INFO, message->queue_id, "Redis is back");
	message->recorded = found == RECORD_FOUND;
	return found == RECORD_FOUND;
}

/* One answer of Redis to a batch: true to go on; false while Redis does
 * not take it (the batch kept, no more reading), or to stop (MOVED). */
static bool
settled(struct tracker *state, enum record_flush result, const char *error,
    size_t waiting)
{
	switch (result) {
	case RECORD_FLUSHED:
		if (state->stalled)
			log_info("Redis took the records again: reading on");
		state->stalled = false;
		return true;
	case RECORD_MOVED:
		log_error("Redis: %s: another reader with this relay_name, or "
		          "a late call of an earlier run; stopping, to start "
		          "again from the saved position",
		    error);
		state->abandon = true;
		state->status = 1;
		if (state->base != NULL)
			event_base_loopbreak(state->base);
		return false;
	case RECORD_UNSAVED:
	default:
		break;
	}
	if (!state->stalled)
		log_warning("Redis: %s; no more reading until it takes the "
		            "%zu records waiting (tried again each second)",
		    error, waiting);
	state->stalled = true;
	return false;
}

/* The reply to the batch in flight, if one is. */
static bool
settle_in_flight(struct tracker *state)
{
	char error[512];

	if (state->store == NULL || !record_store_in_flight(state->store))
		return true;
	return settled(state,
	    record_store_receive(
	        state->store, state->sent, error, sizeof(error)),
	    error, record_batch_ops(state->sent));
}

/* Every batch to Redis, in order, waiting for each reply. */
static bool
flush(struct tracker *state)
{
	char error[512];

	if (state->store == NULL)
		return true;
	track_lines_settle(state->lines);
	return settle_in_flight(state) &&
	       settled(state,
	           record_store_flush(
	               state->store, state->sent, error, sizeof(error)),
	           error, record_batch_ops(state->sent)) &&
	       settled(state,
	           record_store_flush(
	               state->store, state->batch, error, sizeof(error)),
	           error,
	           record_batch_ops(state->sent) +
	               record_batch_ops(state->batch));
}

/* The batch read to Redis without waiting: Redis runs it while the next
 * lines are read, and its reply is read after them (settle_in_flight()).
 * The next batch follows the position this one saves. */
static bool
flush_soon(struct tracker *state)
{
	struct record_batch *sent;
	char error[512];

	if (state->store == NULL)
		return true;
	if (!settle_in_flight(state))
		return false;
	if (record_batch_pending(state->sent))
		return flush(state);
	track_lines_settle(state->lines);
	if (!record_batch_pending(state->batch))
		return true;
	if (!record_store_send(
	        state->store, state->batch, error, sizeof(error)))
		return settled(state, RECORD_UNSAVED, error,
		    record_batch_ops(state->batch));
	sent = state->batch;
	state->batch = state->sent;
	state->sent = sent;
	record_batch_follow(state->batch, state->sent);
	track_lines_set_records(state->lines, state->batch, restore, state);
	return true;
}

/* After a poll: the counters, and the lag, which is 0 when the log was
 * read to its end and Redis took everything. */
static void
publish_metrics(const struct tracker *state, bool more)
{
	time_t newest = track_lines_newest(state->lines);
	struct track_metrics_state now = {
	    .counters = track_lines_counters(state->lines),
	    .long_lines = log_follow_counters(state->follow).long_lines,
	    .waiting = state->store == NULL
	                   ? 0
	                   : record_batch_ops(state->sent) +
	                         record_batch_ops(state->batch),
	    .open_messages = track_lines_open_messages(state->lines),
	};

	if ((more || state->stalled) && newest > 0 && time(NULL) > newest)
		now.lag_seconds = difftime(time(NULL), newest);
	track_metrics_publish(&now);
}

/* One poll with the current rules; at once again if it stopped at its
 * bound; the loop ends with standard input. */
static void
poll_log(struct tracker *state)
{
	struct swap_item *item;
	const struct timeval now = {0, 0};
	bool more, flushed;

	if (state->stalled && !flush(state)) {
		publish_metrics(state, true); /* the lag grows meanwhile */
		return;
	}
	item = daemon_runtime_acquire();
	state->rules = ((struct track_runtime *)item)->rules;
	more = log_follow_poll(state->follow);
	state->rules = NULL;
	daemon_runtime_release(item);
	if (state->abandon) {
		event_base_loopbreak(state->base);
		return;
	}
	if (state->reload_pending) {
		state->reload_pending = false;
		reload(state);
	}
	flushed = flush_soon(state);
	publish_metrics(state, more);
	if (!flushed)
		return;
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

/* What [track] and [redis] say of the records; the relay's name is the
 * host's unless relay_name sets it. */
static struct record_settings
record_settings_of(const struct track_config *config, const char *relay)
{
	const struct track_section *track = &config->track;
	struct record_settings settings = {
	    .prefix = config->redis.prefix,
	    .relay = relay,
	    .keep_position = strcmp(track->log_file, "-") != 0,
	    .record_ttl = track->record_ttl / 1000,
	    .events_max = track->events_max,
	    .defer_interval = track->deferred_event_interval / 1000,
	    .suppress_ttl = track->suppress_for / 1000,
	    .suppress_any = track->suppress_all_tenants,
	    .soft_count = track->soft_expirations,
	    .soft_span = track->soft_span / 1000,
	    .guard_window = track->guard_window / 1000,
	    .guard_minimum = track->guard_minimum,
	    .guard_warn = track->guard_warn_percent * 10,
	    .guard_pause = track->guard_pause_percent * 10,
	};

	return settings;
}

/* The records' keys of [track] apply from the next batch; records, the
 * relay's name and [redis] need a restart (the keys would change under
 * the saved position). */
static void
reload_records(struct tracker *state, const struct track_config *config)
{
	struct record_settings settings;

	if (config->track.records != (state->store != NULL) ||
	    strcmp(config->redis.prefix, state->prefix) != 0 ||
	    (config->track.relay_name != NULL &&
	        strcmp(config->track.relay_name, state->relay) != 0))
		log_warning("[track] records, relay_name or [redis] changed: "
		            "restart to apply them");
	if (state->batch == NULL || record_batch_pending(state->batch) ||
	    record_batch_pending(state->sent) ||
	    record_store_in_flight(state->store))
		return;
	settings = record_settings_of(config, state->relay);
	settings.prefix = state->prefix;
	record_batch_configure(state->batch, &settings);
	record_batch_configure(state->sent, &settings);
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
	reload_records(state, config);
}

/* SIGHUP, from lib/daemon_loop.c. */
static void
on_reload(void *context)
{
	reload(context);
}

/* The records' side: the store, the batch, and where to start reading.
 * Without the saved position the daemon would read the log again from
 * its beginning and record it twice: it does not start without Redis. */
static bool
prepare_records(struct tracker *state, const struct track_config *config,
    struct log_position *saved, bool *found, char *error, size_t error_size)
{
	struct record_settings settings;
	char why[512];

	*found = false;
	if (!config->track.records)
		return true;
	if (config->track.relay_name != NULL)
		text_copy(state->relay, sizeof(state->relay),
		    config->track.relay_name);
	else if (gethostname(state->relay, sizeof(state->relay) - 1) < 0)
		text_copy(state->relay, sizeof(state->relay), "localhost");
	text_copy(state->prefix, sizeof(state->prefix), config->redis.prefix);
	settings = record_settings_of(config, state->relay);
	state->store = record_store_new(&config->redis, &settings);
	state->batch = record_batch_new(&settings);
	state->sent = record_batch_new(&settings);
	track_lines_set_records(state->lines, state->batch, restore, state);
	if (!settings.keep_position)
		return true;
	switch (record_store_position(state->store, saved, why, sizeof(why))) {
	case RECORD_FOUND:
		*found = true;
		record_batch_start(state->batch, saved);
		record_batch_start(state->sent, saved);
		return true;
	case RECORD_NONE:
		return true;
	default:
		snprintf(error, error_size,
		    "Redis: %s: cannot read where the log was left", why);
		return false;
	}
}

static void
release_records(struct tracker *state)
{
	record_batch_free(state->batch);
	record_batch_free(state->sent);
	record_store_free(state->store);
	state->batch = NULL;
	state->sent = NULL;
	state->store = NULL;
}

/* As root: the log may be readable by root alone. */
static bool
prepare(struct daemon *daemon, char *error, size_t error_size)
{
	const struct track_config *config = daemon_config(daemon);
	struct log_position saved;
	bool found;

	tracker.daemon = daemon;
	text_copy(
	    tracker.log_file, sizeof(tracker.log_file), config->track.log_file);
	tracker.lines =
	    track_lines_new((size_t)config->track.max_open_messages);
	if (prepare_records(
	        &tracker, config, &saved, &found, error, error_size))
		tracker.follow = log_follow_open(tracker.log_file,
		    found ? &saved : NULL, LOG_FOLLOW_FROM_BEGINNING, on_line,
		    &tracker, error, error_size);
	if (tracker.follow == NULL) {
		release_records(&tracker);
		track_lines_free(tracker.lines);
		tracker.lines = NULL;
		return false;
	}
	if (found)
		log_info("resuming %s where it was left: inode %llu, offset "
		         "%llu",
		    tracker.log_file, (unsigned long long)saved.inode,
		    (unsigned long long)saved.offset);
	tracker.resumed = found;
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
	struct daemon_loop *signals;
	struct event *timer, *watch;

	signals = daemon_loop_new(state->base, on_reload, state);
	timer = event_new(state->base, -1, EV_PERSIST, on_poll, state);
	state->again = event_new(state->base, -1, 0, on_poll, state);
	watch = watchable(log_follow_fd(state->follow))
	            ? event_new(state->base, log_follow_fd(state->follow),
	                  EV_READ | EV_PERSIST, on_poll, state)
	            : NULL;
	event_add(timer, &interval);
	if (watch != NULL)
		event_add(watch, NULL);
	event_add(state->again, &at_once);
	event_base_dispatch(state->base);
	if (watch != NULL)
		event_free(watch);
	event_free(state->again);
	event_free(timer);
	daemon_loop_free(signals);
}

static int
run(struct daemon *daemon)
{
	struct log_follow_counters follow_counters;

	(void)daemon; /* prepare() kept it */
	event_log_route();
	track_metrics_init();
	tracker.base = event_base_new();
	if (tracker.base == NULL) {
		log_error("cannot make an event loop");
		tracker.status = 1;
	} else {
		log_info("following %s%s; records %s",
		    strcmp(tracker.log_file, "-") == 0 ? "standard input"
		                                       : tracker.log_file,
		    tracker.resumed ? "" : " from its beginning",
		    tracker.store != NULL ? "in Redis"
		                          : "off (log lines only)");
		loop(&tracker);
		event_base_free(tracker.base);
		tracker.base = NULL;
	}
	if (tracker.store != NULL && !tracker.abandon && !flush(&tracker))
		log_warning("stopping with %zu records Redis did not take: "
		            "they are read again at the next start",
		    record_batch_ops(tracker.sent) +
		        record_batch_ops(tracker.batch));
	follow_counters = log_follow_counters(tracker.follow);
	track_counters_report(track_lines_counters(tracker.lines),
	    follow_counters.long_lines, "summary");
	log_follow_close(tracker.follow);
	track_lines_free(tracker.lines);
	release_records(&tracker);
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
