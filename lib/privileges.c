/*
 * NAME
 *	privileges - give up root for a configured user, and check it stuck
 * SYNOPSIS
 *	#include "privileges.h"
 *
 *	bool privileges_lookup(user, out, error, error_size)
 *	bool privileges_drop(target, error, error_size)
 * DESCRIPTION
 *	privileges_lookup() resolves a user name once, before anything is
 *	bound, so a typo fails at start-up with a clear message.
 *
 *	privileges_drop() does what Postfix does, in Postfix's order:
 *	initgroups(), setgid(), setuid(), each checked, and then checks
 *	that root cannot be had back. A process that is not root may only
 *	"drop" to the user it already is.
 * SECURITY
 *	Call after binding sockets and writing the pidfile, before reading
 *	any input from a peer.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privileges.h"

bool
privileges_lookup(
    const char *user, struct privileges *out, char *error, size_t error_size)
{
	struct passwd *entry = getpwnam(user);

	if (entry == NULL) {
		snprintf(error, error_size, "no such user \"%s\"", user);
		return false;
	}
	if (strlen(entry->pw_name) >= sizeof(out->name)) {
		snprintf(
		    error, error_size, "user name \"%s\" is too long", user);
		return false;
	}
	strcpy(out->name, entry->pw_name);
	out->uid = entry->pw_uid;
	out->gid = entry->pw_gid;
	return true;
}

bool
privileges_drop(const struct privileges *target, char *error, size_t error_size)
{
	if (geteuid() != 0) {
		if (geteuid() == target->uid)
			return true;
		snprintf(error, error_size,
		    "cannot switch to user %s: not running as root",
		    target->name);
		return false;
	}
	if (initgroups(target->name, target->gid) < 0) {
		snprintf(error, error_size, "initgroups %s: %s", target->name,
		    strerror(errno));
		return false;
	}
	if (setgid(target->gid) < 0) {
		snprintf(error, error_size, "setgid %ld: %s", (long)target->gid,
		    strerror(errno));
		return false;
	}
	if (setuid(target->uid) < 0) {
		snprintf(error, error_size, "setuid %ld: %s", (long)target->uid,
		    strerror(errno));
		return false;
	}
	if (target->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(error, error_size,
		    "could get root back after switching to %s", target->name);
		return false;
	}
	return true;
}
