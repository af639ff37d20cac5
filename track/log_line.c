/*
 * NAME
 *	log_line - one line of Postfix's log, parsed into spans of the line
 * SUMMARY
 *	the line parser of waypost-trackd: no I/O, no allocation
 * SYNOPSIS
 *	#include "log_line.h"
 *
 *	enum log_line_kind log_line_parse(data, length, clock, line)
 *	bool log_queue_id_valid(data, length)
 *	const char *log_line_kind_name(kind)
 * DESCRIPTION
 *	log_line_parse() parses data[0, length), one line without its
 *	newline, into line and returns line->kind. Every span in line
 *	points into data; line holds nothing else of it.
 *
 *	A line is a time (log_time.c: Postfix's maillog_file, a
 *	traditional or an RFC 3339 syslog file), a space, the host, a
 *	space, the program, "[pid]" (optional), ": " and the message
 *	(src/util/msg_logger.c, src/util/msg_syslog.c). A line that is not
 *	is LOG_LINE_INVALID, with no field set.
 *
 *	Postfix's programs are named "syslog_name/daemon", syslog_name
 *	itself possibly with slashes ("postfix/submission" from master.cf's
 *	-o syslog_name): line->daemon is the part after the last slash. The
 *	line of a program without a slash is not Postfix's, and is
 *	LOG_LINE_OTHER.
 *
 *	A message "QUEUEID: text" has its queue ID in line->queue_id, and
 *	text is parsed by log_message.c into one of the kinds of
 *	log_line.h. A message that starts with a severity ("warning: ",
 *	"error: ", "fatal: ", "panic: ") is LOG_LINE_OTHER, with the queue
 *	ID that may follow it. "NOQUEUE: text" (smtpd's refusals before a
 *	queue file) is parsed too, with no queue ID. Anything else is
 *	LOG_LINE_OTHER.
 *
 *	Postfix cuts a record's text at 2000 bytes (MSG_LOGGER_RECLEN,
 *	MSG_SYSLOG_RECLEN): a message that long sets line->cut, as does a
 *	delivery line whose reply has no closing parenthesis. A cut line
 *	keeps whatever kind its text still shows.
 *
 *	log_queue_id_valid() says whether data[0, length) is a queue ID as
 *	Postfix makes them (src/global/mail_queue.h): short, upper-case
 *	hexadecimal, 5 digits of microseconds then the inode number, so 6
 *	to 21 digits; or long (enable_long_queue_ids = yes), in the 52
 *	letters and digits without vowels: at least 6 of seconds and 4 of
 *	microseconds, then "z", then the inode number without "z". Both
 *	at most LOG_QUEUE_ID_MAX.
 *
 *	log_line_kind_name() is a kind's name for logs and tests.
 * SECURITY
 *	A log line is untrusted: any byte, NULs included, any length.
 *	Nothing is read at or past data + length; a line over LOG_LINE_MAX
 *	is LOG_LINE_INVALID unread. No allocation, no I/O: the time of a
 *	line without a zone or a year comes from clock, not from the
 *	system's time zone files.
 */
#include "config.h"

#include <string.h>

#include "log_line.h"
#include "log_message.h"
#include "log_time.h"

#define RECORD_TEXT_MAX 2000 /* src/util/msg_logger.c MSG_LOGGER_RECLEN */
#define SHORT_ID_MAX    21   /* 5 hex digits of microseconds, 16 of inode */
#define LONG_TIME_MIN   10   /* 6 base-52 digits of seconds, 4 of usec */

static const char long_id_alphabet[] =
    "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

static const char *const severities[] = {
    "warning: ", "error: ", "fatal: ", "panic: "};

static bool
graphic(char c)
{
	return c > ' ' && c < 127;
}

static bool
upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

bool
log_queue_id_valid(const char *data, size_t length)
{
	size_t separator = length, i;

	if (length < LOG_QUEUE_ID_SHORT || length > LOG_QUEUE_ID_MAX)
		return false;
	for (i = 0; i < length && upper_hex(data[i]); i++)
		;
	if (i == length)
		return length <= SHORT_ID_MAX;
	for (i = 0; i < length; i++) {
		if (data[i] == '\0' ||
		    strchr(long_id_alphabet, data[i]) == NULL)
			return false;
		if (data[i] == 'z')
			separator = i;
	}
	return separator != length && separator >= LONG_TIME_MIN &&
	       separator + 1 < length;
}

