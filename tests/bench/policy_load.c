/*
 * NAME
 *	waypost-policy-load - drive a Postfix policy service as smtpd does
 * SUMMARY
 *	The load client of bench_policy.py: the same requests, the same way,
 *	to waypost-policyd and to postfwd2.
 * SYNOPSIS
 *	waypost-policy-load [-c CONNECTIONS] [-n REQUESTS | -d SECONDS]
 *		[-r RATE] [-u SENDERS] [-a ADDRESSES] [-p] [-m] [-x SEED] SOCKET
 * DESCRIPTION
 *	Plays smtpd's side of the SMTPD access policy delegation protocol
 *	against SOCKET (inet:PORT@HOST, inet6:PORT@HOST, unix:/path) over
 *	CONNECTIONS persistent connections (default 8), all opened before
 *	the first request. Each connection sends one request, waits for its
 *	answer and sends the next, as an smtpd process does, until REQUESTS
 *	have been sent in all (default 10000) or, with -d, for SECONDS;
 *	requests in flight then finish. One thread, one epoll set.
 *
 *	With -r, requests are not sent as fast as answers come but RATE per
 *	second in all, on a steady schedule, each on a connection that is
 *	free (one waits for a free connection when none is): the latency at
 *	a given load rather than at saturation. When the service cannot
 *	keep up, the decisions per second printed fall short of RATE.
 *
 *	Every request is an END-OF-MESSAGE request with the attributes
 *	Postfix 3.7 sends: a new instance (unique across runs too), a queue
 *	ID, recipient_count 1 to 4 (with the recipient when it is 1), size
 *	1,000 to 100,000, and sasl_username and sender, the same address,
 *	drawn from a pool of SENDERS (default 1000) named
 *	user000000000042@example.com, as redis-benchmark's __rand_int__
 *	writes numbers, so the ceiling of bench_policy.py can use the same
 *	Redis keys; client_address from a pool of ADDRESSES (default 1000)
 *	in 10.0.0.0/8, drawn apart from the sender, or with -p the
 *	sender's own (sender i always from address i modulo ADDRESSES), as
 *	a user logs in from home. The draws are pseudo-random from SEED
 *	(default 1).
 *
 *	With -m, each request is instead a Postfix socketmap lookup, as
 *	trivial-rewrite sends it to waypost-routed: the netstring "route
 *	userN@DOMAIN" (a sender of the pool, DOMAIN one of gmail.test,
 *	outlook.test, other.test), answered by one netstring, whose
 *	status and transport are counted as the action.
 *
 *	It prints one summary line: requests answered, connections,
 *	seconds, decisions per second, median and 99th percentile latency
 *	(from sending a request to the end of its answer), the answers
 *	counted by their action in capitals and, when one follows, its
 *	status code ("DUNNO" 9990, "DEFER_IF_PERMIT 4.7.1" 10, "450 4.7.1"
 *	2), and errors. Exit status: 0, 1 when a connection failed, was closed
 *	or got an answer that is not one "action=" line, 2 on bad usage.
 * SECURITY
 *	Bounds: CONNECTIONS_MAX connections; an answer of at most
 *	ANSWER_MAX bytes; ACTION_KINDS_MAX kinds of answer counted, the
 *	rest as "other". A service that stays silent for
 *	SILENCE_TIMEOUT_MS fails the run.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "monotonic.h"
#include "option_number.h"
#include "socket_connect.h"
#include "socket_spec.h"
#include "xmalloc.h"

#define CONNECTIONS_MAX    10000
#define REQUEST_MAX        2048 /* bytes of one request we build */
#define ANSWER_MAX         1024 /* bytes of one answer we accept */
#define ACTION_KIND_MAX    40   /* bytes of "ACTION CODE" */
#define ACTION_KINDS_MAX   16
#define ERRORS_SHOWN       5
#define SILENCE_TIMEOUT_MS 10000
#define EVENTS_MAX         256

