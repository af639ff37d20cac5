/*
 * NAME
 *	waypost-webhook-sink - an HTTP receiver that counts webhooks: make
 *	bench's endpoint
 * SYNOPSIS
 *	waypost-webhook-sink [-l FILE] PORT
 * DESCRIPTION
 *	The receiver of bench_hook.py, on 127.0.0.1:PORT, for waypost-hookd
 *	and for the load tool (wrk) that is its ceiling: both send it the
 *	same requests, and it does the same work for each. One thread, one
 *	epoll set, HTTP/1.1 with keep-alive: every POST is answered 200
 *	with an empty body at once, and counted: requests, body bytes, and
 *	the events in the body (one JSON object, or a JSON array of them as
 *	waypost-hookd batches them), each by the value of its top-level
 *	"id" field, kept in a hash set: distinct ids, and events whose id
 *	came before (repeats; wrk sends one body again and again, so all
 *	but its first are repeats). The signature is not checked: the
 *	integration tests do that (tests/integration/test_hook.py).
 *
 *	GET /count answers those counts as one JSON object ("requests",
 *	"events", "distinct", "repeats", "no_id", "bytes", "connections":
 *	the connections that carried a POST, "bad": requests it could not
 *	read), after writing out FILE. With -l, each event is written to
 *	FILE as one line, "ID NANOSECONDS", its id and the wall clock
 *	(CLOCK_REALTIME) when its request had been read in full: the
 *	latency of bench_hook.py.
 *
 *	It runs until SIGTERM or SIGINT, then writes the counts to standard
 *	output in the same JSON and exits 0.
 *
 *	For benchmarks only: it is not installed; it listens on loopback
 *	only and trusts its peers no further than its bounds.
 * SECURITY
 *	Bounds: HEADER_MAX bytes of request line and headers, BODY_MAX bytes
 *	of body, ID_MAX bytes of an id (a longer one counts under no_id);
 *	a request beyond them is answered 400 and its connection closed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "option_number.h"
#include "xmalloc.h"

#define HEADER_MAX (16 * 1024)
#define BODY_MAX   (16 * 1024 * 1024)
#define ID_MAX     128
#define EVENTS_MAX 256
#define READ_CHUNK (64 * 1024)

static const char ok_answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

struct connection {
	int fd;
	char *in;
	size_t in_length, in_size;
	char *out;
	size_t out_length, out_sent, out_size;
	bool posted;
	bool closing; /* close once out is written */
};

struct counts {
	unsigned long long requests, events, distinct, repeats, no_id, bytes,
	    connections, bad;
};

/* The ids seen: open addressing, each slot an id copy or NULL. */
struct id_set {
	char **slots;
	size_t size, used;
};

static struct counts counts;
static struct id_set ids;
static FILE *latency_file;
static volatile sig_atomic_t stopping;

static uint64_t
hash_of(const char *text, size_t length)
{
	uint64_t hash = 14695981039346656037ULL;

	for (size_t i = 0; i < length; i++) {
		hash ^= (unsigned char)text[i];
		hash *= 1099511628211ULL;
	}
	return hash;
}

static void
id_set_grow(struct id_set *set)
{
	size_t size = set->size ? set->size * 2 : 1024;
	char **slots = xcalloc(size, sizeof(*slots));

	for (size_t i = 0; i < set->size; i++) {
		char *id = set->slots[i];
		size_t at;

		if (id == NULL)
			continue;
		at = hash_of(id, strlen(id)) & (size - 1);
		while (slots[at] != NULL)
			at = (at + 1) & (size - 1);
		slots[at] = id;
	}
	free(set->slots);
	set->slots = slots;
	set->size = size;
}

/* Whether id was new. */
static bool
id_set_add(struct id_set *set, const char *id, size_t length)
{
	size_t at;

	if ((set->used + 1) * 2 > set->size)
		id_set_grow(set);
	at = hash_of(id, length) & (set->size - 1);
	while (set->slots[at] != NULL) {
		if (strlen(set->slots[at]) == length &&
		    memcmp(set->slots[at], id, length) == 0)
			return false;
		at = (at + 1) & (set->size - 1);
	}
	set->slots[at] = xstrndup(id, length);
	set->used++;
	return true;
}

