/*
 * NAME
 *	milter_client - the MTA side of the milter protocol
 * SYNOPSIS
 *	#include "milter_client.h"
 *
 *	milter_open(session, spec, protocol)
 *	milter_connect(), milter_mail(), milter_header(),
 *	milter_end_of_headers(), milter_body(), milter_end_of_message()
 * DESCRIPTION
 *	Speaks to a filter as Postfix does (milter protocol version 6):
 *	option negotiation, then per message the macros and commands, one
 *	length-prefixed packet each. Every step the filter did not decline
 *	in the negotiation must be sent: libmilter ignores a command that
 *	skips a state (a header with no RCPT before it gets no answer). The
 *	filter's negotiation decides which commands are sent (SMFIP_NO*)
 *	and which are answered (SMFIP_NR_*); packets that get no answer
 *	wait in a buffer and go out with the next one that does, as
 *	Postfix's own stream buffering sends them.
 *
 *	At end of message the filter's header changes ('h' add, 'i' insert)
 *	are kept in session->changes, in the order they came, until
 *	milter_forget_changes(); milter_apply_changes() lays them out as
 *	the MTA would. Each command returns the filter's verdict;
 *	MILTER_ERROR means the connection is unusable (session->error says
 *	why).
 * SECURITY
 *	Replies are bounded by MILTER_REPLY_MAX; their contents are copied,
 *	never interpreted beyond the packet types above.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "milter_client.h"
#include "milter_packet.h"
#include "socket_connect.h"
#include "text_copy.h"
#include "xmalloc.h"

#define PROTOCOL_VERSION 6

/* A filter that does not answer in this time has failed. */
static const struct timeval reply_timeout = {120, 0};

/* Queue one packet: length, command, data. */
static void
queue(struct milter_session *session, char command, const void *data,
    size_t length)
{
	milter_packet_append(&session->out, command, data, length);
}

static bool
write_all(struct milter_session *session)
{
	size_t done = 0;

	while (done < session->out.length) {
		ssize_t wrote = write(session->fd, session->out.data + done,
		    session->out.length - done);

		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0) {
			snprintf(session->error, sizeof(session->error),
			    "write: %s", strerror(errno));
			return false;
		}
		done += (size_t)wrote;
	}
	buffer_reset(&session->out);
	return true;
}

/* LENGTH bytes, from what was read ahead, then from the socket in reads
 * as large as the read-ahead buffer (one read takes a burst of replies). */
static bool
read_all(struct milter_session *session, void *data, size_t length)
{
	size_t done = 0;

	while (done < length) {
		size_t have = session->in_end - session->in_start;
		ssize_t got;

		if (have > 0) {
			size_t take =
			    have < length - done ? have : length - done;

			memcpy((char *)data + done,
			    session->in + session->in_start, take);
			session->in_start += take;
			done += take;
			continue;
		}
		got = read(session->fd, session->in, sizeof(session->in));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			text_copy(session->error, sizeof(session->error),
			    got == 0 ? "the filter closed the connection"
			             : strerror(errno));
			return false;
		}
		session->in_start = 0;
		session->in_end = (size_t)got;
	}
	return true;
}

/* One reply packet: its command in *command, its data in data. */
static bool
read_packet(struct milter_session *session, char *command, struct buffer *data)
{
	uint32_t length;

	if (!write_all(session) || !read_all(session, &length, 4))
		return false;
	length = ntohl(length);
	if (length == 0 || length > MILTER_REPLY_MAX) {
		snprintf(session->error, sizeof(session->error),
		    "bad reply length %u", length);
		return false;
	}
	if (!read_all(session, command, 1))
		return false;
	buffer_reset(data);
	buffer_append(data, "", 0);
	for (uint32_t remaining = length - 1; remaining > 0;) {
		char chunk[4096];
		size_t take =
		    remaining < sizeof(chunk) ? remaining : sizeof(chunk);

		if (!read_all(session, chunk, take))
			return false;
		buffer_append(data, chunk, take);
		remaining -= (uint32_t)take;
	}
	return true;
}

static void
keep_change(
    struct milter_session *session, const struct buffer *data, bool insert)
{
	size_t skip = insert ? 4 : 0;
	const char *name = data->data + skip;
	struct milter_change *change;
	const char *value;
	uint32_t index = 0;

	if (data->length <= skip ||
	    memchr(name, '\0', data->length - skip) == NULL)
		return;
	value = name + strlen(name) + 1;
	if ((size_t)(value - data->data) >= data->length)
		return;
	if (insert)
		index = milter_get_u32(data->data);
	session->changes = xreallocarray(session->changes,
	    session->change_count + 1, sizeof(*session->changes));
	change = &session->changes[session->change_count++];
	change->index = insert ? (long)index : -1;
	change->field.name = xstrdup(name);
	change->field.value = xstrdup(value);
}

