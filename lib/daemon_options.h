/*
 * daemon_options.h - the command line every Waypost daemon shares
 */
#ifndef WAYPOST_DAEMON_OPTIONS_H
#define WAYPOST_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct daemon_options {
	const char *config_path;
	bool foreground;   /* -f */
	bool check_only;   /* -n */
	bool verbose;      /* -v */
	bool show_help;    /* -h */
	bool show_version; /* -V */
};

bool daemon_options_parse(int argc, char **argv, const char *default_config,
    struct daemon_options *options, char *error, size_t error_size);
void daemon_options_usage(FILE *out, const char *program);

#endif
