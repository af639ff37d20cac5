/*
 * test_milter_message.c - one message's life in a milter, through the
 * real protocol engine
 *
 * A small filter built on milter_message.c is fed packets as Postfix
 * sends them: the message holds the runtime it began with and its count
 * in flight until exactly one end (verdict, abort or close), keeps its
 * headers with their leading space whatever was negotiated, and its
 * queue ID once seen. The runtime comes from a real swap_slot.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "milter_drain.h"
#include "milter_engine.h"
#include "milter_message.h"
#include "milter_packet.h"
#include "swap_slot.h"
#include "unit_test.h"

static struct swap_slot slot = SWAP_SLOT_INITIALIZER;
static atomic_int runtimes_ended;

static void
end_runtime(struct swap_item *item)
{
	atomic_fetch_add(&runtimes_ended, 1);
	free(item);
}

static struct swap_item *
install_runtime(void)
{
	struct swap_item *item = calloc(1, sizeof(*item));

	assert_non_null(item);
	swap_item_init(item, end_runtime);
	swap_slot_install(&slot, item, NULL);
	return item;
}

static struct swap_item *
acquire(void)
{
	return swap_slot_acquire(&slot);
}

/* What the filter saw at the end of the headers. */
static struct {
	enum milter_message_start start;
	struct swap_item *runtime;
	char first_value[32];
	size_t header_count;
	char queue_id_before[32], queue_id_after[32];
	int filter_parts_ended;
} seen;

struct message {
	struct milter_message common;
	int filter_part;
};

static void
message_end(struct milter_message *common)
{
	seen.filter_parts_ended += ((struct message *)common)->filter_part;
}

static const struct header_limits limits = {2, 1000};
static const struct milter_message_kind kind = {
    .size = sizeof(struct message),
    .limits = &limits,
    .acquire = acquire,
    .end = message_end,
};

static enum milter_status
filter_header(struct milter_context *context, void *state, const char *name,
    const char *value)
{
	struct milter_connection *connection = state;

	if (connection->message == NULL) {
		milter_message_begin(connection, context, &kind);
		((struct message *)connection->message)->filter_part = 1;
	}
	milter_message_header(connection->message, name, value);
	return MILTER_CONTINUE;
}

static enum milter_status
filter_end_of_headers(struct milter_context *context, void *state)
{
	struct milter_connection *connection = state;
	struct milter_message *message = connection->message;
	const char *id;

	seen.start = message->start;
	seen.runtime = message->runtime;
	seen.header_count = message->headers.count;
	if (message->headers.count > 0)
		strcpy(seen.first_value, message->headers.fields[0].value);
	strcpy(seen.queue_id_before, message->queue_id[0] ? "set" : "empty");
	id = milter_message_queue_id(message, context);
	strcpy(seen.queue_id_after, id);
	return MILTER_CONTINUE;
}

static enum milter_status
filter_end_of_message(struct milter_context *context, void *state)
{
	(void)context;
	milter_message_end(state);
	return MILTER_ACCEPT;
}

static const struct milter_filter filter = {
    .name = "test",
    .protocol = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |
                SMFIP_NOBODY | SMFIP_HDR_LEADSPC,
    .open = milter_connection_open,
    .connect = milter_connection_connect,
    .header = filter_header,
    .end_of_headers = filter_end_of_headers,
    .end_of_message = filter_end_of_message,
    .abort = milter_message_abort,
    .close = milter_connection_close,
};

static struct buffer wire;

#define PACKET(command, literal)                                               \
	milter_packet_append(&wire, command, literal, sizeof(literal) - 1)

static void
negotiate(uint32_t offered)
{
	uint32_t data[3] = {htonl(6), htonl(0), htonl(offered)};

	milter_packet_append(&wire, SMFIC_OPTNEG, data, sizeof(data));
}

/* Headers as an MTA that keeps (or drops) the leading space sends them. */
static void
headers(bool leading_space)
{
	if (leading_space) {
		PACKET(SMFIC_HEADER, "Subject\0 hi\0");
		PACKET(SMFIC_HEADER, "To\0 b@example.com\0");
	} else {
		PACKET(SMFIC_HEADER, "Subject\0hi\0");
		PACKET(SMFIC_HEADER, "To\0b@example.com\0");
	}
	PACKET(SMFIC_HEADER, "X-Third\0 over the count bound\0");
	PACKET(SMFIC_MACRO, "Ni\0"
	                    "4QueueId\0");
	PACKET(SMFIC_EOH, "");
}

static struct milter_context *
feed(void)
{
	struct milter_context *context = milter_context_new(&filter);
	size_t consumed, wanted;

	assert_int_equal(
	    milter_context_input(context, (const unsigned char *)wire.data,
	        wire.length, &consumed, &wanted),
	    MILTER_INPUT_MORE);
	assert_int_equal(consumed, wire.length);
	return context;
}

static int
setup(void **state)
{
	(void)state;
	memset(&seen, 0, sizeof(seen));
	buffer_reset(&wire);
	atomic_store(&runtimes_ended, 0);
	return 0;
}

