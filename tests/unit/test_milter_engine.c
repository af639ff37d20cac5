/*
 * test_milter_engine.c - the milter protocol engine, packet by packet
 *
 * Packets as Postfix sends them go in; the callbacks a filter sees and
 * the reply bytes that come out are checked.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "milter_client_facts.h"
#include "metrics.h"
#include "milter_engine.h"
#include "milter_metrics.h"
#include "milter_packet.h"
#include "unit_test.h"

/* What the recording filter saw, and what it is told to answer. */
static struct {
	char calls[64];
	size_t call_count;
	char host[64];
	struct milter_client_address address;
	char last_header[64];
	size_t body_bytes;
	char queue_id[32];
	char auth[32];
	char mail_arguments[128]; /* "sender|PARAM|PARAM" */
	enum milter_status header_status, eoh_status, eom_status;
	const char *reply_code;
	bool closed;
} seen;

static int state_token;

static void
call(char what)
{
	if (seen.call_count + 1 < sizeof(seen.calls))
		seen.calls[seen.call_count++] = what;
}

static void *
record_open(struct milter_context *context)
{
	(void)context;
	call('O');
	return &state_token;
}

static enum milter_status
record_connect(struct milter_context *context, void *state, const char *host,
    const struct milter_client_address *address)
{
	(void)context;
	assert_ptr_equal(state, &state_token);
	call('C');
	snprintf(seen.host, sizeof(seen.host), "%s", host);
	seen.address = *address;
	return MILTER_CONTINUE;
}

static enum milter_status
record_mail(
    struct milter_context *context, void *state, const char *const *arguments)
{
	const char *auth = milter_macro(context, "{auth_authen}");
	size_t used = 0;

	(void)state;
	call('M');
	for (size_t i = 0; arguments[i] != NULL; i++)
		used += (size_t)snprintf(seen.mail_arguments + used,
		    sizeof(seen.mail_arguments) - used, "%s%s", i ? "|" : "",
		    arguments[i]);
	snprintf(seen.auth, sizeof(seen.auth), "%s", auth ? auth : "");
	return MILTER_CONTINUE;
}

static enum milter_status
record_header(struct milter_context *context, void *state, const char *name,
    const char *value)
{
	(void)state;
	call('L');
	snprintf(
	    seen.last_header, sizeof(seen.last_header), "%s:%s", name, value);
	if (seen.header_status != MILTER_CONTINUE && seen.reply_code)
		milter_set_reply(context, seen.reply_code,
		    seen.reply_code[0] == '5' ? "5.7.1" : "4.7.1", "go away");
	return seen.header_status;
}

static enum milter_status
record_end_of_headers(struct milter_context *context, void *state)
{
	const char *id = milter_macro(context, "i");

	(void)state;
	call('N');
	snprintf(seen.queue_id, sizeof(seen.queue_id), "%s", id ? id : "");
	return seen.eoh_status;
}

static enum milter_status
record_body(struct milter_context *context, void *state,
    const unsigned char *data, size_t length)
{
	(void)context;
	(void)state;
	(void)data;
	call('B');
	seen.body_bytes += length;
	return MILTER_CONTINUE;
}

static enum milter_status
record_end_of_message(struct milter_context *context, void *state)
{
	(void)state;
	call('E');
	assert_true(milter_insert_header(context, 0, "X-First", "one"));
	assert_true(milter_add_header(context, "X-Last", "two"));
	return seen.eom_status;
}

static void
record_abort(struct milter_context *context, void *state)
{
	(void)context;
	(void)state;
	call('A');
}

static void
record_close(struct milter_context *context, void *state)
{
	(void)context;
	(void)state;
	call('Q');
	seen.closed = true;
}

