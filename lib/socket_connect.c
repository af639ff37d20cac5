/*
 * NAME
 *	socket_connect - connect to a unix:, inet: or inet6: socket spec
 * SYNOPSIS
 *	#include "socket_connect.h"
 *
 *	int socket_spec_connect(spec, error, error_size)
 * DESCRIPTION
 *	A blocking connect, for the test and load clients (the milter
 *	client, the policy load tool): the descriptor, close-on-exec, or
 *	-1 with the reason in error.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "socket_connect.h"
#include "text_copy.h"

int
socket_spec_connect(
    const struct socket_spec *spec, char *error, size_t error_size)
{
	struct addrinfo hints, *found = NULL;
	struct sockaddr_un address;
	char port[8];
	int fd = -1;

	if (spec->kind == SOCKET_UNIX) {
		memset(&address, 0, sizeof(address));
		address.sun_family = AF_UNIX;
		text_copy(
		    address.sun_path, sizeof(address.sun_path), spec->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&address,
		                   sizeof(address)) == 0)
			return fd;
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_family =
		    spec->kind == SOCKET_INET6 ? AF_INET6 : AF_INET;
		snprintf(port, sizeof(port), "%u", spec->port);
		if (getaddrinfo(spec->host, port, &hints, &found) != 0) {
			snprintf(error, error_size, "cannot resolve %.200s",
			    spec->host);
			return -1;
		}
		fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 &&
		    connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
			freeaddrinfo(found);
			return fd;
		}
		freeaddrinfo(found);
	}
	snprintf(error, error_size, "connect: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}
