/*
 * daemon.h - the life cycle every Waypost daemon shares
 */
#ifndef WAYPOST_DAEMON_H
#define WAYPOST_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "config_common.h"
#include "config_file.h"
#include "swap_slot.h"

struct daemon;

struct daemon_program {
	const char *name;    /* "waypost-dkim": log ident, messages */
	const char *section; /* "dkim": the section with the daemon keys */
	const struct config_schema *schema;
	size_t settings_offset; /* struct daemon_settings in the config */
	size_t log_offset;      /* struct log_settings in the config */
	/* No socket to bind (its section takes daemon_socketless_config_keys):
	 * daemon_listen_fd() is -1 and open_socket is not called. */
	bool no_socket;
	/* Optional: checks beyond the file for -n and start-up (key files
	 * readable, Redis reachable...); add errors and return false. */
	bool (*check)(const void *config, struct config_errors *errors);
	/* Optional: the runtime a configuration makes, what the work reads
	 * (keys, rules, identity files), built once per load, after check:
	 * for -n (then released), at start and at each reload, which make
	 * it current (daemon_runtime_acquire()). NULL, with the reasons in
	 * errors, refuses the load. See lib/swap_slot.c. */
	struct swap_item *(*build)(
	    const void *config, struct config_errors *errors);
	/* Optional: after a runtime was made current, a log line on what it
	 * holds. */
	void (*installed)(const struct swap_item *runtime);
	/* Optional: bind the socket the program's own way (libmilter binds
	 * its own); lib then sets a unix socket's mode and group. NULL: lib
	 * binds it and daemon_listen_fd() returns it. */
	bool (*open_socket)(
	    struct daemon *daemon, char *error, size_t error_size);
	/* Optional: load what needs root (key files), after binding and
	 * before switching user; false with the reason in error. */
	bool (*prepare)(struct daemon *daemon, char *error, size_t error_size);
	/* The main loop, with privileges dropped; returns the exit status. */
	int (*run)(struct daemon *daemon);
};

int daemon_main(const struct daemon_program *program, int argc, char **argv);

const void *daemon_config(const struct daemon *daemon);
const struct daemon_settings *daemon_settings(const struct daemon *daemon);
int daemon_listen_fd(const struct daemon *daemon);
bool daemon_reload(struct daemon *daemon);
bool daemon_rebuild(struct daemon *daemon);
struct swap_item *daemon_runtime_acquire(void);
void daemon_runtime_release(struct swap_item *runtime);

#endif