static const struct milter_filter recorder = {
    .name = "recorder",
    .actions = SMFIF_ADDHDRS,
    .protocol = SMFIP_NOHELO | SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR |
                SMFIP_NR_BODY | SMFIP_HDR_LEADSPC | 0x20000000 /* MDS_1M */,
    .open = record_open,
    .connect = record_connect,
    .mail = record_mail,
    .header = record_header,
    .end_of_headers = record_end_of_headers,
    .body = record_body,
    .end_of_message = record_end_of_message,
    .abort = record_abort,
    .close = record_close,
};

static struct buffer wire;

static void
packet(char command, const void *data, size_t length)
{
	milter_packet_append(&wire, command, data, length);
}

#define PACKET(command, literal) packet(command, literal, sizeof(literal) - 1)

static void
negotiate(uint32_t actions, uint32_t offered)
{
	uint32_t data[3] = {htonl(6), htonl(actions), htonl(offered)};

	packet(SMFIC_OPTNEG, data, sizeof(data));
}

static int
setup(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	buffer_reset(&wire);
	return 0;
}

/* Feed the wire bytes in chunks of chunk bytes (0: whole); the replies
 * are left in out. */
static enum milter_input
feed(struct milter_context *context, size_t chunk, struct buffer *out)
{
	unsigned char pending[200000];
	size_t have = 0, given = 0, consumed, wanted;
	enum milter_input status = MILTER_INPUT_MORE;

	assert_true(wire.length <= sizeof(pending));
	buffer_reset(out);
	while (given < wire.length && status == MILTER_INPUT_MORE) {
		size_t take = chunk == 0 || wire.length - given < chunk
		                  ? wire.length - given
		                  : chunk;

		memcpy(pending + have, wire.data + given, take);
		have += take;
		given += take;
		status = milter_context_input(
		    context, pending, have, &consumed, &wanted);
		if (status == MILTER_INPUT_MORE)
			assert_true(wanted > have - consumed);
		memmove(pending, pending + consumed, have - consumed);
		have -= consumed;
		buffer_append(out, milter_context_output(context)->data,
		    milter_context_output(context)->length);
		buffer_reset(milter_context_output(context));
	}
	return status;
}

/* The reply commands in out, as a string ("Oc" ...). */
static const char *
reply_commands(const struct buffer *out, char *text, size_t size)
{
	size_t at = 0, n = 0;

	while (at + 5 <= out->length && n + 1 < size) {
		text[n++] = out->data[at + 4];
		at += 4 + milter_get_u32(out->data + at);
	}
	text[n] = '\0';
	assert_int_equal(at, out->length);
	return text;
}

static void
whole_message(void)
{
	negotiate(SMFIF_ADDHDRS | SMFIF_CHGHDRS, 0x1FFFFF);
	PACKET(SMFIC_MACRO, "C{daemon_name}\0smtpd\0");
	PACKET(SMFIC_CONNECT, "client.example\0"
	                      "4\0\031192.0.2.7\0");
	PACKET(SMFIC_MACRO, "M{auth_authen}\0alice\0");
	PACKET(SMFIC_MAIL, "<a@example.com>\0");
	PACKET(SMFIC_HEADER, "From\0 a@example.com\0");
	PACKET(SMFIC_HEADER, "Subject\0 hi\0");
	PACKET(SMFIC_MACRO, "Ni\0"
	                    "4QueueId\0");
	PACKET(SMFIC_EOH, "");
	PACKET(SMFIC_BODY, "hello\r\n");
	PACKET(SMFIC_BODYEOB, "");
}

