/*
 * test_listen_socket.c - unix sockets with mode and group, inet on loopback
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen_socket.h"
#include "unit_test.h"

static char directory[64];
static char path[96];
static char error[256];

static int
setup(void **state)
{
	(void)state;
	if (!unit_temp_path(
	        directory, sizeof(directory), "waypost-sock-XXXXXX") ||
	    mkdtemp(directory) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/test.sock", directory);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(directory);
	return 0;
}

static struct socket_spec
unix_spec(void)
{
	struct socket_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.kind = SOCKET_UNIX;
	snprintf(spec.path, sizeof(spec.path), "%s", path);
	return spec;
}

static bool
can_connect_unix(void)
{
	struct sockaddr_un address;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool connected;

	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	connected =
	    connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0;
	close(fd);
	return connected;
}

static void
test_unix_socket_mode_and_group(void **state)
{
	struct socket_spec spec = unix_spec();
	struct group *group = getgrnam("nogroup");
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(group);
	fd = listen_socket_open(&spec, 0660, "nogroup", error, sizeof(error));
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	if (geteuid() == 0)
		assert_int_equal(st.st_gid, group->gr_gid);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(can_connect_unix());
	close(fd);
}

static void
test_stale_socket_is_replaced(void **state)
{
	struct socket_spec spec = unix_spec();
	int first, second;

	(void)state;
	first = listen_socket_open(&spec, 0600, NULL, error, sizeof(error));
	assert_true(first >= 0);
	close(first); /* a crash leaves the socket file behind */
	second = listen_socket_open(&spec, 0600, NULL, error, sizeof(error));
	assert_true(second >= 0);
	assert_true(can_connect_unix());
	close(second);
}

static void
test_other_files_are_left_alone(void **state)
{
	struct socket_spec spec = unix_spec();
	int fd = open(path, O_CREAT | O_WRONLY, 0600);

	(void)state;
	close(fd);
	assert_int_equal(
	    listen_socket_open(&spec, 0600, NULL, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "exists and is not a socket"));
	assert_int_equal(access(path, F_OK), 0);
}

static void
test_missing_directory_and_group(void **state)
{
	struct socket_spec spec = unix_spec();

	(void)state;
	snprintf(
	    spec.path, sizeof(spec.path), "%s/no/such/dir.sock", directory);
	assert_int_equal(
	    listen_socket_open(&spec, 0600, NULL, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "No such file or directory"));
	spec = unix_spec();
	assert_int_equal(listen_socket_open(&spec, 0600, "no-such-group-x",
	                     error, sizeof(error)),
	    -1);
	assert_string_equal(error, "no such group \"no-such-group-x\"");
	assert_int_equal(access(path, F_OK), -1);
}

static unsigned
free_port(void)
{
	struct sockaddr_in address;
	socklen_t length = sizeof(address);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&address, sizeof(address));
	getsockname(fd, (struct sockaddr *)&address, &length);
	close(fd);
	return ntohs(address.sin_port);
}

static void
test_inet_loopback(void **state)
{
	struct socket_spec spec;
	struct sockaddr_in address;
	socklen_t length = sizeof(address);
	int fd, again;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	spec.kind = SOCKET_INET;
	spec.port = free_port();
	strcpy(spec.host, "127.0.0.1");
	fd = listen_socket_open(&spec, 0, NULL, error, sizeof(error));
	assert_true(fd >= 0);
	assert_int_equal(
	    getsockname(fd, (struct sockaddr *)&address, &length), 0);
	assert_int_equal(ntohs(address.sin_port), spec.port);
	assert_int_equal(ntohl(address.sin_addr.s_addr), INADDR_LOOPBACK);
	again = listen_socket_open(&spec, 0, NULL, error, sizeof(error));
	assert_int_equal(again, -1);
	assert_non_null(strstr(error, "Address already in use"));
	close(fd);
	strcpy(spec.host, "no-such-host.invalid");
	assert_int_equal(
	    listen_socket_open(&spec, 0, NULL, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "cannot resolve no-such-host.invalid"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(
        test_unix_socket_mode_and_group, setup, teardown),
    cmocka_unit_test_setup_teardown(
        test_stale_socket_is_replaced, setup, teardown),
    cmocka_unit_test_setup_teardown(
        test_other_files_are_left_alone, setup, teardown),
    cmocka_unit_test_setup_teardown(
        test_missing_directory_and_group, setup, teardown),
    cmocka_unit_test(test_inet_loopback),
};

UNIT_TEST_MAIN(tests)
