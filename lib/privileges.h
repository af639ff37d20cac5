/*
 * privileges.h - give up root for a configured user, and check it stuck
 */
#ifndef WAYPOST_PRIVILEGES_H
#define WAYPOST_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privileges {
	char name[64];
	uid_t uid;
	gid_t gid;
};

bool privileges_lookup(
    const char *user, struct privileges *out, char *error, size_t error_size);
bool privileges_drop(
    const struct privileges *target, char *error, size_t error_size);

#endif
