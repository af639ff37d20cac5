/*
 * milter_main.h - the main loop every Waypost milter shares
 */
#ifndef WAYPOST_MILTER_MAIN_H
#define WAYPOST_MILTER_MAIN_H

#include "daemon.h"
#include "milter_engine.h"

struct milter_program {
	const struct daemon_program *daemon; /* its run is milter_main_run */
	const struct milter_filter *filter;
	int workers; /* 0: one per CPU */
	/* Optional: called about once a second (a key file changed...). */
	void (*tick)(struct daemon *daemon);
};

int milter_main(const struct milter_program *program, int argc, char **argv);
int milter_main_run(struct daemon *daemon);

#endif