static void
count_event(const char *id, size_t length, long long arrival_ns)
{
	counts.events++;
	if (id == NULL || length == 0 || length > ID_MAX) {
		counts.no_id++;
		return;
	}
	if (id_set_add(&ids, id, length))
		counts.distinct++;
	else
		counts.repeats++;
	if (latency_file != NULL)
		fprintf(
		    latency_file, "%.*s %lld\n", (int)length, id, arrival_ns);
}

/*
 * The events of a body: one object, or an array of objects; each one's
 * top-level "id" string (no escapes in it: ids are of letters, digits,
 * ".", "-" and "_"). Strings are skipped with their escapes, so braces
 * in them count for nothing.
 */
static void
scan_events(const char *body, size_t length, long long arrival_ns)
{
	size_t i = 0;
	int depth = 0, level;
	bool key_position = false, key_is_id = false, in_object = false;
	const char *id = NULL;
	size_t id_length = 0;

	while (i < length && (body[i] == ' ' || body[i] == '\t' ||
	                         body[i] == '\r' || body[i] == '\n'))
		i++;
	level = i < length && body[i] == '[' ? 2 : 1;
	for (; i < length; i++) {
		char c = body[i];

		if (c == '"') {
			size_t start = ++i;

			while (i < length && body[i] != '"')
				i += body[i] == '\\' ? 2 : 1;
			if (depth != level || !in_object)
				continue;
			if (key_position)
				key_is_id = i - start == 2 &&
				            memcmp(body + start, "id", 2) == 0;
			else if (key_is_id && id == NULL) {
				id = body + start;
				id_length = (i <= length ? i : length) - start;
			}
			continue;
		}
		switch (c) {
		case '{':
			if (++depth == level) {
				in_object = true;
				key_position = true;
				key_is_id = false;
				id = NULL;
				id_length = 0;
			}
			break;
		case '}':
			if (depth == level && in_object) {
				count_event(id, id_length, arrival_ns);
				in_object = false;
			}
			depth--;
			break;
		case '[':
			depth++;
			break;
		case ']':
			depth--;
			break;
		case ':':
			if (depth == level)
				key_position = false;
			break;
		case ',':
			if (depth == level) {
				key_position = true;
				key_is_id = false;
			}
			break;
		default:
			break;
		}
	}
}

static long long
realtime_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void
queue_out(struct connection *connection, const char *data, size_t length)
{
	if (connection->out_length + length > connection->out_size) {
		size_t size =
		    connection->out_size ? connection->out_size : 4096;

		while (size < connection->out_length + length)
			size *= 2;
		connection->out = xreallocarray(connection->out, size, 1);
		connection->out_size = size;
	}
	memcpy(connection->out + connection->out_length, data, length);
	connection->out_length += length;
}

static void
answer_counts(struct connection *connection)
{
	char body[512], head[128];
	int body_length, head_length;

	if (latency_file != NULL)
		fflush(latency_file);
	body_length = snprintf(body, sizeof(body),
	    "{\"requests\":%llu,\"events\":%llu,\"distinct\":%llu,"
	    "\"repeats\":%llu,\"no_id\":%llu,\"bytes\":%llu,"
	    "\"connections\":%llu,\"bad\":%llu}\n",
	    counts.requests, counts.events, counts.distinct, counts.repeats,
	    counts.no_id, counts.bytes, counts.connections, counts.bad);
	head_length = snprintf(head, sizeof(head),
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n\r\n",
	    body_length);
	queue_out(connection, head, (size_t)head_length);
	queue_out(connection, body, (size_t)body_length);
}