static void
test_a_message_holds_its_runtime_to_its_verdict(void **state)
{
	struct swap_item *runtime = install_runtime();
	struct milter_context *context;

	(void)state;
	negotiate(0x1FFFFF);
	headers(true);
	context = feed();
	assert_int_equal(seen.start, MILTER_MESSAGE_TAKEN);
	assert_ptr_equal(seen.runtime, runtime);
	assert_int_equal(milter_drain_wait(0), 1);
	/* A reload meanwhile: the message keeps the runtime it began with. */
	install_runtime();
	assert_int_equal(atomic_load(&runtimes_ended), 0);
	buffer_reset(&wire);
	PACKET(SMFIC_BODYEOB, "");
	milter_context_input(context, (const unsigned char *)wire.data,
	    wire.length, &(size_t){0}, &(size_t){0});
	assert_int_equal(atomic_load(&runtimes_ended), 1);
	assert_int_equal(milter_drain_wait(0), 0);
	assert_int_equal(seen.filter_parts_ended, 1);
	milter_context_free(context);
	swap_slot_install(&slot, NULL, NULL);
	assert_int_equal(atomic_load(&runtimes_ended), 2);
}

static void
test_headers_within_bounds_with_their_leading_space(void **state)
{
	struct milter_context *context;

	(void)state;
	install_runtime();
	for (int granted = 0; granted < 2; granted++) {
		setup(NULL);
		negotiate(granted ? 0x1FFFFF : 0x1FFFFF & ~SMFIP_HDR_LEADSPC);
		headers(granted);
		context = feed();
		assert_string_equal(seen.first_value, " hi");
		assert_int_equal(seen.header_count, 2); /* limits: 2 */
		milter_context_free(context);
	}
	swap_slot_install(&slot, NULL, NULL);
}

static void
test_the_queue_id_is_kept_once_seen(void **state)
{
	struct milter_context *context;

	(void)state;
	install_runtime();
	negotiate(0x1FFFFF);
	headers(true);
	context = feed();
	assert_string_equal(seen.queue_id_before, "empty");
	assert_string_equal(seen.queue_id_after, "4QueueId");
	milter_context_free(context);
	swap_slot_install(&slot, NULL, NULL);
}

static void
test_abort_and_close_end_the_message_once(void **state)
{
	struct milter_context *context;

	(void)state;
	install_runtime();
	negotiate(0x1FFFFF);
	headers(true);
	PACKET(SMFIC_ABORT, "");
	context = feed();
	assert_int_equal(milter_drain_wait(0), 0);
	assert_int_equal(seen.filter_parts_ended, 1);
	milter_context_free(context);
	assert_int_equal(seen.filter_parts_ended, 1);

	setup(NULL);
	negotiate(0x1FFFFF);
	headers(true);
	context = feed();
	assert_int_equal(milter_drain_wait(0), 1);
	milter_context_free(context); /* the MTA went away */
	assert_int_equal(milter_drain_wait(0), 0);
	assert_int_equal(seen.filter_parts_ended, 1);
	swap_slot_install(&slot, NULL, NULL);
	assert_int_equal(atomic_load(&runtimes_ended), 1);
}

static void
test_without_a_runtime_the_message_is_refused(void **state)
{
	struct milter_context *context;

	(void)state;
	negotiate(0x1FFFFF);
	headers(true);
	context = feed();
	assert_int_equal(seen.start, MILTER_MESSAGE_NO_RUNTIME);
	assert_null(seen.runtime);
	assert_int_equal(seen.header_count, 0);
	/* Counted until its end all the same: the filter answers it. */
	milter_context_free(context);
	assert_int_equal(milter_drain_wait(0), 0);
}

/* Last: a stop cannot be taken back in a process. */
static void
test_once_stopping_a_message_is_refused(void **state)
{
	struct milter_context *context;

	(void)state;
	install_runtime();
	milter_drain_refuse_new();
	negotiate(0x1FFFFF);
	headers(true);
	context = feed();
	assert_int_equal(seen.start, MILTER_MESSAGE_STOPPING);
	assert_null(seen.runtime);
	assert_int_equal(seen.header_count, 0);
	assert_int_equal(milter_drain_wait(0), 0);
	milter_context_free(context);
	swap_slot_install(&slot, NULL, NULL);
	assert_int_equal(atomic_load(&runtimes_ended), 1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(
        test_a_message_holds_its_runtime_to_its_verdict, setup),
    cmocka_unit_test_setup(
        test_headers_within_bounds_with_their_leading_space, setup),
    cmocka_unit_test_setup(test_the_queue_id_is_kept_once_seen, setup),
    cmocka_unit_test_setup(test_abort_and_close_end_the_message_once, setup),
    cmocka_unit_test_setup(
        test_without_a_runtime_the_message_is_refused, setup),
    cmocka_unit_test_setup(test_once_stopping_a_message_is_refused, setup),
};

UNIT_TEST_MAIN(tests)
