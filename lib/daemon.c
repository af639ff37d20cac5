/*
 * NAME
 *	daemon - the life cycle every Waypost daemon shares
 * SYNOPSIS
 *	#include "daemon.h"
 *
 *	int daemon_main(program, argc, argv)
 *	bool daemon_reload(daemon)
 *	bool daemon_rebuild(daemon)
 *	struct swap_item *daemon_runtime_acquire(void)
 *	void daemon_runtime_release(runtime)
 * DESCRIPTION
 *	A daemon's main() is one call: daemon_main() with a description of
 *	the program (daemon.h). It gives every daemon the same command line
 *	(daemon_options.c) and the same start-up, in this order:
 *
 *	1. load the configuration and build its runtime; with -n print it
 *	   and exit 0 or 1;
 *	2. refuse to run as root without a user to switch to;
 *	3. bind the socket (unix: with socket_mode and socket_group),
 *	   unless the program has none (no_socket in daemon.h);
 *	4. detach, unless -f (then log to stderr, for systemd);
 *	5. turn SIGTERM, SIGINT and SIGHUP into events (daemon_signal.c),
 *	   before anything tells the world the daemon runs;
 *	6. write the pidfile, if one is configured;
 *	7. run the program's prepare() (what needs root, such as keys), then
 *	   switch to the configured user;
 *	8. start the metrics endpoint's thread, if metrics is set (its
 *	   socket was bound in step 3, lib/metrics_http.c);
 *	9. call the program's run(), which owns the main loop, and clean
 *	   up (pidfile, unix socket) when it returns.
 *
 *	The runtime: a program that has work in flight across a reload
 *	(messages, policy requests) says how a configuration makes what
 *	that work reads (its build(), daemon.h): keys, rules, identity
 *	files, and pointers into the configuration itself. It is built
 *	once per load, its errors are the load's, and it is made current
 *	with the configuration: at start, as soon as it loads, and at each
 *	reload. Work takes it with daemon_runtime_acquire()
 *	when it starts and gives it back with daemon_runtime_release()
 *	when it ends. The configuration a reload replaces is freed when
 *	the last runtime built from it ends, which lib/swap_slot.c
 *	guarantees; at exit the last one goes the same way. One daemon
 *	per process, so one runtime.
 *
 *	daemon_reload() is what SIGHUP does: load the file again and build
 *	its runtime; keep the running configuration and runtime when
 *	either has errors (each logged); otherwise make both current,
 *	apply the [log] settings, and log "reloaded". A program without a
 *	runtime reads its configuration in the main loop only: the previous
 *	one is freed at once. Socket, user and pidfile cannot change
 *	without a restart (the socket is bound and root is gone): a change
 *	is logged as a warning.
 *
 *	daemon_rebuild() builds the runtime again from the running
 *	configuration and makes it current (a key file changed); with
 *	errors (logged) the running one stays.
 * SECURITY
 *	Privileges are dropped before run(); run() reads peer input.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon_options.h"
#include "daemon_signal.h"
#include "listen_socket.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "pidfile.h"
#include "privileges.h"
#include "swap_slot.h"
#include "text_copy.h"
#include "xmalloc.h"

#ifndef WAYPOST_CONFIG_FILE
#define WAYPOST_CONFIG_FILE "/etc/waypost/waypost.conf"
#endif

struct daemon {
	const struct daemon_program *program;
	struct daemon_options options;
	void *config;
	int listen_fd;
	int metrics_fd;
	struct metrics_http *metrics;
	int log_destinations;
	bool remove_socket;
};

/* The runtime of the one daemon a process runs. */
static struct swap_slot runtime_slot = SWAP_SLOT_INITIALIZER;

/* A configuration that runtimes read, freed after the last of them. */
struct retired_config {
	struct swap_item item;
	const struct config_schema *schema;
	void *config;
};

const void *
daemon_config(const struct daemon *daemon)
{
	return daemon->config;
}

static const struct daemon_settings *
settings_of(const struct daemon_program *program, const void *config)
{
	return (const struct daemon_settings *)((const char *)config +
	                                        program->settings_offset);
}

