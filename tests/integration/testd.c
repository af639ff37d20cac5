/*
 * NAME
 *	waypost-testd - a minimal daemon on lib/daemon.c, for the tests
 * SYNOPSIS
 *	waypost-testd [-f] [-n] [-v] [-c FILE]
 * DESCRIPTION
 *	Lets the integration tests drive the shared life cycle for real:
 *	the command line, -n, binding with socket_mode and socket_group,
 *	the pidfile, the switch to user, reload on SIGHUP and the graceful
 *	stop on SIGTERM, exactly as each Waypost daemon gets them.
 *
 *	It reads the test schema ([testd] with greeting, see
 *	tests/unit/test_schema.c) and answers one line per request:
 *
 *	    hello      the configured greeting
 *	    whoami     "uid=N gid=N" of the serving process
 *	    work MS    "done", MS milliseconds later (work in flight); the
 *	               log says when it starts, so that a test can signal
 *	               the daemon while the work is in flight
 *
 *	On SIGTERM or SIGINT it stops accepting, lets work in flight finish
 *	for at most stop_timeout, then exits 0.
 * SECURITY
 *	Test code: never installed.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon_signal.h"
#include "log.h"
#include "monotonic.h"
#include "test_schema.h"

#define CLIENTS_MAX 64
#define REQUEST_MAX 128
#define WORK_MAX_MS 60000

struct client {
	int fd;
	size_t used;
	char request[REQUEST_MAX];
	long long due; /* when work in flight is done; 0: none */
};

struct server {
	struct daemon *daemon;
	struct client clients[CLIENTS_MAX];
	size_t client_count;
	bool stopping;
	long long stop_deadline;
};

static void
reply(struct client *client, const char *text)
{
	if (write(client->fd, text, strlen(text)) < 0)
		log_debug("write: %s", strerror(errno));
}

static void
drop_client(struct server *server, size_t index)
{
	close(server->clients[index].fd);
	server->clients[index] = server->clients[--server->client_count];
}

static void
handle_request(struct server *server, struct client *client)
{
	const struct test_config *config = daemon_config(server->daemon);
	char text[64];
	long long ms;
	char *end;

	if (strcmp(client->request, "hello") == 0) {
		snprintf(text, sizeof(text), "%s\n",
		    config->main.greeting ? config->main.greeting : "");
		reply(client, text);
	} else if (strcmp(client->request, "whoami") == 0) {
		snprintf(text, sizeof(text), "uid=%ld gid=%ld\n",
		    (long)getuid(), (long)getgid());
		reply(client, text);
	} else if (strncmp(client->request, "work ", 5) == 0 &&
	           (ms = strtoll(client->request + 5, &end, 10)) >= 0 &&
	           *end == '\0' && ms <= WORK_MAX_MS) {
		client->due = monotonic_ms() + ms;
		log_info("work of %lld ms started", ms);
	} else {
		log_warning("bad request \"%s\"", client->request);
		reply(client, "error\n");
	}
}

/* Read what is there; run each complete line. False: drop the client. */
static bool
read_client(struct server *server, struct client *client)
{
	ssize_t got = read(client->fd, client->request + client->used,
	    sizeof(client->request) - 1 - client->used);
	char *newline;

	if (got <= 0)
		return false;
	client->used += (size_t)got;
	client->request[client->used] = '\0';
	while (client->due == 0 &&
	       (newline = strchr(client->request, '\n')) != NULL) {
		size_t rest =
		    client->used - (size_t)(newline + 1 - client->request);

		*newline = '\0';
		handle_request(server, client);
		memmove(client->request, newline + 1, rest + 1);
		client->used = rest;
	}
	if (client->used == sizeof(client->request) - 1) {
		log_warning("request longer than %d bytes", REQUEST_MAX - 1);
		return false;
	}
	return true;
}

static void
accept_client(struct server *server, int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (server->client_count == CLIENTS_MAX) {
		log_warning(
		    "too many connections (%d): refusing one", CLIENTS_MAX);
		close(fd);
		return;
	}
	memset(
	    &server->clients[server->client_count], 0, sizeof(struct client));
	server->clients[server->client_count++].fd = fd;
}

static size_t
work_in_flight(const struct server *server)
{
	size_t busy = 0;

	for (size_t i = 0; i < server->client_count; i++)
		busy += server->clients[i].due != 0;
	return busy;
}

static void
on_signal(struct server *server, int number)
{
	if (number == SIGHUP) {
		daemon_reload(server->daemon);
		return;
	}
	if (server->stopping)
		return;
	server->stopping = true;
	server->stop_deadline =
	    monotonic_ms() + daemon_settings(server->daemon)->stop_timeout;
	log_info("stopping on signal %d: %zu requests in flight", number,
	    work_in_flight(server));
}

static void
finish_due_work(struct server *server)
{
	long long now = monotonic_ms();

	for (size_t i = 0; i < server->client_count; i++) {
		struct client *client = &server->clients[i];

		if (client->due != 0 && client->due <= now) {
			client->due = 0;
			reply(client, "done\n");
		}
	}
}

static int
poll_timeout(const struct server *server)
{
	long long soonest = -1;
	long long now = monotonic_ms();

	for (size_t i = 0; i < server->client_count; i++)
		if (server->clients[i].due != 0 &&
		    (soonest < 0 || server->clients[i].due < soonest))
			soonest = server->clients[i].due;
	if (server->stopping &&
	    (soonest < 0 || server->stop_deadline < soonest))
		soonest = server->stop_deadline;
	if (soonest < 0)
		return -1;
	return soonest <= now ? 0 : (int)(soonest - now);
}

static int
run(struct daemon *daemon)
{
	static struct server server;
	struct pollfd fds[CLIENTS_MAX + 2];
	int listen_fd = daemon_listen_fd(daemon);

	server.daemon = daemon;
	for (;;) {
		size_t count = 2;

		fds[0] = (struct pollfd){daemon_signal_fd(), POLLIN, 0};
		fds[1] = (struct pollfd){
		    server.stopping ? -1 : listen_fd, POLLIN, 0};
		for (size_t i = 0; i < server.client_count; i++)
			fds[count++] = (struct pollfd){server.clients[i].fd,
			    server.clients[i].due ? 0 : POLLIN, 0};
		if (poll(fds, count, poll_timeout(&server)) < 0 &&
		    errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		if (fds[0].revents & POLLIN)
			for (int number; (number = daemon_signal_next()) != 0;)
				on_signal(&server, number);
		for (size_t i = count; i-- > 2;)
			if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    i - 2 < server.client_count &&
			    !read_client(&server, &server.clients[i - 2]))
				drop_client(&server, i - 2);
		if (!server.stopping && (fds[1].revents & POLLIN))
			accept_client(&server, listen_fd);
		finish_due_work(&server);
		if (server.stopping && work_in_flight(&server) == 0)
			break;
		if (server.stopping && monotonic_ms() >= server.stop_deadline) {
			log_warning("stop timeout: abandoning %zu requests in "
			            "flight",
			    work_in_flight(&server));
			break;
		}
	}
	while (server.client_count > 0)
		drop_client(&server, 0);
	return 0;
}

static const struct daemon_program testd = {
    .name = "waypost-testd",
    .section = "testd",
    .schema = &test_schema,
    .settings_offset = offsetof(struct test_config, main.daemon),
    .log_offset = offsetof(struct test_config, log),
    .run = run,
};

int
main(int argc, char **argv)
{
	return daemon_main(&testd, argc, argv);
}
