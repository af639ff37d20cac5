/*
 * fuzz_log_line.c - fuzz target: one line of Postfix's log
 *
 * The input is one line, any bytes. It is parsed from an exact-size copy
 * (so a read past its end is a sanitizer report, in the replay program
 * too), with two clocks, whole and cut in half. Checks: every span lies
 * inside the line; an invalid line has no field; a valid one has a
 * host, a program and a daemon at the end of the program, and its
 * message runs to the end of the line; every queue ID is valid; a kind
 * of its own has a queue ID and its fields; a line of no kind has none
 * of them; and the same line gives the same result.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log_line.h"

static const struct log_clock clocks[] = {
    {1796180400, 0},    /* 2026-12-02 03:00 UTC */
    {946684800, 50400}, /* 2000-01-01 00:00 UTC, 14 hours east */
};

static void
check_span(struct log_span span, const char *data, size_t size)
{
	if (span.length == 0)
		return;
	if (span.data < data || span.length > size ||
	    span.data + span.length > data + size)
		__builtin_trap();
}

static void
check_queue_id(struct log_span span)
{
	if (span.length > 0 && !log_queue_id_valid(span.data, span.length))
		__builtin_trap();
}

/* The fields that only a kind of its own sets. */
static size_t
kind_fields(const struct log_line *line)
{
	return line->client.length + line->client_name.length +
	       line->client_address.length + line->sasl_method.length +
	       line->sasl_username.length + line->sasl_sender.length +
	       line->message_id.length + line->sender.length + line->size +
	       line->recipient_count + line->recipient.length +
	       line->original_recipient.length + line->relay.length +
	       line->connection_use + line->delay.length + line->delays.length +
	       line->dsn.length + line->status.length + line->reply.length +
	       (size_t)line->status_code + (size_t)line->notification +
	       line->notification_queue_id.length;
}

static void
check_kind(const struct log_line *line)
{
	switch (line->kind) {
	case LOG_LINE_INVALID:
	case LOG_LINE_OTHER:
		if (kind_fields(line) != 0)
			__builtin_trap();
		return;
	case LOG_LINE_CLIENT:
		if (line->client_name.data + line->client_name.length >=
		    line->client_address.data)
			__builtin_trap();
		break;
	case LOG_LINE_EXPIRED:
		if (line->status_code != LOG_STATUS_EXPIRED)
			__builtin_trap();
		break;
	case LOG_LINE_DELIVERY:
		if (line->relay.length == 0 || line->dsn.length < 5 ||
		    line->delays.length < 7 || line->status.length == 0 ||
		    line->status_code == LOG_STATUS_NONE)
			__builtin_trap();
		if (!line->cut && line->reply.data[line->reply.length] != ')')
			__builtin_trap();
		break;
	case LOG_LINE_NOTIFICATION:
		if (line->notification == LOG_NOTIFY_NONE ||
		    line->notification_queue_id.length == 0)
			__builtin_trap();
		break;
	case LOG_LINE_REJECT: /* its reply is always there; NOQUEUE: no ID */
		if (line->reply.length == 0)
			__builtin_trap();
		return;
	case LOG_LINE_MESSAGE_ID:
	case LOG_LINE_QUEUED:
	case LOG_LINE_REMOVED:
	case LOG_LINE_DELETED:
		break;
	default:
		__builtin_trap();
	}
	if (line->queue_id.length == 0)
		__builtin_trap();
}

static void
check(const char *data, size_t size, const struct log_clock *clock)
{
	struct log_line line, again;

	if (log_line_parse(data, size, clock, &line) != line.kind)
		__builtin_trap();
	{
		const struct log_span parsed[] = {line.host, line.program,
		    line.daemon, line.message, line.queue_id, line.client,
		    line.client_name, line.client_address, line.sasl_method,
		    line.sasl_username, line.sasl_sender, line.message_id,
		    line.sender, line.recipient, line.original_recipient,
		    line.relay, line.delay, line.delays, line.dsn, line.status,
		    line.reply, line.notification_queue_id};

		for (size_t i = 0; i < sizeof(parsed) / sizeof(parsed[0]); i++)
			check_span(parsed[i], data, size);
	}
	check_queue_id(line.queue_id);
	check_queue_id(line.notification_queue_id);
	if (line.kind == LOG_LINE_INVALID) {
		if (line.host.length != 0 || line.program.length != 0 ||
		    line.message.length != 0 || line.queue_id.length != 0 ||
		    line.time != 0 || line.pid != 0 || line.cut)
			__builtin_trap();
	} else {
		/* "postfix/" has no daemon, and is no Postfix line. */
		if (line.host.length == 0 || line.program.length == 0 ||
		    (line.daemon.length == 0 && line.kind != LOG_LINE_OTHER) ||
		    line.daemon.data + line.daemon.length !=
		        line.program.data + line.program.length ||
		    line.pid > LOG_LINE_PID_MAX ||
		    line.message.data + line.message.length != data + size)
			__builtin_trap();
	}
	check_kind(&line);
	log_line_parse(data, size, clock, &again);
	if (memcmp(&line, &again, sizeof(line)) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		check(copy, size, &clocks[i]);
		check(copy, size / 2, &clocks[i]);
	}
	free(copy);
	return 0;
}