static void
answer_bad(struct connection *connection, const char *status)
{
	char head[128];
	int length = snprintf(head, sizeof(head),
	    "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	    status);

	counts.bad++;
	queue_out(connection, head, (size_t)length);
	connection->closing = true;
}

/* The value of a header in head (NUL-terminated), or NULL. */
static const char *
header_value(const char *head, const char *name, size_t *length)
{
	size_t name_length = strlen(name);
	const char *line = strstr(head, "\r\n");

	while (line != NULL && line[2] != '\0') {
		const char *start = line + 2, *end = strstr(start, "\r\n");

		if (end == NULL)
			return NULL;
		if ((size_t)(end - start) > name_length &&
		    start[name_length] == ':' &&
		    strncasecmp(start, name, name_length) == 0) {
			const char *value = start + name_length + 1;

			while (*value == ' ' || *value == '\t')
				value++;
			*length = (size_t)(end - value);
			return value;
		}
		line = end;
	}
	return NULL;
}

/* One request at in (length bytes), if all of it is there: bytes
 * used, 0 when more must be read, -1 on a request it cannot read
 * (answered, closing). */
static long
one_request(struct connection *connection, char *in, size_t length,
    long long arrival_ns)
{
	char *end = memmem(in, length, "\r\n\r\n", 4);
	size_t head_length, value_length = 0, body_length = 0;
	const char *value;
	bool http10;

	if (end == NULL) {
		if (length > HEADER_MAX) {
			answer_bad(connection, "431 Request Header Fields Too "
			                       "Large");
			return -1;
		}
		return 0;
	}
	head_length = (size_t)(end - in) + 4;
	end[2] = '\0'; /* the head as text, its last line's CRLF kept */
	value = header_value(in, "Content-Length", &value_length);
	if (value != NULL) {
		char *stop;
		unsigned long long number = strtoull(value, &stop, 10);

		if (stop == value || number > BODY_MAX) {
			answer_bad(connection, "413 Content Too Large");
			return -1;
		}
		body_length = (size_t)number;
	}
	if (length < head_length + body_length) {
		end[2] = '\r';
		return 0;
	}
	http10 = strstr(in, " HTTP/1.0\r\n") != NULL;
	value = header_value(in, "Connection", &value_length);
	if ((value != NULL && value_length == 5 &&
	        strncasecmp(value, "close", 5) == 0) ||
	    (http10 && (value == NULL || value_length != 10 ||
	                   strncasecmp(value, "keep-alive", 10) != 0)))
		connection->closing = true;
	if (strncmp(in, "POST ", 5) == 0) {
		counts.requests++;
		counts.bytes += body_length;
		if (!connection->posted) {
			connection->posted = true;
			counts.connections++;
		}
		scan_events(in + head_length, body_length, arrival_ns);
		queue_out(connection, ok_answer, sizeof(ok_answer) - 1);
	} else if (strncmp(in, "GET /count ", 11) == 0)
		answer_counts(connection);
	else
		answer_bad(connection, "404 Not Found");
	return (long)(head_length + body_length);
}

static void
connection_close(struct connection *connection)
{
	close(connection->fd);
	free(connection->in);
	free(connection->out);
	free(connection);
}

/* Writes what is queued; false when the connection is over (an error,
 * or all written with closing set). */
static bool
flush_out(int epoll_fd, struct connection *connection)
{
	struct epoll_event event = {0};

	while (connection->out_sent < connection->out_length) {
		ssize_t n = write(connection->fd,
		    connection->out + connection->out_sent,
		    connection->out_length - connection->out_sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			event.events = EPOLLIN | EPOLLOUT;
			event.data.ptr = connection;
			epoll_ctl(
			    epoll_fd, EPOLL_CTL_MOD, connection->fd, &event);
			return true;
		}
		if (n <= 0)
			return false;
		connection->out_sent += (size_t)n;
	}
	if (connection->out_length > 0) {
		connection->out_length = connection->out_sent = 0;
		event.events = EPOLLIN;
		event.data.ptr = connection;
		epoll_ctl(epoll_fd, EPOLL_CTL_MOD, connection->fd, &event);
	}
	return !connection->closing;
}

/* Reads what there is and answers every whole request; false when the
 * connection is over. */
static bool
on_readable(int epoll_fd, struct connection *connection)
{
	while (!connection->closing) {
		ssize_t n;
		size_t used = 0;
		long long arrival_ns;

		if (connection->in_size - connection->in_length < READ_CHUNK) {
			connection->in_size =
			    connection->in_size * 2 + READ_CHUNK;
			connection->in = xreallocarray(
			    connection->in, connection->in_size, 1);
		}
		n = read(connection->fd, connection->in + connection->in_length,
		    connection->in_size - connection->in_length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		connection->in_length += (size_t)n;
		arrival_ns = latency_file != NULL ? realtime_ns() : 0;
		while (!connection->closing && used < connection->in_length) {
			long taken =
			    one_request(connection, connection->in + used,
			        connection->in_length - used, arrival_ns);

			if (taken <= 0)
				break;
			used += (size_t)taken;
		}
		memmove(connection->in, connection->in + used,
		    connection->in_length - used);
		connection->in_length -= used;
		if (!flush_out(epoll_fd, connection))
			return false;
	}
	return true;
}

static int
listen_on(long port)
{
	struct sockaddr_in address = {0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int yes = 1;

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
	address.sin_family = AF_INET;
	address.sin_port = htons((uint16_t)port);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(fd, 1024) < 0) {
		perror("waypost-webhook-sink: bind");
		exit(1);
	}
	return fd;
}

static void
accept_all(int epoll_fd, int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
		struct connection *connection;
		struct epoll_event event = {0};
		int yes = 1;

		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
		connection = xcalloc(1, sizeof(*connection));
		connection->fd = fd;
		event.events = EPOLLIN;
		event.data.ptr = connection;
		if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0)
			connection_close(connection);
	}
}

