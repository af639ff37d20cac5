/*
 * NAME
 *	waypost-milter-load - drive a milter with real mail, for tests and speed
 * SYNOPSIS
 *	waypost-milter-load [-c CONNECTIONS] [-n MESSAGES] [-f FILE | -s SIZE]
 *		[-a USER] [-i ADDRESS] [-e SENDER] [-p] SOCKET
 * DESCRIPTION
 *	Plays the MTA's side of the milter protocol against SOCKET
 *	(unix:/path, inet:PORT@HOST, inet6:PORT@HOST), one message per
 *	connection as Postfix does for a one-message SMTP session, over
 *	CONNECTIONS connections at once (default 1), MESSAGES in all
 *	(default 1). The message is FILE, or a message with a body of SIZE
 *	bytes (default 2048) from sender@example.com.
 *
 *	-a USER     send {auth_type} PLAIN and {auth_authen} USER, as
 *	            Postfix does for an authenticated client
 *	-i ADDRESS  the client address (default 127.0.0.1; "none" sends an
 *	            unknown address, as for local submission)
 *	-e SENDER   the envelope sender (default sender@example.com)
 *	-p          print the first message as the filter leaves it: the
 *	            headers it added or inserted, then the message
 *
 *	It prints one summary line: messages, seconds, messages per second,
 *	median and 99th percentile latency, the verdicts and the number of
 *	headers the filter added. Exit status: 0, or 1 when a connection
 *	failed or broke the protocol.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "message_file.h"
#include "milter_client.h"
#include "monotonic.h"
#include "option_number.h"
#include "socket_spec.h"
#include "text_copy.h"
#include "xmalloc.h"

#define CONNECTIONS_MAX 1024
#define ERRORS_SHOWN    5 /* the rest are counted in the summary only */

/* Everything Postfix asks a milter not to need, the filter may refuse. */
#define OFFERED_PROTOCOL                                                       \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |        \
	    SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NR_HDR |         \
	    SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP | SMFIP_RCPT_REJ |     \
	    SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |    \
	    SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY |     \
	    SMFIP_HDR_LEADSPC)

struct options {
	struct socket_spec socket;
	long connections;
	long messages;
	const char *file;
	long size;
	const char *user;
	const char *address;
	const char *sender;
	bool print;
};

struct results {
	atomic_long next;
	atomic_long errors_shown;
	atomic_long verdicts[MILTER_ERROR + 1];
	atomic_long inserted;
	double *latencies; /* milliseconds, one per message */
	pthread_mutex_t print_lock;
	bool printed;
};

static struct options options;
static struct message_file message;
static char sender[320];
static const char recipient[] = "recipient@example.net";
static struct results results;

static void
print_result(const struct milter_session *session)
{
	size_t max = message.header_count + session->change_count;
	const struct header_field **headers = xcalloc(max, sizeof(*headers));
	size_t count = milter_apply_changes(
	    session, message.headers, message.header_count, headers, max);

	pthread_mutex_lock(&results.print_lock);
	if (!results.printed) {
		results.printed = true;
		for (size_t i = 0; i < count; i++)
			printf(
			    "%s:%s\r\n", headers[i]->name, headers[i]->value);
		printf("\r\n");
		fwrite(message.body, 1, message.body_length, stdout);
		fflush(stdout);
	}
	pthread_mutex_unlock(&results.print_lock);
	free(headers);
}

/* One message on one new connection, as Postfix sends it. */
static enum milter_verdict
send_message(long number, struct milter_session *session)
{
	static const char *const connect_macros[] = {"j", "relay.example",
	    "{daemon_name}", "waypost-milter-load", "v", "Postfix 3.7", NULL};
	char queue_id[32];
	/* As Postfix: the client again at MAIL FROM and at the end of the
	 * headers, for filters that skip the connect step (and MAIL FROM);
	 * "unknown" when it has no address. */
	const char *mail_macros[] = {"i", queue_id, "{client_addr}",
	    strcmp(options.address, "none") ? options.address : "unknown",
	    "{auth_type}", "PLAIN", "{auth_authen}", options.user, NULL};
	enum milter_verdict verdict;

	snprintf(queue_id, sizeof(queue_id), "%010lX", number + 1);
	if (options.user == NULL)
		mail_macros[4] = NULL;
	milter_macro(session, SMFIC_CONNECT, connect_macros);
	verdict = milter_connect(session, "client.example",
	    strcmp(options.address, "none") ? options.address : NULL);
	if (verdict == MILTER_CONTINUE)
		verdict = milter_helo(session, "client.example");
	milter_macro(session, SMFIC_MAIL, mail_macros);
	if (verdict == MILTER_CONTINUE)
		verdict = milter_mail(session, sender);
	if (verdict == MILTER_CONTINUE)
		verdict = milter_recipient(session, recipient);
	if (verdict == MILTER_CONTINUE)
		verdict = milter_data(session);
	for (size_t i = 0;
	     verdict == MILTER_CONTINUE && i < message.header_count; i++)
		verdict = milter_header(
		    session, message.headers[i].name, message.headers[i].value);
	milter_macro(session, SMFIC_EOH, mail_macros);
	if (verdict == MILTER_CONTINUE)
		verdict = milter_end_of_headers(session);
	if (verdict == MILTER_CONTINUE)
		verdict =
		    milter_body(session, message.body, message.body_length);
	if (verdict == MILTER_CONTINUE)
		verdict = milter_end_of_message(session);
	return verdict;
}