const struct daemon_settings *
daemon_settings(const struct daemon *daemon)
{
	return settings_of(daemon->program, daemon->config);
}

int
daemon_listen_fd(const struct daemon *daemon)
{
	return daemon->listen_fd;
}

/* The directory a socket or pidfile goes in must exist. */
static void
check_directory(const char *file, const char *section, const char *key,
    const char *path, struct config_errors *errors)
{
	char copy[4096];
	struct stat st;
	const char *directory;

	text_copy(copy, sizeof(copy), path);
	directory = dirname(copy);
	if (stat(directory, &st) < 0 || !S_ISDIR(st.st_mode))
		config_errors_add(errors,
		    "%s: [%s] %s: directory %s does not exist", file, section,
		    key, directory);
}

static void
check_metrics(const char *file, const char *section,
    const struct daemon_settings *settings, struct config_errors *errors)
{
	char error[512];

	if (!metrics_http_check(&settings->metrics,
	        settings->metrics_allow.count > 0, section, error,
	        sizeof(error)))
		config_errors_add(errors, "%s: %s", file, error);
}

static bool
check_environment(const struct daemon *daemon, const void *config,
    struct config_errors *errors)
{
	const struct daemon_program *program = daemon->program;
	const struct daemon_settings *settings = settings_of(program, config);
	const char *file = daemon->options.config_path;
	size_t before = errors->count + errors->dropped;

	if (settings->socket.kind == SOCKET_UNIX)
		check_directory(file, program->section, "socket",
		    settings->socket.path, errors);
	if (settings->pidfile)
		check_directory(file, program->section, "pidfile",
		    settings->pidfile, errors);
	check_metrics(file, program->section, settings, errors);
	if (program->check && errors->count + errors->dropped == before)
		program->check(config, errors);
	return errors->count + errors->dropped == before;
}

static void
report_errors(const struct config_errors *errors, void (*report)(const char *))
{
	char more[64];

	for (size_t i = 0; i < errors->count; i++)
		report(errors->text[i]);
	if (errors->dropped) {
		snprintf(more, sizeof(more), "... and %zu more errors",
		    errors->dropped);
		report(more);
	}
}

/* The checks beyond the file, then the runtime if the program has one. */
static bool
check_and_build(const struct daemon *daemon, const void *config,
    struct config_errors *errors, struct swap_item **runtime)
{
	if (!check_environment(daemon, config, errors))
		return false;
	if (daemon->program->build == NULL)
		return true;
	*runtime = daemon->program->build(config, errors);
	return *runtime != NULL;
}

/* Load and check the file, and build its runtime; report every error
 * through report(). */
static void *
load_config(const struct daemon *daemon, void (*report)(const char *),
    struct swap_item **runtime)
{
	struct config_errors *errors = xcalloc(1, sizeof(*errors));
	const struct daemon_program *program = daemon->program;
	void *config;

	*runtime = NULL;
	config = config_load_file(
	    program->schema, daemon->options.config_path, errors);
	if (config && !check_and_build(daemon, config, errors, runtime)) {
		config_free(program->schema, config);
		config = NULL;
	}
	report_errors(errors, report);
	free(errors);
	return config;
}

static void
retired_config_destroy(struct swap_item *item)
{
	struct retired_config *retired = (struct retired_config *)item;

	config_free(retired->schema, retired->config);
	free(retired);
}

static struct swap_item *
retire(const struct daemon *daemon, void *config)
{
	struct retired_config *retired;

	if (config == NULL)
		return NULL;
	retired = xcalloc(1, sizeof(*retired));
	swap_item_init(&retired->item, retired_config_destroy);
	retired->schema = daemon->program->schema;
	retired->config = config;
	return &retired->item;
}

/* Make runtime current; previous, the configuration it replaces, goes
 * when the last runtime built from it ends. */
static void
install(const struct daemon *daemon, struct swap_item *runtime, void *previous)
{
	swap_slot_install(&runtime_slot, runtime, retire(daemon, previous));
	/* Only this thread installs: runtime stays current meanwhile. */
	if (daemon->program->installed != NULL)
		daemon->program->installed(runtime);
}

