/*
 * NAME
 *	waypostctl - the everyday tasks of running Waypost, on its Redis
 * SYNOPSIS
 *	waypostctl [-c FILE] [--json] COMMAND [ARGUMENT...]
 *	waypostctl -V
 * DESCRIPTION
 *	Reads [redis] from waypost.conf (-c, else the daemons' default
 *	file; quota, warmup and why also waypost-policyd's sections, source
 *	waypost-routed's, as they read them: ctl_config.c), finds the
 *	command and runs it (ctl_senders.c, ctl_suspend.c,
 *	ctl_suspended.c, ctl_audit.c, ctl_suppression.c, ctl_webhook.c,
 *	ctl_message_show.c, ctl_events_follow.c, ctl_quota.c,
 *	ctl_warmup.c, ctl_source.c, ctl_why.c, ctl_top.c); waypostctl(8) is
 *	the manual. Every key is named by lib/redis_keys.c, so waypostctl
 *	writes exactly what the daemons read.
 *
 *	The exit status is from sysexits.h: EX_USAGE for a command line
 *	that is wrong, EX_DATAERR for an argument that is no user,
 *	address, domain or duration, EX_CONFIG for a configuration that
 *	does not load, EX_UNAVAILABLE when Redis cannot be reached,
 *	EX_TEMPFAIL when it fails to answer, EX_NOINPUT for a message
 *	with no record; each with one line on stderr.
 * SECURITY
 *	Runs as whoever starts it, with the rights the configuration file
 *	gives (its password). Nothing is written before every argument is
 *	checked, and every change is one transaction with its audit
 *	entry.
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file.h"
#include "ctl.h"
#include "ctl_config.h"
#include "log.h"

#ifndef WAYPOST_CONFIG_FILE
#define WAYPOST_CONFIG_FILE "/etc/waypost/waypost.conf"
#endif

static const struct {
	const char *name;
	int (*run)(struct ctl *ctl, int argc, char **argv);
} commands[] = {
    {"senders", ctl_senders},
    {"suspend", ctl_suspend},
    {"lift", ctl_lift},
    {"suspended", ctl_suspended},
    {"audit", ctl_audit},
    {"suppression", ctl_suppression},
    {"webhook", ctl_webhook},
    {"message", ctl_message},
    {"events", ctl_events},
    {"quota", ctl_quota},
    {"warmup", ctl_warmup},
    {"source", ctl_source},
    {"why", ctl_why},
    {"top", ctl_top},
};

static int
usage(void)
{
	return ctl_fail(EX_USAGE,
	    "usage: waypostctl [-c FILE] [--json] senders|suspend|lift|"
	    "suspended|audit|suppression|webhook|message|events|quota|"
	    "warmup|source|why|top ...");
}

static const char *
login_name(char *fallback, size_t size)
{
	struct passwd *user = getpwuid(getuid());

	if (user != NULL && user->pw_name != NULL)
		return user->pw_name;
	snprintf(fallback, size, "uid %lu", (unsigned long)getuid());
	return fallback;
}

static int
load_config(const char *path, struct ctl_config **config)
{
	struct config_errors *errors = calloc(1, sizeof(*errors));
	int status = EX_OK;

	if (errors == NULL)
		return ctl_fail(EX_OSERR, "out of memory");
	*config = config_load_file(&ctl_schema, path, errors);
	if (*config == NULL)
		status = ctl_fail(EX_CONFIG, "%s%s",
		    errors->count ? errors->text[0] : path,
		    errors->count + errors->dropped > 1 ? " (and more errors)"
		                                        : "");
	free(errors);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = WAYPOST_CONFIG_FILE;
	struct ctl ctl = {0};
	struct ctl_config *config;
	char fallback[32];
	size_t found = sizeof(commands) / sizeof(commands[0]);
	int option, status;

	log_open("waypostctl", LOG_TO_STDERR, 0);
	while ((option = getopt_long(argc, argv, "+c:hV", long_options, NULL)) !=
	       -1) {
		if (option == 'c')
			path = optarg;
		else if (option == 'V') {
			printf("waypostctl %s\n", PACKAGE_VERSION);
			return EX_OK;
		} else if (option == 'j')
			ctl.json = true;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[optind]) == 0)
			found = i;
	if (found == sizeof(commands) / sizeof(commands[0]))
		return ctl_fail(EX_USAGE,
		    "unknown command \"%.100s\" (senders, suspend, lift, "
		    "suspended, audit, suppression, webhook, message, events, "
		    "quota, warmup, source, why, top)",
		    argv[optind]);
	if ((status = load_config(path, &config)) != EX_OK)
		return status;
	ctl.config_path = path;
	ctl.redis = &config->redis;
	ctl.who = login_name(fallback, sizeof(fallback));
	status =
	    commands[found].run(&ctl, argc - optind - 1, argv + optind + 1);
	ctl_disconnect(&ctl);
	config_free(&ctl_schema, config);
	return status;
}