/* Latency histogram: 1 us steps to 100 ms, then 1 ms steps to 100 s. */
#define FINE_BUCKETS   100000
#define COARSE_BUCKETS 100000

struct options {
	struct socket_spec socket;
	long connections;
	long requests;
	long seconds;
	long rate; /* requests per second; 0: as fast as answered */
	long senders;
	long addresses;
	bool paired;    /* -p: each sender from its own address */
	bool socketmap; /* -m: socketmap lookups, not policy requests */
	unsigned long long seed;
};

struct connection {
	int fd;
	long index;
	unsigned long long random; /* xorshift64 state */
	char out[REQUEST_MAX];
	size_t out_length, out_sent;
	char in[ANSWER_MAX];
	size_t in_length;
	double started; /* ms, when the request was sent */
};

struct action_count {
	char kind[ACTION_KIND_MAX + 1];
	long count;
};

struct results {
	long issued, answered, errors;
	long fine[FINE_BUCKETS];
	long coarse[COARSE_BUCKETS];
	struct action_count actions[ACTION_KINDS_MAX];
	size_t action_kinds;
	long other_actions;
};

static struct options options;
static struct results results;
static char run_id[64];
static double deadline_ms;
static int epoll_fd;
static long open_count; /* connections not yet finished or failed */

/* With -r: the free connections, and when the next request is due. */
static struct connection **idle;
static long idle_count;
static double next_due_ms;
static int timer_fd = -1;

static unsigned long long
next_random(struct connection *connection)
{
	unsigned long long x = connection->random;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	connection->random = x;
	return x;
}

static void
record_latency(double ms)
{
	double us = ms * 1000;

	if (us < FINE_BUCKETS)
		results.fine[us > 0 ? (long)us : 0]++;
	else if (ms < COARSE_BUCKETS)
		results.coarse[(long)ms]++;
	else
		results.coarse[COARSE_BUCKETS - 1]++;
}

/* The latency below which fraction of the answers came, in ms. */
static double
percentile(double fraction)
{
	long wanted = (long)((double)results.answered * fraction);
	long seen = 0;

	if (wanted >= results.answered)
		wanted = results.answered - 1;
	for (long i = 0; i < FINE_BUCKETS; i++) {
		seen += results.fine[i];
		if (seen > wanted)
			return ((double)i + 0.5) / 1000;
	}
	for (long i = 0; i < COARSE_BUCKETS; i++) {
		seen += results.coarse[i];
		if (seen > wanted)
			return (double)i + 0.5;
	}
	return 0;
}

static size_t
word_length(const char *text, size_t length)
{
	size_t n = 0;

	while (n < length && text[n] != ' ')
		n++;
	return n;
}

/* The action and its status code, if one follows: "DEFER_IF_PERMIT 4.7.1". */
static void
count_action(const char *action, size_t length)
{
	char kind[ACTION_KIND_MAX + 1];
	size_t n = word_length(action, length);

	if (n + 1 < length && isdigit((unsigned char)action[n + 1]))
		n += 1 + word_length(action + n + 1, length - n - 1);
	if (n > ACTION_KIND_MAX)
		n = ACTION_KIND_MAX;
	for (size_t i = 0; i < n; i++)
		kind[i] = isprint((unsigned char)action[i]) && action[i] != '"'
		              ? (char)toupper((unsigned char)action[i])
		              : '?';
	kind[n] = '\0';
	for (size_t i = 0; i < results.action_kinds; i++)
		if (strcmp(results.actions[i].kind, kind) == 0) {
			results.actions[i].count++;
			return;
		}
	if (results.action_kinds == ACTION_KINDS_MAX) {
		results.other_actions++;
		return;
	}
	memcpy(results.actions[results.action_kinds].kind, kind, n + 1);
	results.actions[results.action_kinds++].count = 1;
}

static void
close_connection(struct connection *connection)
{
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, connection->fd, NULL);
	close(connection->fd);
	connection->fd = -1;
	open_count--;
}