struct swap_item *
daemon_runtime_acquire(void)
{
	return swap_slot_acquire(&runtime_slot);
}

void
daemon_runtime_release(struct swap_item *runtime)
{
	swap_item_release(runtime);
}

static void
report_to_log(const char *text)
{
	log_error("%s", text);
}

/* -n prints plain "program: error" lines, for a terminal or a script. */
static void
report_to_stderr(const char *text)
{
	fprintf(stderr, "%s: %s\n", log_program(), text);
}

static int
check_only(struct daemon *daemon)
{
	struct swap_item *runtime;
	void *config;

	log_open(daemon->program->name, LOG_TO_STDERR, 0);
	config = load_config(daemon, report_to_stderr, &runtime);
	swap_item_release(runtime);
	if (config == NULL) {
		fprintf(stderr, "%s: %s: configuration is not valid\n",
		    daemon->program->name, daemon->options.config_path);
		return 1;
	}
	printf("# %s: %s is valid; effective settings:\n\n",
	    daemon->program->name, daemon->options.config_path);
	config_print(daemon->program->schema, config, stdout);
	config_free(daemon->program->schema, config);
	return fflush(stdout) == 0 ? 0 : 1;
}

static void
apply_log_settings(struct daemon *daemon)
{
	const struct log_settings *log_settings =
	    (const struct log_settings *)((const char *)daemon->config +
	                                  daemon->program->log_offset);

	log_open(daemon->program->name, daemon->log_destinations,
	    log_settings->facility);
	log_set_level(daemon->options.verbose
	                  ? LOG_LEVEL_DEBUG
	                  : (enum log_level)log_settings->level);
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_networks(const struct cidr_list *a, const struct cidr_list *b)
{
	return a->count == b->count &&
	       (a->count == 0 || memcmp(a->networks, b->networks,
	                             a->count * sizeof(*a->networks)) == 0);
}

static void
warn_restart_needed(const struct daemon_settings *old,
    const struct daemon_settings *new, const char *section)
{
	if (memcmp(&old->socket, &new->socket, sizeof(old->socket)) != 0 ||
	    old->socket_mode != new->socket_mode ||
	    !same_text(old->socket_group, new->socket_group))
		log_warning("[%s] socket settings changed: restart to apply "
		            "them",
		    section);
	if (!same_text(old->user, new->user))
		log_warning("[%s] user changed: restart to apply it", section);
	if (!same_text(old->pidfile, new->pidfile))
		log_warning(
		    "[%s] pidfile changed: restart to apply it", section);
	if (memcmp(&old->metrics, &new->metrics, sizeof(old->metrics)) != 0 ||
	    !same_networks(&old->metrics_allow, &new->metrics_allow))
		log_warning("[%s] metrics settings changed: restart to apply "
		            "them",
		    section);
}

bool
daemon_reload(struct daemon *daemon)
{
	struct swap_item *runtime;
	void *fresh = load_config(daemon, report_to_log, &runtime);
	void *replaced;

	metrics_count_reload(fresh != NULL);
	if (fresh == NULL) {
		log_error("reload of %s failed: keeping the running "
		          "configuration",
		    daemon->options.config_path);
		return false;
	}
	warn_restart_needed(daemon_settings(daemon),
	    settings_of(daemon->program, fresh), daemon->program->section);
	replaced = daemon->config;
	daemon->config = fresh;
	apply_log_settings(daemon);
	if (daemon->program->build != NULL)
		install(daemon, runtime, replaced);
	else
		config_free(daemon->program->schema, replaced);
	log_info("reloaded %s", daemon->options.config_path);
	return true;
}

bool
daemon_rebuild(struct daemon *daemon)
{
	struct config_errors *errors = xcalloc(1, sizeof(*errors));
	struct swap_item *runtime;

	runtime = daemon->program->build(daemon->config, errors);
	report_errors(errors, report_to_log);
	free(errors);
	if (runtime == NULL)
		return false;
	install(daemon, runtime, NULL);
	return true;
}

static bool
open_socket(struct daemon *daemon, char *error, size_t error_size)
{
	const struct daemon_settings *settings = daemon_settings(daemon);

	if (daemon->program->no_socket)
		return true;
	if (daemon->program->open_socket == NULL) {
		daemon->listen_fd =
		    listen_socket_open(&settings->socket, settings->socket_mode,
		        settings->socket_group, error, error_size);
		daemon->remove_socket = daemon->listen_fd >= 0 &&
		                        settings->socket.kind == SOCKET_UNIX;
		return daemon->listen_fd >= 0;
	}
	if (!daemon->program->open_socket(daemon, error, error_size))
		return false;
	return settings->socket.kind != SOCKET_UNIX ||
	       listen_socket_set_permissions(settings->socket.path,
	           settings->socket_mode, settings->socket_group, error,
	           error_size);
}

static bool
detach(char *error, size_t error_size)
{
	pid_t child = fork();
	int null;

	if (child < 0) {
		snprintf(error, error_size, "fork: %s", strerror(errno));
		return false;
	}
	if (child > 0)
		_exit(0);
	if (setsid() < 0 || chdir("/") < 0 ||
	    (null = open("/dev/null", O_RDWR)) < 0) {
		snprintf(error, error_size, "detach: %s", strerror(errno));
		return false;
	}
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	return true;
}

/* Permission bits as the kernel applies them: owner, else group, else other
 * (parent directories aside). */
static bool
user_can_read(const struct privileges *target, const struct stat *st)
{
	gid_t groups[64];
	int count = 64;

	if (target->uid == 0)
		return true;
	if (st->st_uid == target->uid)
		return (st->st_mode & S_IRUSR) != 0;
	if (getgrouplist(target->name, target->gid, groups, &count) < 0)
		count = 64;
	for (int i = 0; i < count; i++)
		if (groups[i] == st->st_gid)
			return (st->st_mode & S_IRGRP) != 0;
	return (st->st_mode & S_IROTH) != 0;
}

/* SIGHUP reloads as the unprivileged user: say now if that cannot work. */
static void
check_reload_access(
    const struct daemon *daemon, const struct privileges *target)
{
	struct stat st;
	const char *path = daemon->options.config_path;

	if (geteuid() == 0 && stat(path, &st) == 0 &&
	    !user_can_read(target, &st))
		log_warning("user %s cannot read %s: SIGHUP will not reload it "
		            "(make it readable by the user's group)",
		    target->name, path);
}

/* Step 8: the metrics thread, unprivileged, in the detached process. */
static bool
start_metrics(struct daemon *daemon, char *error, size_t error_size)
{
	const struct daemon_settings *settings = daemon_settings(daemon);
	struct cidr_list loopback = {0, NULL};
	const struct cidr_list *allow = &settings->metrics_allow;

	metrics_common_init(daemon->program->name, PACKAGE_VERSION);
	if (daemon->metrics_fd < 0)
		return true;
	if (allow->count == 0) {
		if (!cidr_list_parse(
		        METRICS_ALLOW_DEFAULT, &loopback, error, error_size))
			log_panic("metrics: %s", error);
		allow = &loopback;
	}
	daemon->metrics =
	    metrics_http_start(daemon->metrics_fd, allow, error, error_size);
	cidr_list_free(&loopback);
	if (daemon->metrics == NULL)
		return false;
	/* libmicrohttpd owns and closes the socket from now on. */
	daemon->metrics_fd = -1;
	return true;
}

/* Steps 2 to 8 of the life cycle; false with the reason in error. */
static bool
start(struct daemon *daemon, char *error, size_t error_size)
{
	const struct daemon_settings *settings = daemon_settings(daemon);
	const char *section = daemon->program->section;
	struct privileges target;

	if (settings->user == NULL && geteuid() == 0) {
		snprintf(error, error_size,
		    "refusing to run as root: set user in [%s]", section);
		return false;
	}
	if (settings->user &&
	    !privileges_lookup(settings->user, &target, error, error_size))
		return false;
	if (settings->user)
		check_reload_access(daemon, &target);
	if (!open_socket(daemon, error, error_size))
		return false;
	if (settings->metrics.kind != SOCKET_NONE &&
	    (daemon->metrics_fd = metrics_http_bind(
	         &settings->metrics, error, error_size)) < 0)
		return false;
	if (!daemon->options.foreground) {
		if (!detach(error, error_size))
			return false;
		daemon->log_destinations = LOG_TO_SYSLOG;
		apply_log_settings(daemon);
	}
	/* Before the pidfile: whoever reads it may signal us at once. */
	if (!daemon_signal_install(error, error_size))
		return false;
	if (settings->pidfile &&
	    !pidfile_create(settings->pidfile, error, error_size))
		return false;
	if (daemon->program->prepare &&
	    !daemon->program->prepare(daemon, error, error_size))
		return false;
	if (settings->user != NULL &&
	    !privileges_drop(&target, error, error_size))
		return false;
	return start_metrics(daemon, error, error_size);
}

static void
stop(struct daemon *daemon)
{
	const struct daemon_settings *settings = daemon_settings(daemon);

	metrics_http_stop(daemon->metrics);
	if (daemon->metrics_fd >= 0)
		close(daemon->metrics_fd);
	if (daemon->listen_fd >= 0)
		close(daemon->listen_fd);
	if (daemon->remove_socket && unlink(settings->socket.path) < 0)
		log_debug("cannot remove %s: %s", settings->socket.path,
		    strerror(errno));
	pidfile_remove();
	daemon_signal_uninstall();
}

static void
log_starting(const struct daemon *daemon)
{
	char socket_text[SOCKET_SPEC_TEXT_MAX];
	const struct daemon_settings *settings = daemon_settings(daemon);

	if (daemon->program->no_socket) {
		log_info("starting: no socket, configuration %s",
		    daemon->options.config_path);
	} else {
		socket_spec_format(
		    &settings->socket, socket_text, sizeof(socket_text));
		log_info("starting: listening on %s, configuration %s",
		    socket_text, daemon->options.config_path);
	}
	if (daemon->metrics != NULL) {
		socket_spec_format(
		    &settings->metrics, socket_text, sizeof(socket_text));
		log_info("serving metrics on %s (/metrics, /healthz, /readyz)",
		    socket_text);
	}
}

int
daemon_main(const struct daemon_program *program, int argc, char **argv)
{
	struct daemon daemon;
	struct swap_item *runtime;
	char error[1024];
	int status = 1;

	memset(&daemon, 0, sizeof(daemon));
	daemon.program = program;
	daemon.listen_fd = -1;
	daemon.metrics_fd = -1;
	if (!daemon_options_parse(argc, argv, WAYPOST_CONFIG_FILE,
	        &daemon.options, error, sizeof(error))) {
		fprintf(stderr, "%s: %s\n", program->name, error);
		daemon_options_usage(stderr, program->name);
		return 1;
	}
	if (daemon.options.show_help) {
		daemon_options_usage(stdout, program->name);
		return 0;
	}
	if (daemon.options.show_version) {
		printf("%s %s\n", program->name, PACKAGE_VERSION);
		return 0;
	}
	if (daemon.options.check_only)
		return check_only(&daemon);
	daemon.log_destinations = daemon.options.foreground
	                              ? LOG_TO_STDERR
	                              : LOG_TO_SYSLOG | LOG_TO_STDERR;
	log_open(program->name, daemon.log_destinations, 0);
	if (daemon.options.verbose)
		log_set_level(LOG_LEVEL_DEBUG);
	daemon.config = load_config(&daemon, report_to_log, &runtime);
	if (daemon.config == NULL) {
		log_error("%s: configuration is not valid; not starting",
		    daemon.options.config_path);
		return 1;
	}
	apply_log_settings(&daemon);
	if (runtime != NULL)
		install(&daemon, runtime, NULL);
	if (!start(&daemon, error, sizeof(error))) {
		log_error("cannot start: %s", error);
	} else {
		log_starting(&daemon);
		status = program->run(&daemon);
		log_info("stopped");
	}
	stop(&daemon);
	if (program->build != NULL)
		swap_slot_install(
		    &runtime_slot, NULL, retire(&daemon, daemon.config));
	else
		config_free(program->schema, daemon.config);
	return status;
}
