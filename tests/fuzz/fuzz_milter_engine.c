/*
 * fuzz_milter_engine.c - fuzz target: the milter protocol engine
 *
 * The bytes an MTA could send, after the first input byte, go through a
 * milter_context twice: whole, and in chunks of the size that byte says
 * (as reads may split them). The filter here uses every callback and
 * every helper (macros, reply text, header changes, a verdict held from
 * a no-reply step). Both runs must end the same way with the same reply
 * bytes: the engine keeps no state that depends on how input is split.
 * Finds out-of-bounds reads in the packet parsers and any difference.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "fuzz.h"
#include "milter_engine.h"

static int state_token;

static void *
fuzz_open(struct milter_context *context)
{
	(void)context;
	return &state_token;
}

static enum milter_status
fuzz_connect(struct milter_context *context, void *state, const char *host,
    const struct milter_client_address *address)
{
	(void)state;
	(void)address;
	(void)milter_macro(context, "j");
	return host[0] == 'r' ? MILTER_REJECT : MILTER_CONTINUE;
}

static enum milter_status
fuzz_header(struct milter_context *context, void *state, const char *name,
    const char *value)
{
	(void)state;
	if (strcmp(name, "Reject") == 0) {
		milter_set_reply(context, "550", "5.7.1", value);
		return MILTER_REJECT; /* held: headers get no reply */
	}
	return MILTER_CONTINUE;
}

static enum milter_status
fuzz_end_of_headers(struct milter_context *context, void *state)
{
	const char *id = milter_macro(context, "{i}");

	(void)state;
	if (id != NULL && id[0] == 't') {
		milter_set_reply(context, "451", "4.7.0", id);
		return MILTER_TEMPFAIL;
	}
	return MILTER_CONTINUE;
}

static enum milter_status
fuzz_body(struct milter_context *context, void *state,
    const unsigned char *data, size_t length)
{
	(void)context;
	(void)state;
	return length > 0 && data[0] == 'd' ? MILTER_DISCARD : MILTER_CONTINUE;
}

static enum milter_status
fuzz_end_of_message(struct milter_context *context, void *state)
{
	const char *id = milter_macro(context, "i");

	(void)state;
	milter_insert_header(context, 0, "X-Id", id != NULL ? id : "none");
	milter_add_header(context, "X-Added", "yes");
	milter_change_header(context, 1, "Subject", "");
	return MILTER_ACCEPT;
}

static const struct milter_filter filter = {
    .name = "fuzz",
    .actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
    .protocol =
        SMFIP_NR_CONN | SMFIP_NR_HDR | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC,
    .open = fuzz_open,
    .connect = fuzz_connect,
    .header = fuzz_header,
    .end_of_headers = fuzz_end_of_headers,
    .body = fuzz_body,
    .end_of_message = fuzz_end_of_message,
};

struct run {
	enum milter_input status;
	struct buffer replies;
};

/* Feed data in chunks of chunk bytes (0: whole), as the server does:
 * what is not consumed stays in front of the next read. */
static void
feed(const uint8_t *data, size_t size, size_t chunk, struct run *run)
{
	struct milter_context *context = milter_context_new(&filter);
	unsigned char *pending = malloc(size + 1);
	size_t have = 0, given = 0, consumed, wanted;

	if (pending == NULL)
		abort();
	run->status = MILTER_INPUT_MORE;
	while (given < size && run->status == MILTER_INPUT_MORE) {
		size_t take =
		    chunk == 0 || size - given < chunk ? size - given : chunk;

		memcpy(pending + have, data + given, take);
		have += take;
		given += take;
		run->status = milter_context_input(
		    context, pending, have, &consumed, &wanted);
		memmove(pending, pending + consumed, have - consumed);
		have -= consumed;
		buffer_append(&run->replies,
		    milter_context_output(context)->data,
		    milter_context_output(context)->length);
		buffer_reset(milter_context_output(context));
	}
	milter_context_free(context);
	free(pending);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = {0}, pieces = {0};

	if (size < 1)
		return 0;
	feed(data + 1, size - 1, 0, &whole);
	feed(data + 1, size - 1, data[0] % 16 + 1, &pieces);
	if (whole.status != pieces.status ||
	    whole.replies.length != pieces.replies.length ||
	    (whole.replies.length > 0 &&
	        memcmp(whole.replies.data, pieces.replies.data,
	            whole.replies.length) != 0))
		abort();
	buffer_free(&whole.replies);
	buffer_free(&pieces.replies);
	return 0;
}
