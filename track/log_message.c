/*
 * NAME
 *	log_message - what one Postfix daemon logged about one queue file
 * SUMMARY
 *	the text after "QUEUEID: " of the lines waypost-trackd follows
 * SYNOPSIS
 *	#include "log_message.h"
 *
 *	enum log_line_kind log_message_parse(text, end, line)
 * DESCRIPTION
 *	log_message_parse() reads text[0, end), what line->daemon logged
 *	after the queue ID, and returns its kind, with its fields in line
 *	as spans of text; LOG_LINE_OTHER, with none of them set, if it is
 *	none of these forms of Postfix 3.7 (the file that writes each is
 *	named):
 *
 *	LOG_LINE_DELIVERY, from any program that delivers or gives up on
 *	a recipient (smtp, lmtp, local, virtual, pipe, error, retry,
 *	discard, and qmgr itself for "delivery temporarily suspended"):
 *	"to=<r>, orig_to=<o>, relay=R, conn_use=N, delay=T,
 *	delays=T/T/T/T, dsn=X.Y.Z, status=WORD (reply)", where orig_to and
 *	conn_use are optional (src/global/log_adhoc.c). The reply is all
 *	between the "(" after the status word and the line's last byte,
 *	a ")": the remote server's words may hold parentheses, commas and
 *	"=". A line without that ")" was cut on its way to the log, and
 *	keeps the rest of the line as its reply, with line->cut set.
 *
 *	LOG_LINE_CLIENT, smtpd and qmqpd: "client=name[address]", from
 *	smtpd optionally followed by ", sasl_method=M", ", sasl_username=U",
 *	", sasl_sender=S", ", orig_queue_id=Q", ", orig_client=C", in that
 *	order (src/smtpd/smtpd.c, src/qmqpd/qmqpd.c).
 *
 *	LOG_LINE_MESSAGE_ID, cleanup: "message-id=V", V the header's value
 *	as the client sent it, "<>" when the message has none
 *	(src/cleanup/cleanup_message.c). The span has no brackets when V
 *	has both.
 *
 *	LOG_LINE_QUEUED, qmgr: "from=<s>, size=N, nrcpt=N (queue active)";
 *	LOG_LINE_EXPIRED, qmgr: "from=<s>, status=expired, returned to
 *	sender" (or force-expired, postsuper -e); LOG_LINE_REMOVED, qmgr:
 *	"removed" (src/qmgr/qmgr_active.c; oqmgr the same).
 *
 *	LOG_LINE_DELETED, postsuper: "removed" (src/postsuper/postsuper.c).
 *
 *	LOG_LINE_NOTIFICATION, bounce: "sender non-delivery notification:
 *	ID" (src/bounce/bounce_notify_service.c, bounce_one_service.c,
 *	bounce_notify_verp.c), "postmaster non-delivery notification: ID"
 *	(the same files), "sender delay notification: ID", "postmaster
 *	delay notification: ID" (bounce_warn_service.c), "sender delivery
 *	status notification: ID" (bounce_trace_service.c, for NOTIFY=SUCCESS).
 *	ID is the queue ID of the notification, a message of its own.
 *
 *	LOG_LINE_REJECT, smtpd, after a queue ID or "NOQUEUE": "reject:
 *	STAGE from name[address]: REPLY; from=<s> to=<r> proto=P
 *	helo=<h>", to= only when the stage had a recipient
 *	(src/smtpd/smtpd_check.c, log_whatsup()). REPLY runs to the last
 *	"; from=<" (a client's words may hold one); its DSN, when it has
 *	one ("550 5.1.1 ..."), is in dsn.
 *
 *	Every other line, "NOQUEUE: " included, is LOG_LINE_OTHER.
 *
 *	Addresses are read as Postfix logs them by default
 *	(info_log_address_format = external): a local part with a '>', a
 *	comma or a space in it is quoted, and a quoted part is skipped
 *	whole, so a recipient cannot end its own field early.
 * SECURITY
 *	The text is untrusted: any byte, NULs included, no terminator.
 *	Nothing is read at or past end; numbers are bounded by
 *	LOG_LINE_NUMBER_MAX. No allocation.
 */
#include "config.h"

#include <string.h>

#include "log_message.h"

#define STARTS(at, end, prefix)                                                \
	((size_t)((end) - (at)) >= sizeof(prefix) - 1 &&                       \
	    memcmp((at), (prefix), sizeof(prefix) - 1) == 0)

static struct log_span
span(const char *from, const char *to)
{
	return (struct log_span){from, (size_t)(to - from)};
}