static void
test_a_message_with_no_reply_steps(void **state)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};
	char commands[32];
	uint32_t granted[3];

	(void)state;
	whole_message();
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
	assert_string_equal(seen.calls, "OCMLLNBE");
	assert_string_equal(seen.host, "client.example");
	assert_int_equal(seen.address.family, AF_INET);
	assert_memory_equal(seen.address.bytes, "\xc0\x00\x02\x07", 4);
	assert_string_equal(seen.last_header, "Subject: hi");
	assert_string_equal(seen.auth, "alice");
	assert_string_equal(seen.queue_id, "4QueueId");
	assert_int_equal(seen.body_bytes, 7);
	/* Negotiation, EOH, then the header changes before the verdict. */
	assert_string_equal(
	    reply_commands(&out, commands, sizeof(commands)), "Ocihc");
	memcpy(granted, out.data + 5, sizeof(granted));
	assert_int_equal(ntohl(granted[0]), 6);
	assert_int_equal(ntohl(granted[1]), SMFIF_ADDHDRS);
	/* The MDS bits are libmilter's business: never granted. */
	assert_int_equal(ntohl(granted[2]),
	    SMFIP_NOHELO | SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR |
	        SMFIP_NR_BODY | SMFIP_HDR_LEADSPC);
	buffer_free(&out);
	milter_context_free(context);
	assert_true(seen.closed);
}

static void
test_split_input_gives_the_same_replies(void **state)
{
	struct buffer whole = {0}, pieces = {0};

	(void)state;
	whole_message();
	for (size_t chunk = 1; chunk <= 13; chunk++) {
		struct milter_context *a = milter_context_new(&recorder);
		struct milter_context *b = milter_context_new(&recorder);

		assert_int_equal(feed(a, 0, &whole), MILTER_INPUT_MORE);
		assert_int_equal(feed(b, chunk, &pieces), MILTER_INPUT_MORE);
		assert_int_equal(whole.length, pieces.length);
		assert_memory_equal(whole.data, pieces.data, whole.length);
		milter_context_free(a);
		milter_context_free(b);
	}
	buffer_free(&whole);
	buffer_free(&pieces);
}

static void
test_a_verdict_from_a_header_waits_for_end_of_headers(void **state)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};
	char commands[32];

	(void)state;
	seen.header_status = MILTER_REJECT;
	seen.reply_code = "550";
	whole_message();
	feed(context, 0, &out);
	/* Headers get no reply; EOH gets the held verdict. The second
	 * header, EOH's callback and the rest of the message are skipped. */
	assert_string_equal(seen.calls, "OCML");
	assert_string_equal(
	    reply_commands(&out, commands, sizeof(commands)), "Oyc");
	assert_string_equal(out.data + 4 + 13 + 5, "550 5.7.1 go away");
	buffer_free(&out);
	milter_context_free(context);
}

static void
test_tempfail_without_text_is_a_plain_tempfail(void **state)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};
	char commands[32];

	(void)state;
	seen.eoh_status = MILTER_TEMPFAIL;
	whole_message();
	feed(context, 0, &out);
	assert_string_equal(
	    reply_commands(&out, commands, sizeof(commands)), "Otc");
	buffer_free(&out);
	milter_context_free(context);
}

static void
test_macros_of_the_last_message_are_gone(void **state)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};

	(void)state;
	whole_message();
	/* A second message: new MAIL macros without {auth_authen}, and no
	 * EOH macros: the old queue ID must not show through. */
	PACKET(SMFIC_MACRO, "M{mail_addr}\0b@example.com\0");
	PACKET(SMFIC_MAIL, "<b@example.com>\0SMTPUTF8\0SIZE=12\0");
	PACKET(SMFIC_EOH, "");
	feed(context, 0, &out);
	assert_string_equal(
	    seen.mail_arguments, "<b@example.com>|SMTPUTF8|SIZE=12");
	assert_string_equal(seen.auth, "");
	assert_string_equal(seen.queue_id, "");
	/* Kept: the connect stage's macros. */
	assert_string_equal(milter_macro(context, "daemon_name"), "smtpd");
	assert_string_equal(milter_macro(context, "{daemon_name}"), "smtpd");
	buffer_free(&out);
	milter_context_free(context);
}