static void
fail(struct connection *connection, const char *why)
{
	if (results.errors++ < ERRORS_SHOWN)
		fprintf(stderr, "waypost-policy-load: connection %ld: %s\n",
		    connection->index + 1, why);
	close_connection(connection);
}

static bool
want_output(struct connection *connection, bool output)
{
	struct epoll_event event = {.events = EPOLLIN | (output ? EPOLLOUT : 0),
	    .data.ptr = connection};

	return epoll_ctl(epoll_fd, EPOLL_CTL_MOD, connection->fd, &event) == 0;
}

/* Write what is left of the request; false when the connection failed. */
static bool
flush(struct connection *connection)
{
	while (connection->out_sent < connection->out_length) {
		ssize_t sent =
		    send(connection->fd, connection->out + connection->out_sent,
		        connection->out_length - connection->out_sent,
		        MSG_NOSIGNAL);

		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return want_output(connection, true);
		if (sent <= 0)
			return false;
		connection->out_sent += (size_t)sent;
	}
	return true;
}

/* The request snprintf() wrote in out, length bytes, ready to send; false
 * when it did not fit. */
static bool
request_ready(struct connection *connection, int length)
{
	if (length < 0 || (size_t)length >= sizeof(connection->out))
		return false;
	connection->out_length = (size_t)length;
	connection->out_sent = 0;
	connection->in_length = 0;
	return true;
}

/* With -m: trivial-rewrite's lookup of a recipient in table "route", at
 * one of three providers' domains. */
static bool
build_lookup(struct connection *connection)
{
	static const char *const domains[] = {
	    "gmail.test", "outlook.test", "other.test"};
	char payload[128];
	long sender = (long)(next_random(connection) %
	                     (unsigned long long)options.senders);
	int length = snprintf(payload, sizeof(payload), "route user%012ld@%s",
	    sender, domains[next_random(connection) % 3]);

	length = snprintf(connection->out, sizeof(connection->out), "%d:%s,",
	    length, payload);
	return request_ready(connection, length);
}

/* The attributes of Postfix 3.7 at END-OF-MESSAGE, after one message. */
static bool
build_request(struct connection *connection, long number)
{
	if (options.socketmap)
		return build_lookup(connection);
	long sender = (long)(next_random(connection) %
	                     (unsigned long long)options.senders);
	long address = (long)(next_random(connection) %
	                      (unsigned long long)options.addresses);

	if (options.paired)
		address = sender % options.addresses;
	unsigned recipients = (unsigned)(next_random(connection) % 4) + 1;
	unsigned long size =
	    1000 + (unsigned long)(next_random(connection) % 99001);
	int length = snprintf(connection->out, sizeof(connection->out),
	    "request=smtpd_access_policy\n"
	    "protocol_state=END-OF-MESSAGE\n"
	    "protocol_name=ESMTP\n"
	    "client_address=10.%ld.%ld.%ld\n"
	    "client_name=client%ld.example.net\n"
	    "client_port=%ld\n"
	    "reverse_client_name=client%ld.example.net\n"
	    "server_address=127.0.0.1\n"
	    "server_port=587\n"
	    "helo_name=client%ld.example.net\n"
	    "sender=user%012ld@example.com\n"
	    "recipient=%s\n"
	    "recipient_count=%u\n"
	    "queue_id=%08lX%02lX\n"
	    "instance=%s.%lx\n"
	    "size=%lu\n"
	    "etrn_domain=\n"
	    "stress=\n"
	    "sasl_method=PLAIN\n"
	    "sasl_username=user%012ld@example.com\n"
	    "sasl_sender=\n"
	    "ccert_subject=\n"
	    "ccert_issuer=\n"
	    "ccert_fingerprint=\n"
	    "ccert_pubkey_fingerprint=\n"
	    "encryption_protocol=TLSv1.3\n"
	    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\n"
	    "policy_context=\n"
	    "compatibility_level=3.6\n"
	    "mail_version=3.7.11\n"
	    "\n",
	    address / (250 * 256), address / 250 % 256, address % 250 + 1,
	    address, 1024 + number % 60000, address, address, sender,
	    recipients == 1 ? "recipient@example.net" : "", recipients,
	    (unsigned long)number & 0xffffffffUL,
	    (unsigned long)connection->index & 0xffUL, run_id,
	    (unsigned long)number, size, sender);

	return request_ready(connection, length);
}

