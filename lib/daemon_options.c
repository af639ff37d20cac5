/*
 * NAME
 *	daemon_options - the command line every Waypost daemon shares
 * SYNOPSIS
 *	#include "daemon_options.h"
 *
 *	bool daemon_options_parse(argc, argv, default_config, options,
 *				  error, error_size)
 * DESCRIPTION
 *	program [-f] [-n] [-v] [-c FILE]   and   program -h | -V
 *
 *	-c FILE  the configuration file (default: the suite's file)
 *	-f       stay in the foreground and log to stderr (systemd)
 *	-n       check the configuration, print the effective settings,
 *	         exit 0 when it is valid and 1 when not
 *	-v       log at debug level whatever [log] level says
 *	-h, -V   usage, version
 *
 *	Operands and unknown options are errors.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon_options.h"

void
daemon_options_usage(FILE *out, const char *program)
{
	fprintf(out,
	    "usage: %s [-f] [-n] [-v] [-c FILE]\n"
	    "       %s -h | -V\n"
	    "  -c FILE  configuration file\n"
	    "  -f       run in the foreground, log to stderr\n"
	    "  -n       check the configuration, print the effective settings\n"
	    "  -v       verbose (debug) logging\n",
	    program, program);
}

bool
daemon_options_parse(int argc, char **argv, const char *default_config,
    struct daemon_options *options, char *error, size_t error_size)
{
	int option;

	memset(options, 0, sizeof(*options));
	options->config_path = default_config;
	optind = 0; /* glibc: start over, so tests may parse twice */
	opterr = 0;
	while ((option = getopt(argc, argv, "+c:fnvhV")) != -1) {
		switch (option) {
		case 'c':
			if (optarg[0] == '\0') {
				snprintf(error, error_size, "-c needs a file");
				return false;
			}
			options->config_path = optarg;
			break;
		case 'f':
			options->foreground = true;
			break;
		case 'n':
			options->check_only = true;
			break;
		case 'v':
			options->verbose = true;
			break;
		case 'h':
			options->show_help = true;
			break;
		case 'V':
			options->show_version = true;
			break;
		default:
			if (optopt == 'c')
				snprintf(error, error_size, "-c needs a file");
			else
				snprintf(error, error_size,
				    "unknown option -%c",
				    optopt > 0x20 && optopt < 0x7f ? optopt
				                                   : '?');
			return false;
		}
	}
	if (optind < argc) {
		snprintf(error, error_size, "unexpected argument \"%.100s\"",
		    argv[optind]);
		return false;
	}
	return true;
}