static void
test_ipv6_unix_and_unknown_clients(void **state)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};

	(void)state;
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_CONNECT, "h\0"
	                      "6\0\031IPv6:2001:db8::1\0");
	feed(context, 0, &out);
	assert_int_equal(seen.address.family, AF_INET6);
	assert_int_equal(seen.address.bytes[0], 0x20);
	assert_int_equal(seen.address.bytes[15], 1);
	milter_context_free(context);

	setup(NULL);
	context = milter_context_new(&recorder);
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_CONNECT, "localhost\0U");
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
	assert_int_equal(seen.address.family, 0);
	assert_string_equal(seen.host, "localhost");
	buffer_free(&out);
	milter_context_free(context);
}

/* A filter that skips the connect step and asks for its macros. */
static const struct milter_filter asker = {
    .name = "asker",
    .actions = SMFIF_ADDHDRS,
    .protocol = SMFIP_NOCONNECT | SMFIP_NR_MAIL,
    .macro_lists = milter_client_macros,
    .mail = record_mail,
};

/* The address {client_addr} gives after a MAIL FROM. */
static struct milter_client_address
client_from(const char *macro_packet, size_t length)
{
	struct milter_context *context = milter_context_new(&asker);
	struct milter_client_address address = {.family = 99};
	struct buffer out = {0};

	setup(NULL);
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	packet(SMFIC_MACRO, macro_packet, length);
	PACKET(SMFIC_MAIL, "<a@example.com>\0");
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
	milter_client_from_macro(context, &address);
	buffer_free(&out);
	milter_context_free(context);
	return address;
}

#define CLIENT_FROM(literal) client_from(literal, sizeof(literal) - 1)

static void
test_macro_lists_and_the_client_from_them(void **state)
{
	static const char lists[] =
	    "\0\0\0\2{client_addr} {auth_type} {auth_authen}\0"
	    "\0\0\0\6i\0\0\0\0\5i\0";
	struct milter_context *context = milter_context_new(&asker);
	struct milter_client_address address;
	struct cidr_list none = {0};
	struct buffer out = {0};

	(void)state;
	/* Version 6: the three numbers, then the lists. */
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	feed(context, 0, &out);
	assert_int_equal(milter_get_u32(out.data), 1 + 12 + sizeof(lists) - 1);
	assert_int_equal(out.data[4], SMFIC_OPTNEG);
	assert_int_equal(
	    milter_get_u32(out.data + 13), SMFIP_NOCONNECT | SMFIP_NR_MAIL);
	assert_memory_equal(out.data + 17, lists, sizeof(lists) - 1);
	milter_context_free(context);
	/* An older MTA gets no lists. */
	setup(NULL);
	context = milter_context_new(&asker);
	{
		uint32_t data[3] = {htonl(2), htonl(SMFIF_ADDHDRS), htonl(0)};

		packet(SMFIC_OPTNEG, data, sizeof(data));
	}
	feed(context, 0, &out);
	assert_int_equal(milter_get_u32(out.data), 1 + 12);
	milter_context_free(context);
	buffer_free(&out);

	address = CLIENT_FROM("M{client_addr}\0"
	                      "192.0.2.7\0");
	assert_int_equal(address.family, AF_INET);
	assert_int_equal(address.bytes[3], 7);
	address = CLIENT_FROM("M{client_addr}\0IPv6:2001:db8::1\0");
	assert_int_equal(address.family, AF_INET6);
	assert_int_equal(address.bytes[15], 1);
	address = CLIENT_FROM("M{client_addr}\0"
	                      "2001:db8::2\0");
	assert_int_equal(address.family, AF_INET6);
	assert_int_equal(address.bytes[15], 2);
	/* Postfix's word for a client without an address: local. */
	address = CLIENT_FROM("M{client_addr}\0unknown\0");
	assert_int_equal(address.family, 0);
	assert_true(milter_client_internal(&address, &none));
	/* Not an address: missing, which is never internal. */
	address = CLIENT_FROM("M{client_addr}\0"
	                      "192.0.2.300\0");
	assert_int_equal(address.family, MILTER_ADDRESS_MISSING);
	assert_false(milter_client_internal(&address, &none));
	/* No macro: the address is left as it was. */
	address = CLIENT_FROM("M{auth_authen}\0alice\0");
	assert_int_equal(address.family, 99);
}