static bool
more_to_send(void)
{
	if (options.seconds > 0)
		return monotonic_ms_exact() < deadline_ms;
	return results.issued < options.requests;
}

static void
send_request(struct connection *connection)
{
	if (!build_request(connection, results.issued++)) {
		fail(connection, "request over REQUEST_MAX bytes");
		return;
	}
	connection->started = monotonic_ms_exact();
	if (!flush(connection))
		fail(connection, "the service closed the connection");
}

/* With -r: send what is due on free connections, then wait for the next. */
static void
dispatch(void)
{
	double now = monotonic_ms_exact();
	struct itimerspec wake = {{0, 0}, {0, 0}};

	while (idle_count > 0 && next_due_ms <= now && more_to_send()) {
		send_request(idle[--idle_count]);
		next_due_ms += 1000.0 / (double)options.rate;
	}
	if (!more_to_send()) {
		while (idle_count > 0)
			close_connection(idle[--idle_count]);
		return;
	}
	if (idle_count > 0) {
		wake.it_value.tv_sec = (time_t)(next_due_ms / 1000);
		wake.it_value.tv_nsec =
		    (long)((next_due_ms - (double)wake.it_value.tv_sec * 1000) *
		           1e6);
		if (wake.it_value.tv_sec == 0 && wake.it_value.tv_nsec == 0)
			wake.it_value.tv_nsec = 1;
	}
	timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &wake, NULL);
}

/* The next request on this connection, or its end. */
static void
send_next(struct connection *connection)
{
	if (options.rate > 0) {
		idle[idle_count++] = connection;
		dispatch();
	} else if (!more_to_send())
		close_connection(connection);
	else
		send_request(connection);
}

/* One "action=..." line and the empty line; false if it is anything else. */
static bool
read_answer(struct connection *connection)
{
	const char *text = connection->in;
	size_t length = connection->in_length - 2; /* without "\n\n" */

	if (length < 7 || strncmp(text, "action=", 7) != 0 ||
	    memchr(text, '\n', length) != NULL ||
	    memchr(text, '\0', length) != NULL)
		return false;
	count_action(text + 7, length - 7);
	return true;
}

/* With -m: the bytes of the whole netstring answer in, 0 while it is not
 * all there, -1 if it is no netstring. */
static long
netstring_end(const struct connection *connection)
{
	size_t length = 0, digits = 0;

	while (digits < connection->in_length &&
	       connection->in[digits] >= '0' && connection->in[digits] <= '9')
		length = length * 10 + (size_t)(connection->in[digits++] - '0');
	if (digits == connection->in_length)
		return 0;
	if (digits == 0 || connection->in[digits] != ':' || length > ANSWER_MAX)
		return -1;
	if (connection->in_length < digits + length + 2)
		return 0;
	if (connection->in[digits + 1 + length] != ',')
		return -1;
	return (long)(digits + length + 2);
}

/* With -m: count the answer's status and transport ("OK wp-...:"). */
static bool
read_lookup(struct connection *connection, long end)
{
	const char *payload =
	    (const char *)memchr(connection->in, ':', (size_t)end) + 1;

	if (end != (long)connection->in_length)
		return false;
	count_action(payload, (size_t)(connection->in + end - 1 - payload));
	return true;
}

