/*
 * NAME
 *	listen_socket - bind a daemon's listening socket, set its permissions
 * SYNOPSIS
 *	#include "listen_socket.h"
 *
 *	int listen_socket_open(spec, mode, group, error, error_size)
 *	bool listen_socket_set_permissions(path, mode, group, error, size)
 *	bool listen_socket_remove_stale(path, error, error_size)
 * DESCRIPTION
 *	listen_socket_open() binds and listens on a socket_spec and returns
 *	the descriptor (close-on-exec), or -1 with the reason in error.
 *
 *	A unix socket is created under a umask that lets nobody in, then
 *	given mode and group (Postfix must be able to connect; nobody else
 *	should), so there is no moment when it is open to all. A leftover
 *	socket from an earlier run is removed first; anything else at that
 *	path (a file, a directory) is left alone and is an error.
 *
 *	inet and inet6 sockets bind the given address with SO_REUSEADDR so
 *	a restart does not wait for TIME_WAIT.
 *
 *	listen_socket_set_permissions() is the second half alone, for
 *	sockets that libmilter binds itself.
 * SECURITY
 *	Called as root, before privileges are dropped.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen_socket.h"
#include "text_copy.h"

bool
listen_socket_remove_stale(const char *path, char *error, size_t error_size)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return true;
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(error, error_size,
		    "%s exists and is not a socket; not removing it", path);
		return false;
	}
	if (unlink(path) < 0) {
		snprintf(error, error_size, "cannot remove old socket %s: %s",
		    path, strerror(errno));
		return false;
	}
	return true;
}

bool
listen_socket_set_permissions(const char *path, unsigned mode,
    const char *group, char *error, size_t error_size)
{
	if (group != NULL) {
		struct group *entry = getgrnam(group);

		if (entry == NULL) {
			snprintf(
			    error, error_size, "no such group \"%s\"", group);
			return false;
		}
		if (chown(path, (uid_t)-1, entry->gr_gid) < 0) {
			snprintf(error, error_size, "chown %s to group %s: %s",
			    path, group, strerror(errno));
			return false;
		}
	}
	if (chmod(path, (mode_t)mode) < 0) {
		snprintf(error, error_size, "chmod %s to %04o: %s", path, mode,
		    strerror(errno));
		return false;
	}
	return true;
}

static int
open_unix(const struct socket_spec *spec, unsigned mode, const char *group,
    char *error, size_t error_size)
{
	struct sockaddr_un address;
	mode_t saved_umask;
	int fd, status;

	if (!listen_socket_remove_stale(spec->path, error, error_size))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(error, error_size, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	text_copy(address.sun_path, sizeof(address.sun_path), spec->path);
	saved_umask = umask(0177);
	status = bind(fd, (struct sockaddr *)&address, sizeof(address));
	umask(saved_umask);
	if (status < 0) {
		snprintf(error, error_size, "bind %s: %s", spec->path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (!listen_socket_set_permissions(
	        spec->path, mode, group, error, error_size) ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		if (error[0] == '\0')
			snprintf(error, error_size, "listen %s: %s", spec->path,
			    strerror(errno));
		unlink(spec->path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
open_inet(const struct socket_spec *spec, char *error, size_t error_size)
{
	struct addrinfo hints, *found;
	char port[8];
	int fd, status, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = spec->kind == SOCKET_INET6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", spec->port);
	status = getaddrinfo(spec->host, port, &hints, &found);
	if (status != 0) {
		snprintf(error, error_size, "cannot resolve %s: %s", spec->host,
		    gai_strerror(status));
		return -1;
	}
	fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(error, error_size, "socket: %s", strerror(errno));
		freeaddrinfo(found);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, found->ai_addr, found->ai_addrlen) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		snprintf(error, error_size, "bind %u@%s: %s", spec->port,
		    spec->host, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(found);
	return fd;
}

int
listen_socket_open(const struct socket_spec *spec, unsigned mode,
    const char *group, char *error, size_t error_size)
{
	if (error_size > 0)
		error[0] = '\0';
	switch (spec->kind) {
	case SOCKET_UNIX:
		return open_unix(spec, mode, group, error, error_size);
	case SOCKET_INET:
	case SOCKET_INET6:
		return open_inet(spec, error, error_size);
	default:
		snprintf(error, error_size, "no socket configured");
		return -1;
	}
}