/* A filter that skips MAIL FROM too (as waypost-dkim): its client comes
 * at the end of the headers, and it answers only at the end. */
static enum milter_status
late_end_of_headers(struct milter_context *context, void *state)
{
	(void)state;
	call('N');
	milter_client_from_macro(context, &seen.address);
	return seen.eoh_status;
}

static const struct milter_filter late = {
    .name = "late",
    .actions = SMFIF_ADDHDRS,
    .protocol = SMFIP_NOCONNECT | SMFIP_NOMAIL | SMFIP_NR_HDR | SMFIP_NR_EOH |
                SMFIP_NR_BODY,
    .macro_lists = milter_client_macros_eoh,
    .open = record_open,
    .mail = record_mail,
    .header = record_header,
    .end_of_headers = late_end_of_headers,
    .body = record_body,
    .end_of_message = record_end_of_message,
};

static void
test_client_at_end_of_headers_and_one_reply(void **state)
{
	static const char lists[] =
	    "\0\0\0\6i {client_addr} {auth_type} {auth_authen}\0"
	    "\0\0\0\5i\0";
	struct milter_context *context = milter_context_new(&late);
	struct buffer out = {0};

	(void)state;
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	feed(context, 0, &out);
	assert_int_equal(milter_get_u32(out.data + 13),
	    SMFIP_NOCONNECT | SMFIP_NOMAIL | SMFIP_NR_HDR | SMFIP_NR_EOH |
	        SMFIP_NR_BODY);
	assert_int_equal(milter_get_u32(out.data), 1 + 12 + sizeof(lists) - 1);
	assert_memory_equal(out.data + 17, lists, sizeof(lists) - 1);
	/* A whole message in one burst, as Postfix sends it: the MAIL FROM
	 * macros (no command), headers, the end of the headers with its
	 * macros, a body chunk and the end: one reply, at the end. */
	setup(NULL);
	PACKET(SMFIC_MACRO, "Mi\0ABC123\0");
	PACKET(SMFIC_HEADER, "From\0 a@example.com\0");
	PACKET(SMFIC_MACRO, "Ni\0ABC123\0{client_addr}\0IPv6:2001:db8::7\0");
	PACKET(SMFIC_EOH, "");
	PACKET(SMFIC_BODY, "hello\r\n");
	PACKET(SMFIC_BODYEOB, "");
	seen.eom_status = MILTER_ACCEPT;
	buffer_reset(&out);
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
	assert_string_equal(seen.calls, "LNBE");
	assert_int_equal(seen.address.family, AF_INET6);
	assert_int_equal(seen.address.bytes[15], 7);
	assert_int_equal(milter_get_u32(out.data),
	    1 + 4 + sizeof("X-First") + sizeof("one"));
	/* A verdict at the end of the headers waits for the end, and the
	 * body is not passed on meanwhile. */
	setup(NULL);
	seen.eoh_status = MILTER_ACCEPT;
	PACKET(SMFIC_HEADER, "From\0 a@example.com\0");
	PACKET(SMFIC_MACRO, "N{client_addr}\0unknown\0");
	PACKET(SMFIC_EOH, "");
	PACKET(SMFIC_BODY, "hello\r\n");
	buffer_reset(&out);
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
	assert_int_equal(out.length, 0);
	buffer_reset(&wire);
	PACKET(SMFIC_BODYEOB, "");
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
	assert_string_equal(seen.calls, "LN");
	assert_int_equal(seen.address.family, 0);
	assert_int_equal(out.length, 5);
	assert_int_equal(out.data[4], SMFIR_ACCEPT);
	buffer_free(&out);
	milter_context_free(context);
}

static void
assert_protocol_error(const char *expected)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};

	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_ERROR);
	assert_non_null(strstr(milter_context_error(context), expected));
	buffer_free(&out);
	milter_context_free(context);
}

