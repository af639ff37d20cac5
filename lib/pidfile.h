/*
 * pidfile.h - a locked pidfile that tells a second instance to stay away
 */
#ifndef WAYPOST_PIDFILE_H
#define WAYPOST_PIDFILE_H

#include <stdbool.h>
#include <stddef.h>

bool pidfile_create(const char *path, char *error, size_t error_size);
void pidfile_remove(void);

#endif