static bool
equals(const char *from, const char *to, const char *word)
{
	size_t length = strlen(word);

	return (size_t)(to - from) == length && memcmp(from, word, length) == 0;
}

/* The first needle in [at, end), or NULL. */
static const char *
find(const char *at, const char *end, const char *needle)
{
	size_t length = strlen(needle);

	for (; (size_t)(end - at) >= length; at++)
		if (*at == needle[0] && memcmp(at, needle, length) == 0)
			return at;
	return NULL;
}

static const char *
find_byte(const char *at, const char *end, char byte)
{
	const char *found = memchr(at, byte, (size_t)(end - at));

	return found != NULL ? found : end;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits [from, to), at most LOG_LINE_NUMBER_MAX. */
static bool
number(const char *from, const char *to, unsigned long long *value)
{
	*value = 0;
	if (from == to)
		return false;
	for (; from < to; from++) {
		if (!is_digit(*from))
			return false;
		*value = *value * 10 + (unsigned long long)(*from - '0');
		if (*value > LOG_LINE_NUMBER_MAX)
			return false;
	}
	return true;
}

/* "12", "0.35", "1.2e-05" is not one: what format_tv() writes. */
static bool
delay_value(const char *from, const char *to)
{
	const char *dot = find_byte(from, to, '.');
	unsigned long long whole;

	if (!number(from, dot, &whole))
		return false;
	return dot == to || (dot + 1 < to && number(dot + 1, to, &whole));
}

/* "X.Y.Z": class 2, 4 or 5, then up to 3 digits twice (RFC 3463). */
static bool
dsn_value(const char *from, const char *to)
{
	const char *dot;
	unsigned long long part;

	if (to - from < 5 ||
	    (from[0] != '2' && from[0] != '4' && from[0] != '5') ||
	    from[1] != '.')
		return false;
	from += 2;
	dot = find_byte(from, to, '.');
	return dot != to && dot - from <= 3 && number(from, dot, &part) &&
	       to - (dot + 1) <= 3 && number(dot + 1, to, &part);
}

/* "<address>" at *at: the span without its brackets, *at after them. */
static bool
address(const char **at, const char *end, struct log_span *value)
{
	const char *cursor;

	if (*at == end || **at != '<')
		return false;
	cursor = *at + 1;
	if (cursor < end && *cursor == '"') {
		for (cursor++; cursor < end && *cursor != '"'; cursor++)
			if (*cursor == '\\' && cursor + 1 < end)
				cursor++;
		if (cursor == end)
			return false;
	}
	cursor = find_byte(cursor, end, '>');
	if (cursor == end)
		return false;
	*value = span(*at + 1, cursor);
	*at = cursor + 1;
	return true;
}

/* ", name=value" at *at, the value up to the next ", " or end. */
static bool
field(
    const char **at, const char *end, const char *name, struct log_span *value)
{
	size_t length = strlen(name);
	const char *stop;

	if ((size_t)(end - *at) < length + 3 || memcmp(*at, ", ", 2) != 0 ||
	    memcmp(*at + 2, name, length) != 0 || (*at)[2 + length] != '=')
		return false;
	*at += 3 + length;
	stop = find(*at, end, ", ");
	if (stop == NULL)
		stop = end;
	*value = span(*at, stop);
	*at = stop;
	return true;
}

static enum log_status
status_code(struct log_span status)
{
	const char *from = status.data, *to = status.data + status.length;

	if (equals(from, to, "sent"))
		return LOG_STATUS_SENT;
	if (equals(from, to, "deferred"))
		return LOG_STATUS_DEFERRED;
	if (equals(from, to, "bounced"))
		return LOG_STATUS_BOUNCED;
	if (equals(from, to, "expired") || equals(from, to, "force-expired"))
		return LOG_STATUS_EXPIRED;
	return LOG_STATUS_OTHER;
}

/* src/global/log_adhoc.c */
static bool
delivery(const char *at, const char *end, struct log_line *line)
{
	struct log_span use;
	const char *word;

	at += 3; /* "to=" */
	if (!address(&at, end, &line->recipient))
		return false;
	if (STARTS(at, end, ", orig_to=<")) {
		at += 10;
		if (!address(&at, end, &line->original_recipient))
			return false;
	}
	if (!field(&at, end, "relay", &line->relay) || line->relay.length == 0)
		return false;
	if (field(&at, end, "conn_use", &use) &&
	    !number(use.data, use.data + use.length, &line->connection_use))
		return false;
	if (!field(&at, end, "delay", &line->delay) ||
	    !delay_value(
	        line->delay.data, line->delay.data + line->delay.length))
		return false;
	if (!field(&at, end, "delays", &line->delays))
		return false;
	/* Four of them: before the queue manager, in it, connecting, sending. */
	word = line->delays.data;
	for (int i = 0; i < 4; i++) {
		const char *stop = find_byte(word, at, '/');

		if (!delay_value(word, stop) || (i < 3) != (stop < at))
			return false;
		if (stop < at)
			word = stop + 1;
	}
	if (!field(&at, end, "dsn", &line->dsn) ||
	    !dsn_value(line->dsn.data, at) || !STARTS(at, end, ", status="))
		return false;
	at += 9;
	word = at;
	while (at < end && ((*at >= 'a' && *at <= 'z') ||
	                       (*at >= 'A' && *at <= 'Z') || *at == '-'))
		at++;
	if (at == word)
		return false;
	line->status = span(word, at);
	line->status_code = status_code(line->status);
	if (at == end) {
		/* Cut before the reply: the outcome is known, its words not. */
		line->cut = true;
		line->reply = span(at, at);
		return true;
	}
	if (!STARTS(at, end, " ("))
		return false;
	at += 2;
	if (end > at && end[-1] == ')') {
		line->reply = span(at, end - 1);
	} else {
		line->reply = span(at, end);
		line->cut = true;
	}
	return true;
}

/* src/smtpd/smtpd.c: each value ends where a later field starts. */
static bool
client(const char *at, const char *end, struct log_line *line)
{
	static const char *const names[] = {
	    ", sasl_method=", ", sasl_username=", ", sasl_sender=",
	    ", orig_queue_id=", ", orig_client="};
	struct log_span *values[] = {&line->sasl_method, &line->sasl_username,
	    &line->sasl_sender, NULL, NULL};
	const int count = (int)(sizeof(names) / sizeof(names[0]));
	struct log_span *value = &line->client;
	const char *bracket, *close;

	at += 7; /* "client=" */
	for (int next = 0;; next++) {
		const char *stop = end;
		int found = count;

		for (int i = next; i < count; i++) {
			const char *where = find(at, stop, names[i]);

			if (where != NULL) {
				stop = where;
				found = i;
			}
		}
		if (value != NULL)
			*value = span(at, stop);
		if (found == count)
			break;
		at = stop + strlen(names[found]);
		value = values[found];
		next = found;
	}
	/* name[address] or name[address]:port (smtpd_client_port_logging) */
	bracket = find_byte(
	    line->client.data, line->client.data + line->client.length, '[');
	close = line->client.data + line->client.length;
	while (close > bracket && close[-1] != ']')
		close--;
	if (bracket == line->client.data + line->client.length ||
	    close <= bracket + 1)
		return false;
	line->client_name = span(line->client.data, bracket);
	line->client_address = span(bracket + 1, close - 1);
	return true;
}

/* src/cleanup/cleanup_message.c */
static bool
message_id(const char *at, const char *end, struct log_line *line)
{
	at += 11; /* "message-id=" */
	if (end - at >= 2 && at[0] == '<' && end[-1] == '>')
		line->message_id = span(at + 1, end - 1);
	else
		line->message_id = span(at, end);
	return true;
}

/* src/qmgr/qmgr_active.c */
static enum log_line_kind
queue_manager(const char *at, const char *end, struct log_line *line)
{
	struct log_span size, count;

	if (equals(at, end, "removed"))
		return LOG_LINE_REMOVED;
	if (!STARTS(at, end, "from=<"))
		return LOG_LINE_OTHER;
	at += 5;
	if (!address(&at, end, &line->sender))
		return LOG_LINE_OTHER;
	if (field(&at, end, "status", &line->status)) {
		line->status_code = status_code(line->status);
		return line->status_code == LOG_STATUS_EXPIRED &&
		               equals(at, end, ", returned to sender")
		           ? LOG_LINE_EXPIRED
		           : LOG_LINE_OTHER;
	}
	if (!field(&at, end, "size", &size) ||
	    !number(size.data, at, &line->size) || !STARTS(at, end, ", nrcpt="))
		return LOG_LINE_OTHER;
	at += 8;
	count.data = at;
	at = find_byte(at, end, ' ');
	if (!number(count.data, at, &line->recipient_count) ||
	    !equals(at, end, " (queue active)"))
		return LOG_LINE_OTHER;
	return LOG_LINE_QUEUED;
}

/* src/bounce/bounce_{notify,one,warn,trace}_service.c, bounce_notify_verp.c */
static bool
notification(const char *at, const char *end, struct log_line *line)
{
	static const struct {
		const char *text;
		enum log_notification notification;
	} forms[] = {
	    {"sender non-delivery notification: ",
	        LOG_NOTIFY_SENDER_NON_DELIVERY},
	    {"postmaster non-delivery notification: ",
	        LOG_NOTIFY_POSTMASTER_NON_DELIVERY},
	    {"sender delay notification: ", LOG_NOTIFY_SENDER_DELAY},
	    {"postmaster delay notification: ", LOG_NOTIFY_POSTMASTER_DELAY},
	    {"sender delivery status notification: ",
	        LOG_NOTIFY_SENDER_SUCCESS},
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t length = strlen(forms[i].text);

		if ((size_t)(end - at) > length &&
		    memcmp(at, forms[i].text, length) == 0 &&
		    log_queue_id_valid(
		        at + length, (size_t)(end - at) - length)) {
			line->notification = forms[i].notification;
			line->notification_queue_id = span(at + length, end);
			return true;
		}
	}
	return false;
}

/* The last needle in [at, end), or NULL. */
static const char *
find_last(const char *at, const char *end, const char *needle)
{
	const char *last = NULL, *found;

	while ((found = find(at, end, needle)) != NULL) {
		last = found;
		at = found + 1;
	}
	return last;
}

/* src/smtpd/smtpd_check.c */
static bool
reject(const char *at, const char *end, struct log_line *line)
{
	const char *from, *client_end, *reply_end, *code;

	at += 8; /* "reject: " */
	if ((from = find(at, end, " from ")) == NULL || from == at)
		return false;
	line->stage = span(at, from);
	at = from + 6;
	if ((client_end = find(at, end, ": ")) == NULL)
		return false;
	line->client = span(at, client_end);
	at = client_end + 2;
	/* smtpd always gives a reply: a line without one is not its */
	if ((reply_end = find_last(at, end, "; from=<")) == NULL ||
	    reply_end == at)
		return false;
	line->reply = span(at, reply_end);
	/* "550 5.1.1 ...": the DSN after the code, when there is one */
	code = at;
	if (reply_end - code > 4 && is_digit(code[0]) && is_digit(code[1]) &&
	    is_digit(code[2]) && code[3] == ' ') {
		const char *word = code + 4,
		           *stop = find_byte(word, reply_end, ' ');

		if (dsn_value(word, stop))
			line->dsn = span(word, stop);
	}
	at = reply_end + 7;
	if (!address(&at, end, &line->sender))
		return false;
	if (STARTS(at, end, " to=<")) {
		at += 4;
		if (!address(&at, end, &line->recipient))
			return false;
	}
	return true;
}

static bool
daemon_is(const struct log_line *line, const char *name)
{
	return equals(
	    line->daemon.data, line->daemon.data + line->daemon.length, name);
}

static enum log_line_kind
kind_of(const char *text, const char *end, struct log_line *line)
{
	if (daemon_is(line, "smtpd") && STARTS(text, end, "reject: "))
		return reject(text, end, line) ? LOG_LINE_REJECT
		                               : LOG_LINE_OTHER;
	/* After "NOQUEUE:", smtpd's refusals alone: no delivery. */
	if (line->queue_id.data == NULL)
		return LOG_LINE_OTHER;
	if (STARTS(text, end, "to=<"))
		return delivery(text, end, line) ? LOG_LINE_DELIVERY
		                                 : LOG_LINE_OTHER;
	if ((daemon_is(line, "smtpd") || daemon_is(line, "qmqpd")) &&
	    STARTS(text, end, "client="))
		return client(text, end, line) ? LOG_LINE_CLIENT
		                               : LOG_LINE_OTHER;
	if (daemon_is(line, "cleanup") && STARTS(text, end, "message-id="))
		return message_id(text, end, line) ? LOG_LINE_MESSAGE_ID
		                                   : LOG_LINE_OTHER;
	if (daemon_is(line, "qmgr") || daemon_is(line, "oqmgr"))
		return queue_manager(text, end, line);
	if (daemon_is(line, "postsuper") && equals(text, end, "removed"))
		return LOG_LINE_DELETED;
	if (daemon_is(line, "bounce"))
		return notification(text, end, line) ? LOG_LINE_NOTIFICATION
		                                     : LOG_LINE_OTHER;
	return LOG_LINE_OTHER;
}

enum log_line_kind
log_message_parse(const char *text, const char *end, struct log_line *line)
{
	struct log_line before = *line;
	enum log_line_kind kind = kind_of(text, end, line);

	/* A form half read leaves nothing of it behind. */
	if (kind == LOG_LINE_OTHER)
		*line = before;
	line->kind = kind;
	return kind;
}
