/*
 * NAME
 *	file_limit - how many connections the file descriptor limit allows
 * SYNOPSIS
 *	#include "file_limit.h"
 *
 *	size_t file_limit_connections(wanted)
 * DESCRIPTION
 *	A daemon that serves connections asks, once at start, for room for
 *	wanted connections and FILE_LIMIT_RESERVED more descriptors.
 *	file_limit_connections() raises the soft RLIMIT_NOFILE that far if
 *	it is lower (Debian's default soft limit is 1024, its hard limit
 *	far higher; only the hard limit needs privileges), and returns how
 *	many connections the limit then allows: wanted, or fewer when the
 *	hard limit is lower (at least one).
 *
 *	The caller refuses connections beyond that number, with a log
 *	line: past the limit accept(2) fails with EMFILE and leaves the
 *	connection waiting in the listen queue, and the listening socket
 *	readable, so a daemon that kept trying would spin.
 * SECURITY
 *	Only the soft limit is raised, within the hard limit.
 */
#include "config.h"

#include <sys/resource.h>

#include "file_limit.h"

size_t
file_limit_connections(size_t wanted)
{
	rlim_t needed = (rlim_t)wanted + FILE_LIMIT_RESERVED;
	struct rlimit files;

	if (getrlimit(RLIMIT_NOFILE, &files) < 0)
		return wanted;
	if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < needed) {
		files.rlim_cur =
		    files.rlim_max == RLIM_INFINITY || files.rlim_max > needed
		        ? needed
		        : files.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &files) < 0)
			getrlimit(RLIMIT_NOFILE, &files);
	}
	if (files.rlim_cur == RLIM_INFINITY || files.rlim_cur >= needed)
		return wanted;
	/* A limit too low for the reserve: half for connections. */
	if (files.rlim_cur <= 2 * FILE_LIMIT_RESERVED)
		return files.rlim_cur > 2 ? (size_t)(files.rlim_cur / 2) : 1;
	return (size_t)(files.rlim_cur - FILE_LIMIT_RESERVED);
}
