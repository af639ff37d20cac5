/*
 * fuzz_metrics_http.c - fuzz target: any bytes sent to a daemon's
 * metrics endpoint
 *
 * The metrics port takes connections from the network (from the
 * addresses of metrics_allow), so every byte a peer sends is untrusted.
 * libmicrohttpd parses the request; lib/metrics_http.c answers it. This
 * target starts the endpoint once, as lib/daemon.c does (a listening
 * socket on 127.0.0.1, libmicrohttpd's thread, the loopback allow-list,
 * the common metrics and a family with labels to render), then sends
 * each input on a new TCP connection, closes its sending side, and reads
 * the answer until the server closes (bounded in bytes and in time).
 * Checks: the server answers with an HTTP status line or nothing (a
 * request it refuses), never anything else; a request for /metrics that
 * it answers with 200 holds the exposition text; and the server keeps
 * answering: a well-formed GET /healthz after every input gets 200
 * (asked again while the server still counts the closed connections).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cidr.h"
#include "fuzz.h"
#include "metrics.h"
#include "metrics_http.h"

#define ANSWER_MAX (1024 * 1024)

static struct metrics_http *server;
static struct sockaddr_in address;
static char answer[ANSWER_MAX + 1];

static void
start_server(void)
{
	struct cidr_list allow = {0, NULL};
	socklen_t length = sizeof(address);
	char error[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&address, 0, sizeof(address));
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&address, &length) < 0 ||
	    !cidr_list_parse(
	        METRICS_ALLOW_DEFAULT, &allow, error, sizeof(error)))
		abort();
	metrics_common_init("waypost-fuzz", "0");
	metric_inc(metric_series(metric_family("fuzz_requests_total",
	                             "Requests.", METRIC_COUNTER, "a,b"),
	    "x\"y", "z\\"));
	server = metrics_http_start(fd, &allow, error, sizeof(error));
	cidr_list_free(&allow);
	if (server == NULL)
		abort();
}

/* Sends request, then reads the answer into answer; its length. */
static size_t
exchange(const uint8_t *request, size_t size)
{
	struct timeval timeout = {2, 0};
	/* Closed with a reset: thousands of exchanges a second would
	 * otherwise fill the ephemeral ports with TIME_WAIT (CI saw
	 * connect() fail so after 17,640 runs). */
	struct linger reset = {1, 0};
	size_t sent = 0, got = 0;
	ssize_t n;
	int fd, tries = 0;

	for (;;) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			abort();
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		if (connect(fd, (struct sockaddr *)&address, sizeof(address)) ==
		    0)
			break;
		/* EADDRNOTAVAIL: no free port; a port frees as TIME_WAIT
		 * ends. EINTR: libFuzzer's SIGALRM (its timeout check, no
		 * SA_RESTART) came while connect() waited, as it does when
		 * a loaded server's listen queue is full and the SYN is sent
		 * again: the likely cause of an abort here in one local CI
		 * run, which printed no errno. Any other errno is printed. */
		if ((errno != EADDRNOTAVAIL && errno != EINTR &&
		        errno != ETIMEDOUT) ||
		    ++tries > 200) {
			fprintf(stderr, "fuzz_metrics_http: connect: %s\n",
			    strerror(errno));
			abort();
		}
		close(fd);
		usleep(10000);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	/* The same SIGALRM may cut a send() or recv() short: go on. */
	while (sent < size &&
	       ((n = send(fd, request + sent, size - sent, MSG_NOSIGNAL)) > 0 ||
	           (n < 0 && errno == EINTR)))
		sent += n > 0 ? (size_t)n : 0;
	shutdown(fd, SHUT_WR);
	while (got < ANSWER_MAX &&
	       ((n = recv(fd, answer + got, ANSWER_MAX - got, 0)) > 0 ||
	           (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	answer[got] = '\0';
	return got;
}

/* GET /healthz; the answer's length. An empty answer is a connection
 * refused at once: the server's thread may not yet have cleaned up the
 * connections just closed, which count toward its per-address limit
 * (METRICS_HTTP_PER_IP), and on a loaded machine that takes longer than
 * one exchange. So it asks again, up to 200 times 10 ms apart, before
 * the caller calls it a hang. */
static size_t
ask_health(void)
{
	static const char health[] = "GET /healthz HTTP/1.0\r\n\r\n";
	size_t got = 0;

	for (int tries = 0; tries < 200 && got == 0; tries++) {
		if (tries > 0)
			usleep(10000);
		got = exchange((const uint8_t *)health, sizeof(health) - 1);
	}
	return got;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t got;

	if (server == NULL)
		start_server();
	got = exchange(data, size);
	if (got > 0 && strncmp(answer, "HTTP/1.", 7) != 0)
		__builtin_trap();
	if (size > 17 && memcmp(data, "GET /metrics HTTP", 17) == 0 &&
	    got >= 12 && strncmp(answer + 9, "200", 3) == 0 &&
	    strstr(answer, "# TYPE waypost_build_info gauge\n") == NULL)
		__builtin_trap();
	got = ask_health();
	if (got < 12 || strncmp(answer, "HTTP/1.", 7) != 0 ||
	    strncmp(answer + 8, " 200", 4) != 0)
		__builtin_trap();
	return 0;
}
