/*
 * daemon_signal.h - SIGTERM, SIGINT and SIGHUP as readable events
 */
#ifndef WAYPOST_DAEMON_SIGNAL_H
#define WAYPOST_DAEMON_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>

bool daemon_signal_install(char *error, size_t error_size);
int daemon_signal_fd(void);
int daemon_signal_next(void);
void daemon_signal_uninstall(void);

#endif