static void
test_bad_packets_end_the_connection(void **state)
{
	uint32_t huge = htonl(MILTER_PACKET_MAX + 1);

	(void)state;
	PACKET(SMFIC_MAIL, "<a@b>\0");
	assert_protocol_error("before option negotiation");

	setup(NULL);
	buffer_append(&wire, &huge, 4);
	buffer_append_char(&wire, 'L');
	assert_protocol_error("packet of 1048641 bytes");

	setup(NULL);
	buffer_append(&wire, "\0\0\0\0", 4);
	buffer_append_char(&wire, 'L');
	assert_protocol_error("packet of 0 bytes");

	setup(NULL);
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_HEADER, "NoValue\0");
	assert_protocol_error("malformed header packet");

	setup(NULL);
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_CONNECT, "h\0"
	                      "4\0\031192.0.2.300\0");
	assert_protocol_error("bad client address \"192.0.2.300\"");

	setup(NULL);
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_MACRO, "Mname-without-value\0");
	assert_protocol_error("malformed macro packet");

	setup(NULL);
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET('Z', "");
	assert_protocol_error("unknown command 0x5a");

	/* An MTA that does not let the filter add headers. */
	setup(NULL);
	negotiate(SMFIF_CHGBODY, 0x1FFFFF);
	assert_protocol_error("does not allow the actions recorder needs");
	assert_string_equal(seen.calls, "");
}

static void
test_packet_at_the_limit_is_accepted(void **state)
{
	/* "X-Big\0", then a 1 MB value with its NUL. */
	static char header[6 + 1024 * 1024];
	struct milter_context *context = milter_context_new(&recorder);
	size_t consumed, wanted;

	(void)state;
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_MAIL, "<a@b>\0");
	memcpy(header, "X-Big\0", 6);
	memset(header + 6, 'x', sizeof(header) - 6 - 1);
	packet(SMFIC_HEADER, header, sizeof(header));
	assert_int_equal(
	    milter_context_input(context, (const unsigned char *)wire.data,
	        wire.length, &consumed, &wanted),
	    MILTER_INPUT_MORE);
	assert_int_equal(consumed, wire.length);
	assert_int_equal(
	    strlen(seen.last_header), sizeof(seen.last_header) - 1);
	milter_context_free(context);
}

static void
test_abort_quit_and_a_new_negotiation(void **state)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};
	char commands[32];

	(void)state;
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_MAIL, "<a@b>\0");
	PACKET(SMFIC_ABORT, "");
	PACKET(SMFIC_QUIT_NC, "");
	negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
	PACKET(SMFIC_MAIL, "<a@b>\0");
	PACKET(SMFIC_BODYEOB, "last\r\n");
	PACKET(SMFIC_QUIT, "");
	PACKET(SMFIC_MAIL, "<never@seen>\0");
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_QUIT);
	assert_string_equal(seen.calls, "OMAQOMBE");
	assert_int_equal(seen.body_bytes, 6);
	assert_string_equal(
	    reply_commands(&out, commands, sizeof(commands)), "OOihc");
	milter_context_free(context);
	assert_string_equal(seen.calls, "OMAQOMBEQ");
	buffer_free(&out);
}

/* A sample's value in the registry's text now. */
static double
sample(const char *name)
{
	struct buffer text = {0};
	const char *found;
	double value = -1;

	metrics_render(&text);
	found = strstr(buffer_text(&text), name);
	assert_non_null(found);
	assert_int_equal(sscanf(found + strlen(name), " %lf", &value), 1);
	buffer_free(&text);
	return value;
}

#define MESSAGES(result)                                                       \
	sample("\nwaypost_milter_messages_total{result=\"" result "\"}")
#define END_OF_MESSAGE_STEPS                                                   \
	sample("\nwaypost_milter_message_duration_seconds_count")