static void
on_signal(int number)
{
	(void)number;
	stopping = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: waypost-webhook-sink [-l FILE] PORT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct epoll_event events[EVENTS_MAX], event = {0};
	struct sigaction action = {0};
	int option, epoll_fd, listen_fd;
	long port;
	static struct connection listener; /* its data.ptr */

	while ((option = getopt(argc, argv, "l:")) != -1) {
		if (option != 'l')
			usage();
		latency_file = fopen(optarg, "w");
		if (latency_file == NULL) {
			perror(optarg);
			return 1;
		}
		setvbuf(latency_file, NULL, _IOFBF, 1 << 20);
	}
	if (optind != argc - 1)
		usage();
	port = option_number("waypost-webhook-sink", argv[optind], 1, 65535);
	action.sa_handler = on_signal;
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	signal(SIGPIPE, SIG_IGN);
	listen_fd = listen_on(port);
	epoll_fd = epoll_create1(0);
	event.events = EPOLLIN;
	event.data.ptr = &listener;
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &event);
	while (!stopping) {
		int ready = epoll_wait(epoll_fd, events, EVENTS_MAX, -1);

		for (int i = 0; i < ready; i++) {
			struct connection *connection = events[i].data.ptr;
			bool alive = true;

			if (connection == &listener) {
				accept_all(epoll_fd, listen_fd);
				continue;
			}
			if (events[i].events & EPOLLOUT)
				alive = flush_out(epoll_fd, connection);
			if (alive && (events[i].events & ~(uint32_t)EPOLLOUT))
				alive = on_readable(epoll_fd, connection);
			if (!alive)
				connection_close(connection);
		}
	}
	if (latency_file != NULL && fclose(latency_file) != 0) {
		perror("waypost-webhook-sink: latency file");
		return 1;
	}
	printf("{\"requests\":%llu,\"events\":%llu,\"distinct\":%llu,"
	       "\"repeats\":%llu,\"no_id\":%llu,\"bytes\":%llu,"
	       "\"connections\":%llu,\"bad\":%llu}\n",
	    counts.requests, counts.events, counts.distinct, counts.repeats,
	    counts.no_id, counts.bytes, counts.connections, counts.bad);
	return 0;
}