/* "host program[pid]: " after the time; the message's start, or NULL. */
static const char *
parse_header(const char *at, const char *end, struct log_line *line)
{
	const char *start = at, *slash = NULL;
	unsigned long pid = 0;

	while (at < end && graphic(*at))
		at++;
	if (at == start || at == end || *at != ' ' ||
	    (size_t)(at - start) > LOG_LINE_HOST_MAX)
		return NULL;
	line->host = (struct log_span){start, (size_t)(at - start)};
	start = ++at;
	while (at < end && graphic(*at) && *at != '[' && *at != ':') {
		if (*at == '/')
			slash = at;
		at++;
	}
	if (at == start || at == end ||
	    (size_t)(at - start) > LOG_LINE_PROGRAM_MAX)
		return NULL;
	line->program = (struct log_span){start, (size_t)(at - start)};
	line->daemon = slash != NULL ? (struct log_span){slash + 1,
	                                   (size_t)(at - slash - 1)}
	                             : line->program;
	if (*at == '[') {
		start = ++at;
		while (at < end && *at >= '0' && *at <= '9') {
			pid = pid * 10 + (unsigned long)(*at - '0');
			if (pid > LOG_LINE_PID_MAX)
				return NULL;
			at++;
		}
		if (at == start || at == end || *at != ']')
			return NULL;
		at++;
	}
	line->pid = pid;
	if (at == end || *at != ':')
		return NULL;
	at++;
	/* "program: " then the message; rsyslog adds the space if absent. */
	if (at < end && *at == ' ')
		at++;
	return at;
}

/* "QUEUEID: " at the start of [*at, end): the ID, *at after the ": ". */
static bool
queue_id(const char **at, const char *end, struct log_line *line)
{
	size_t room = (size_t)(end - *at), length;
	const char *colon;

	if (room > LOG_QUEUE_ID_MAX + 1)
		room = LOG_QUEUE_ID_MAX + 1;
	colon = memchr(*at, ':', room);
	if (colon == NULL)
		return false;
	length = (size_t)(colon - *at);
	if (!log_queue_id_valid(*at, length) ||
	    (colon + 1 < end && colon[1] != ' '))
		return false;
	line->queue_id = (struct log_span){*at, length};
	*at = colon + 1 < end ? colon + 2 : colon + 1;
	return true;
}

static bool
severity(const char **at, const char *end)
{
	for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]);
	     i++) {
		size_t length = strlen(severities[i]);

		if ((size_t)(end - *at) >= length &&
		    memcmp(*at, severities[i], length) == 0) {
			*at += length;
			return true;
		}
	}
	return false;
}

enum log_line_kind
log_line_parse(const char *data, size_t length, const struct log_clock *clock,
    struct log_line *line)
{
	const char *end, *at;
	size_t time_length;
	bool warned;

	memset(line, 0, sizeof(*line));
	line->kind = LOG_LINE_INVALID;
	if (data == NULL || length > LOG_LINE_MAX)
		return line->kind;
	end = data + length;
	time_length = log_time_parse(data, length, clock, &line->time);
	if (time_length == 0 || time_length >= length ||
	    data[time_length] != ' ' ||
	    (at = parse_header(data + time_length + 1, end, line)) == NULL) {
		memset(line, 0, sizeof(*line));
		return line->kind;
	}
	line->kind = LOG_LINE_OTHER;
	line->message = (struct log_span){at, (size_t)(end - at)};
	warned = severity(&at, end);
	if ((size_t)(end - at) >= RECORD_TEXT_MAX)
		line->cut = true;
	if (line->daemon.length == line->program.length ||
	    line->daemon.length == 0)
		return line->kind;
	if (queue_id(&at, end, line))
		return warned ? line->kind : log_message_parse(at, end, line);
	/* smtpd's refusals before a queue file exists */
	if (warned || (size_t)(end - at) < 9 || memcmp(at, "NOQUEUE: ", 9) != 0)
		return line->kind;
	return log_message_parse(at + 9, end, line);
}

const char *
log_line_kind_name(enum log_line_kind kind)
{
	static const char *const names[] = {
	    [LOG_LINE_INVALID] = "invalid",
	    [LOG_LINE_OTHER] = "other",
	    [LOG_LINE_CLIENT] = "client",
	    [LOG_LINE_MESSAGE_ID] = "message-id",
	    [LOG_LINE_QUEUED] = "queued",
	    [LOG_LINE_EXPIRED] = "expired",
	    [LOG_LINE_REMOVED] = "removed",
	    [LOG_LINE_DELETED] = "deleted",
	    [LOG_LINE_DELIVERY] = "delivery",
	    [LOG_LINE_NOTIFICATION] = "notification",
	    [LOG_LINE_REJECT] = "reject",
	};

	if ((size_t)kind < sizeof(names) / sizeof(names[0]) &&
	    names[kind] != NULL)
		return names[kind];
	return "?";
}