/* One message whose end of message answers status. */
static void
message_answered(enum milter_status eom_status, enum milter_status header)
{
	struct milter_context *context = milter_context_new(&recorder);
	struct buffer out = {0};

	setup(NULL);
	seen.eom_status = eom_status;
	seen.header_status = header;
	whole_message();
	assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
	buffer_free(&out);
	milter_context_free(context);
}

static void
test_verdicts_counted_once_per_message(void **state)
{
	double accept, reject, tempfail, discard, steps;

	(void)state;
	milter_metrics_init();
	accept = MESSAGES("accept");
	reject = MESSAGES("reject");
	tempfail = MESSAGES("tempfail");
	discard = MESSAGES("discard");
	steps = END_OF_MESSAGE_STEPS;
	/* "continue" at the end, an accept, a tempfail there. */
	message_answered(MILTER_CONTINUE, MILTER_CONTINUE);
	message_answered(MILTER_ACCEPT, MILTER_CONTINUE);
	message_answered(MILTER_TEMPFAIL, MILTER_CONTINUE);
	/* A reject held from a header: sent at the end of the headers,
	 * counted then, not again at the end of the message. */
	message_answered(MILTER_ACCEPT, MILTER_REJECT);
	/* Aborted before its end: no verdict, nothing counted. */
	setup(NULL);
	{
		struct milter_context *context = milter_context_new(&recorder);
		struct buffer out = {0};

		negotiate(SMFIF_ADDHDRS, 0x1FFFFF);
		PACKET(SMFIC_MAIL, "<a@b>\0");
		PACKET(SMFIC_HEADER, "From\0 a@example.com\0");
		PACKET(SMFIC_ABORT, "");
		assert_int_equal(feed(context, 0, &out), MILTER_INPUT_MORE);
		buffer_free(&out);
		milter_context_free(context);
	}
	assert_true(MESSAGES("accept") == accept + 2);
	assert_true(MESSAGES("tempfail") == tempfail + 1);
	assert_true(MESSAGES("reject") == reject + 1);
	assert_true(MESSAGES("discard") == discard);
	assert_true(END_OF_MESSAGE_STEPS == steps + 4);
}

static void
test_header_changes_only_at_end_of_message(void **state)
{
	struct milter_context *context = milter_context_new(&recorder);

	(void)state;
	assert_false(milter_add_header(context, "X-Too-Early", "v"));
	assert_false(milter_set_reply(context, "250", "2.0.0", "not a fail"));
	assert_false(milter_set_reply(context, "451", "4.7.0", "two\r\nlines"));
	assert_true(milter_set_reply(context, "451", "4.7.0", "fine"));
	milter_context_free(context);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_a_message_with_no_reply_steps, setup),
	    cmocka_unit_test_setup(
	        test_split_input_gives_the_same_replies, setup),
	    cmocka_unit_test_setup(
	        test_a_verdict_from_a_header_waits_for_end_of_headers, setup),
	    cmocka_unit_test_setup(
	        test_tempfail_without_text_is_a_plain_tempfail, setup),
	    cmocka_unit_test_setup(
	        test_macros_of_the_last_message_are_gone, setup),
	    cmocka_unit_test_setup(test_ipv6_unix_and_unknown_clients, setup),
	    cmocka_unit_test_setup(
	        test_macro_lists_and_the_client_from_them, setup),
	    cmocka_unit_test_setup(
	        test_client_at_end_of_headers_and_one_reply, setup),
	    cmocka_unit_test_setup(test_bad_packets_end_the_connection, setup),
	    cmocka_unit_test_setup(test_packet_at_the_limit_is_accepted, setup),
	    cmocka_unit_test_setup(
	        test_abort_quit_and_a_new_negotiation, setup),
	    cmocka_unit_test_setup(
	        test_header_changes_only_at_end_of_message, setup),
	    cmocka_unit_test_setup(
	        test_verdicts_counted_once_per_message, setup),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