static void
receive(struct connection *connection)
{
	const char *end;
	ssize_t got;
	long whole;

	do
		got =
		    read(connection->fd, connection->in + connection->in_length,
		        ANSWER_MAX - connection->in_length);
	while (got < 0 && errno == EINTR);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (got <= 0) {
		fail(connection, got == 0 ? "the service closed the connection"
		                          : strerror(errno));
		return;
	}
	connection->in_length += (size_t)got;
	if (options.socketmap) {
		whole = netstring_end(connection);
		if (whole == 0 && connection->in_length < ANSWER_MAX)
			return;
		if (whole <= 0 ||
		    connection->out_sent < connection->out_length ||
		    !read_lookup(connection, whole)) {
			fail(connection, "not one netstring");
			return;
		}
		record_latency(monotonic_ms_exact() - connection->started);
		results.answered++;
		send_next(connection);
		return;
	}
	end = memmem(connection->in, connection->in_length, "\n\n", 2);
	if (end == NULL) {
		if (connection->in_length == ANSWER_MAX)
			fail(connection, "an answer over ANSWER_MAX bytes");
		return;
	}
	if ((size_t)(end + 2 - connection->in) != connection->in_length ||
	    connection->out_sent < connection->out_length ||
	    !read_answer(connection)) {
		fail(connection, "not one action= line and an empty line");
		return;
	}
	record_latency(monotonic_ms_exact() - connection->started);
	results.answered++;
	send_next(connection);
}

/* Enough descriptors for every connection, if the hard limit allows. */
static void
raise_file_limit(long connections)
{
	struct rlimit limit;
	rlim_t wanted = (rlim_t)connections + 64;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted)
		return;
	limit.rlim_cur = limit.rlim_max < wanted ? limit.rlim_max : wanted;
	if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted)
		fprintf(stderr,
		    "waypost-policy-load: warning: only %llu file descriptors "
		    "for %ld connections\n",
		    (unsigned long long)limit.rlim_cur, connections);
}

static bool
open_connections(struct connection *connections)
{
	char error[256];

	for (long i = 0; i < options.connections; i++) {
		struct connection *connection = &connections[i];
		struct epoll_event event = {
		    .events = EPOLLIN, .data.ptr = connection};
		int fd =
		    socket_spec_connect(&options.socket, error, sizeof(error));

		if (fd < 0) {
			fprintf(stderr,
			    "waypost-policy-load: connection %ld: %s\n", i + 1,
			    error);
			return false;
		}
		connection->fd = fd;
		connection->index = i;
		open_count++;
		connection->random =
		    options.seed * 0x9E3779B97F4A7C15ULL +
		    (unsigned long long)i * 0xBF58476D1CE4E5B9ULL + 1;
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
		    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
			fprintf(stderr, "waypost-policy-load: epoll: %s\n",
			    strerror(errno));
			return false;
		}
	}
	return true;
}

/* Until every connection has sent its last request and had its answer. */
static void
run(struct connection *connections)
{
	struct epoll_event events[EVENTS_MAX];

	for (long i = 0; i < options.connections; i++)
		send_next(&connections[i]);
	while (open_count > 0) {
		int ready;

		ready = epoll_wait(
		    epoll_fd, events, EVENTS_MAX, SILENCE_TIMEOUT_MS);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0) {
			for (long i = 0; i < options.connections; i++)
				if (connections[i].fd >= 0)
					fail(&connections[i],
					    "no answer within the timeout");
			return;
		}
		for (int i = 0; i < ready; i++) {
			struct connection *connection = events[i].data.ptr;
			unsigned long long expirations;

			if (connection == NULL) { /* the timer of -r */
				if (read(timer_fd, &expirations,
				        sizeof(expirations)) < 0 &&
				    errno != EAGAIN)
					return;
				dispatch();
				continue;
			}
			if (connection->fd < 0)
				continue;
			if ((events[i].events & EPOLLOUT) &&
			    (!flush(connection) ||
			        (connection->out_sent ==
			                connection->out_length &&
			            !want_output(connection, false)))) {
				fail(connection, "the service closed the "
				                 "connection");
				continue;
			}
			if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				receive(connection);
		}
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: waypost-policy-load [-c CONNECTIONS] "
	    "[-n REQUESTS | -d SECONDS] [-r RATE]\n"
	    "           [-u SENDERS] [-a ADDRESSES] [-p] [-m] [-x SEED] SOCKET\n");
	exit(2);
}