static void *
connection_loop(void *unused)
{
	long number;

	(void)unused;
	while (
	    (number = atomic_fetch_add(&results.next, 1)) < options.messages) {
		struct milter_session session;
		enum milter_verdict verdict = MILTER_ERROR;
		double start = monotonic_ms_exact();

		if (milter_open(&session, &options.socket, OFFERED_PROTOCOL))
			verdict = send_message(number, &session);
		if (verdict == MILTER_ERROR &&
		    atomic_fetch_add(&results.errors_shown, 1) < ERRORS_SHOWN)
			fprintf(stderr,
			    "waypost-milter-load: message %ld: %s\n",
			    number + 1, session.error);
		else if (session.reply_code[0] != '\0' && options.print)
			fprintf(stderr, "waypost-milter-load: reply %s\n",
			    session.reply_code);
		results.latencies[number] = monotonic_ms_exact() - start;
		atomic_fetch_add(&results.verdicts[verdict], 1);
		atomic_fetch_add(&results.inserted, (long)session.change_count);
		if (options.print && verdict != MILTER_ERROR)
			print_result(&session);
		milter_close(&session);
	}
	return NULL;
}

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: waypost-milter-load [-c CONNECTIONS] [-n MESSAGES] "
	    "[-f FILE | -s SIZE]\n"
	    "           [-a USER] [-i ADDRESS] [-e SENDER] [-p] SOCKET\n");
	exit(2);
}

static void
parse_options(int argc, char **argv)
{
	char error[256];
	int option;

	options.connections = 1;
	options.messages = 1;
	options.size = 2048;
	options.address = "127.0.0.1";
	while ((option = getopt(argc, argv, "c:n:f:s:a:i:e:p")) != -1) {
		switch (option) {
		case 'c':
			options.connections = option_number(
			    "waypost-milter-load", optarg, 1, CONNECTIONS_MAX);
			break;
		case 'n':
			options.messages = option_number(
			    "waypost-milter-load", optarg, 1, 100000000);
			break;
		case 'f':
			options.file = optarg;
			break;
		case 's':
			options.size = option_number(
			    "waypost-milter-load", optarg, 0, 1L << 30);
			break;
		case 'a':
			options.user = optarg;
			break;
		case 'i':
			options.address = optarg;
			break;
		case 'e':
			options.sender = optarg;
			break;
		case 'p':
			options.print = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (!socket_spec_parse(
	        argv[optind], &options.socket, error, sizeof(error))) {
		fprintf(stderr, "waypost-milter-load: %s\n", error);
		exit(2);
	}
}

static void
load_message(void)
{
	struct buffer text = {0};
	char *body;

	if (options.file != NULL) {
		if (!message_file_read(options.file, &message))
			exit(2);
	} else {
		buffer_printf(&text,
		    "From: Sender <sender@example.com>\r\n"
		    "To: Recipient <recipient@example.net>\r\n"
		    "Subject: waypost-milter-load test message\r\n"
		    "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
		    "Message-ID: <load@example.com>\r\n"
		    "MIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
		body = message_file_big_body((size_t)options.size, 1);
		buffer_append(&text, body, (size_t)options.size);
		free(body);
		message_file_parse(text.data, text.length, &message);
		buffer_free(&text);
	}
	text_copy(sender, sizeof(sender),
	    options.sender ? options.sender : "sender@example.com");
}

int
main(int argc, char **argv)
{
	pthread_t threads[CONNECTIONS_MAX];
	double start, seconds;
	long total;

	parse_options(argc, argv);
	signal(SIGPIPE, SIG_IGN); /* a filter that hangs up is a result */
	load_message();
	results.latencies = xcalloc((size_t)options.messages, sizeof(double));
	pthread_mutex_init(&results.print_lock, NULL);
	start = monotonic_ms_exact();
	for (long i = 0; i < options.connections; i++)
		if (pthread_create(&threads[i], NULL, connection_loop, NULL) !=
		    0) {
			fprintf(stderr, "waypost-milter-load: pthread_create "
			                "failed\n");
			return 1;
		}
	for (long i = 0; i < options.connections; i++)
		pthread_join(threads[i], NULL);
	seconds = (monotonic_ms_exact() - start) / 1000;
	total = options.messages;
	qsort(
	    results.latencies, (size_t)total, sizeof(double), compare_doubles);
	fprintf(options.print ? stderr : stdout,
	    "%ld messages, %ld connections, %.3f s: %.0f msgs/s; latency "
	    "p50 %.2f ms, p99 %.2f ms; continue %ld, accept %ld, tempfail "
	    "%ld, reject %ld, discard %ld, error %ld; headers added %ld\n",
	    total, options.connections, seconds, (double)total / seconds,
	    results.latencies[total / 2], results.latencies[total * 99 / 100],
	    results.verdicts[0], results.verdicts[1], results.verdicts[2],
	    results.verdicts[3], results.verdicts[4],
	    results.verdicts[MILTER_ERROR], atomic_load(&results.inserted));
	message_file_free(&message);
	free(results.latencies);
	return results.verdicts[MILTER_ERROR] > 0 ? 1 : 0;
}