/* Read replies until a verdict; header changes on the way are kept. */
static enum milter_verdict
verdict(struct milter_session *session)
{
	struct buffer data = {0};
	enum milter_verdict result = MILTER_ERROR;
	char command;

	for (;;) {
		if (!read_packet(session, &command, &data))
			break;
		switch (command) {
		case SMFIR_CONTINUE:
			result = MILTER_CONTINUE;
			break;
		case SMFIR_ACCEPT:
			result = MILTER_ACCEPT;
			break;
		case SMFIR_TEMPFAIL:
			result = MILTER_TEMPFAIL;
			break;
		case SMFIR_REJECT:
			result = MILTER_REJECT;
			break;
		case SMFIR_DISCARD:
			result = MILTER_DISCARD;
			break;
		case SMFIR_REPLYCODE:
			text_copy(session->reply_code,
			    sizeof(session->reply_code), data.data);
			result = data.data[0] == '4' ? MILTER_TEMPFAIL
			                             : MILTER_REJECT;
			break;
		case SMFIR_ADDHEADER:
			keep_change(session, &data, false);
			continue;
		case SMFIR_INSHEADER:
			keep_change(session, &data, true);
			continue;
		case SMFIR_SKIP:
			/* "Enough of this stage": send no more body chunks. */
			session->skipping = true;
			result = MILTER_CONTINUE;
			break;
		case SMFIR_CONN_FAIL:
		case SMFIR_SHUTDOWN:
			result = MILTER_TEMPFAIL;
			break;
		case SMFIR_PROGRESS:
			continue;
		default:
			if (strchr("+-2bemql", command) != NULL)
				continue; /* other changes: not ours to apply */
			snprintf(session->error, sizeof(session->error),
			    "unexpected reply '%c'", command);
			break;
		}
		break;
	}
	buffer_free(&data);
	return result;
}

/* Send a command; wait for the verdict unless the filter said it sends
 * none (no_reply_flag), or the step is off (skip_flag). */
static enum milter_verdict
command(struct milter_session *session, char code, const void *data,
    size_t length, unsigned long skip_flag, unsigned long no_reply_flag)
{
	if (skip_flag && (session->protocol & skip_flag))
		return MILTER_CONTINUE;
	queue(session, code, data, length);
	if (no_reply_flag && (session->protocol & no_reply_flag))
		return MILTER_CONTINUE;
	return verdict(session);
}

bool
milter_open(struct milter_session *session, const struct socket_spec *spec,
    unsigned long protocol)
{
	struct buffer data = {0};
	char reply;
	bool ok;

	memset(session, 0, sizeof(*session));
	session->fd =
	    socket_spec_connect(spec, session->error, sizeof(session->error));
	if (session->fd < 0)
		return false;
	setsockopt(session->fd, SOL_SOCKET, SO_RCVTIMEO, &reply_timeout,
	    sizeof(reply_timeout));
	milter_put_u32(&data, PROTOCOL_VERSION);
	milter_put_u32(&data, SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT |
	                          SMFIF_DELRCPT | SMFIF_CHGHDRS |
	                          SMFIF_QUARANTINE | SMFIF_CHGFROM |
	                          SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST);
	milter_put_u32(&data, (uint32_t)protocol);
	queue(session, SMFIC_OPTNEG, data.data, data.length);
	ok = read_packet(session, &reply, &data) && reply == SMFIC_OPTNEG &&
	     data.length >= 12;
	if (ok) {
		session->actions = milter_get_u32(data.data + 4);
		session->protocol = milter_get_u32(data.data + 8);
	} else if (session->error[0] == '\0')
		snprintf(session->error, sizeof(session->error),
		    "bad option negotiation reply");
	buffer_free(&data);
	return ok;
}

void
milter_forget_changes(struct milter_session *session)
{
	for (size_t i = 0; i < session->change_count; i++) {
		free(session->changes[i].field.name);
		free(session->changes[i].field.value);
	}
	free(session->changes);
	session->changes = NULL;
	session->change_count = 0;
}

/* The headers as the MTA would have them after the filter's changes. */
size_t
milter_apply_changes(const struct milter_session *session,
    const struct header_field *headers, size_t count,
    const struct header_field **out, size_t out_max)
{
	size_t used = 0;

	for (size_t i = 0; i < count && used < out_max; i++)
		out[used++] = &headers[i];
	for (size_t i = 0; i < session->change_count && used < out_max; i++) {
		const struct milter_change *change = &session->changes[i];
		size_t at = change->index < 0 || (size_t)change->index > used
		                ? used
		                : (size_t)change->index;

		memmove(&out[at + 1], &out[at], (used - at) * sizeof(*out));
		out[at] = &change->field;
		used++;
	}
	return used;
}