static void
parse_options(int argc, char **argv)
{
	char error[256];
	int option;

	options.connections = 8;
	options.requests = 10000;
	options.senders = 1000;
	options.addresses = 1000;
	options.seed = 1;
	while ((option = getopt(argc, argv, "c:n:d:r:u:a:pmx:")) != -1) {
		switch (option) {
		case 'c':
			options.connections = option_number(
			    "waypost-policy-load", optarg, 1, CONNECTIONS_MAX);
			break;
		case 'n':
			options.requests = option_number(
			    "waypost-policy-load", optarg, 1, 1000000000);
			break;
		case 'd':
			options.seconds = option_number(
			    "waypost-policy-load", optarg, 1, 3600);
			break;
		case 'r':
			options.rate = option_number(
			    "waypost-policy-load", optarg, 1, 10000000);
			break;
		case 'u':
			options.senders = option_number(
			    "waypost-policy-load", optarg, 1, 1000000);
			break;
		case 'a':
			options.addresses = option_number(
			    "waypost-policy-load", optarg, 1, 250L * 256 * 256);
			break;
		case 'p':
			options.paired = true;
			break;
		case 'm':
			options.socketmap = true;
			break;
		case 'x':
			options.seed = (unsigned long long)option_number(
			    "waypost-policy-load", optarg, 0, 1000000000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (!socket_spec_parse(
	        argv[optind], &options.socket, error, sizeof(error))) {
		fprintf(stderr, "waypost-policy-load: %s\n", error);
		exit(2);
	}
}

static void
print_summary(double seconds)
{
	printf("%ld requests, %ld connections, %.3f s: %.0f decisions/s; "
	       "latency p50 %.3f ms, p99 %.3f ms; actions:",
	    results.answered, options.connections, seconds,
	    seconds > 0 ? (double)results.answered / seconds : 0,
	    results.answered ? percentile(0.50) : 0,
	    results.answered ? percentile(0.99) : 0);
	for (size_t i = 0; i < results.action_kinds; i++)
		printf("%s \"%s\" %ld", i ? "," : "", results.actions[i].kind,
		    results.actions[i].count);
	if (results.other_actions)
		printf(", other %ld", results.other_actions);
	printf("; errors %ld\n", results.errors);
}

/* The timer that paces requests with -r, and the free connections. */
static bool
start_timer(void)
{
	struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};

	idle = xcalloc((size_t)options.connections, sizeof(*idle));
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (timer_fd < 0 ||
	    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &event) != 0) {
		fprintf(stderr, "waypost-policy-load: timer: %s\n",
		    strerror(errno));
		return false;
	}
	return true;
}

int
main(int argc, char **argv)
{
	struct connection *connections;
	struct timespec wall;
	double start;

	parse_options(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	raise_file_limit(options.connections);
	clock_gettime(CLOCK_REALTIME, &wall);
	snprintf(run_id, sizeof(run_id), "%lx.%lx.%lx", (long)getpid(),
	    (long)wall.tv_sec, (long)(wall.tv_nsec / 1000));
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0) {
		fprintf(stderr, "waypost-policy-load: epoll_create1: %s\n",
		    strerror(errno));
		return 1;
	}
	connections =
	    xcalloc((size_t)options.connections, sizeof(*connections));
	for (long i = 0; i < options.connections; i++)
		connections[i].fd = -1;
	if (open_connections(connections) &&
	    (options.rate == 0 || start_timer())) {
		start = monotonic_ms_exact();
		deadline_ms = start + (double)options.seconds * 1000;
		next_due_ms = start;
		run(connections);
		print_summary((monotonic_ms_exact() - start) / 1000);
	} else
		results.errors++;
	for (long i = 0; i < options.connections; i++)
		if (connections[i].fd >= 0)
			close(connections[i].fd);
	free(connections);
	free(idle);
	if (timer_fd >= 0)
		close(timer_fd);
	close(epoll_fd);
	return results.errors > 0 ? 1 : 0;
}