void
milter_close(struct milter_session *session)
{
	if (session->fd >= 0) {
		queue(session, SMFIC_QUIT, NULL, 0);
		write_all(session);
		close(session->fd);
		session->fd = -1;
	}
	milter_forget_changes(session);
	buffer_free(&session->out);
}

void
milter_macro(
    struct milter_session *session, char code, const char *const *pairs)
{
	struct buffer data = {0};

	buffer_append_char(&data, code);
	for (size_t i = 0; pairs[i] != NULL; i++)
		buffer_append(&data, pairs[i], strlen(pairs[i]) + 1);
	queue(session, SMFIC_MACRO, data.data, data.length);
	buffer_free(&data);
}

enum milter_verdict
milter_connect(
    struct milter_session *session, const char *hostname, const char *address)
{
	struct buffer data = {0};
	enum milter_verdict result;
	uint16_t port = htons(25);

	buffer_append(&data, hostname, strlen(hostname) + 1);
	if (address == NULL) {
		buffer_append_char(&data, SMFIA_UNKNOWN);
	} else {
		buffer_append_char(
		    &data, strchr(address, ':') ? SMFIA_INET6 : SMFIA_INET);
		buffer_append(&data, &port, 2);
		buffer_append(&data, address, strlen(address) + 1);
	}
	result = command(session, SMFIC_CONNECT, data.data, data.length,
	    SMFIP_NOCONNECT, SMFIP_NR_CONN);
	buffer_free(&data);
	return result;
}

/* MAIL FROM and RCPT TO: the address in angle brackets, one argument. */
static enum milter_verdict
address_command(struct milter_session *session, char code, const char *address,
    unsigned long skipped, unsigned long no_reply)
{
	struct buffer data = {0};
	enum milter_verdict result;

	buffer_printf(&data, "<%s>", address);
	buffer_append_char(&data, '\0');
	result =
	    command(session, code, data.data, data.length, skipped, no_reply);
	buffer_free(&data);
	return result;
}

enum milter_verdict
milter_mail(struct milter_session *session, const char *sender)
{
	return address_command(
	    session, SMFIC_MAIL, sender, SMFIP_NOMAIL, SMFIP_NR_MAIL);
}

enum milter_verdict
milter_helo(struct milter_session *session, const char *name)
{
	return command(session, SMFIC_HELO, name, strlen(name) + 1,
	    SMFIP_NOHELO, SMFIP_NR_HELO);
}

enum milter_verdict
milter_recipient(struct milter_session *session, const char *recipient)
{
	return address_command(
	    session, SMFIC_RCPT, recipient, SMFIP_NORCPT, SMFIP_NR_RCPT);
}

enum milter_verdict
milter_data(struct milter_session *session)
{
	return command(
	    session, SMFIC_DATA, NULL, 0, SMFIP_NODATA, SMFIP_NR_DATA);
}

enum milter_verdict
milter_header(
    struct milter_session *session, const char *name, const char *value)
{
	struct buffer data = {0};
	enum milter_verdict result;

	buffer_append(&data, name, strlen(name) + 1);
	/* Without SMFIP_HDR_LEADSPC the filter gets the value without the
	 * space after the colon, as sendmail sends it. */
	if (!(session->protocol & SMFIP_HDR_LEADSPC) && value[0] == ' ')
		value++;
	buffer_append(&data, value, strlen(value) + 1);
	result = command(session, SMFIC_HEADER, data.data, data.length,
	    SMFIP_NOHDRS, SMFIP_NR_HDR);
	buffer_free(&data);
	return result;
}

enum milter_verdict
milter_end_of_headers(struct milter_session *session)
{
	return command(session, SMFIC_EOH, NULL, 0, SMFIP_NOEOH, SMFIP_NR_EOH);
}

enum milter_verdict
milter_body(struct milter_session *session, const char *data, size_t length)
{
	enum milter_verdict result = MILTER_CONTINUE;

	session->skipping = false;
	for (size_t done = 0;
	     done < length && result == MILTER_CONTINUE && !session->skipping;
	     done += MILTER_CHUNK)
		result = command(session, SMFIC_BODY, data + done,
		    length - done < MILTER_CHUNK ? length - done : MILTER_CHUNK,
		    SMFIP_NOBODY, SMFIP_NR_BODY);
	return result;
}

enum milter_verdict
milter_end_of_message(struct milter_session *session)
{
	return command(session, SMFIC_BODYEOB, NULL, 0, 0, 0);
}

const char *
milter_verdict_name(enum milter_verdict verdict)
{
	static const char *const names[] = {
	    "continue", "accept", "tempfail", "reject", "discard", "error"};

	return names[verdict];
}
