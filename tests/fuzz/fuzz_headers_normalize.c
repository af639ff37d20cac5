/*
 * fuzz_headers_normalize.c - fuzz target: the rules of waypost-headers
 *
 * The first byte picks the client (trusted, SMTPUTF8) and the modes
 * (repair or reject); the rest is a header block, "Name: value" lines
 * with folds, split as the MTA would send it. Every rule runs over it.
 * Beyond memory errors (ASan), one property must hold: a message the
 * rules pass, with long lines folded and unfoldable ones refused, has
 * no line over 998 octets.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_file.h"
#include "fuzz.h"
#include "header_list.h"
#include "header_store.h"
#include "headers_config.h"
#include "normalize.h"

static void
parse_block(const char *block, struct header_store *store)
{
	struct buffer name = {0}, value = {0};
	const char *line = block, *next;

	for (; *line; line = next) {
		const char *colon;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if ((*line == ' ' || *line == '\t') && name.length > 0) {
			buffer_append(
			    &value, line - 1, (size_t)(next - line) + 1);
			continue;
		}
		if (name.length > 0)
			header_store_receive(
			    store, name.data, value.data ? value.data : "");
		buffer_reset(&name);
		buffer_reset(&value);
		colon = memchr(line, ':', (size_t)(next - line));
		if (colon == NULL || colon == line)
			continue;
		buffer_append(&name, line, (size_t)(colon - line));
		buffer_append(&value, colon + 1, (size_t)(next - colon - 1));
		if (value.length > 0 && value.data[value.length - 1] == '\n')
			value.data[--value.length] = '\0';
	}
	if (name.length > 0)
		header_store_receive(
		    store, name.data, value.data ? value.data : "");
	buffer_free(&name);
	buffer_free(&value);
}

static void
check_lines(const char *rendered)
{
	size_t line = 0;

	for (const char *p = rendered; *p; p++) {
		line = *p == '\n' ? 0 : line + 1;
		if (line > 998)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const settings[] = {
	    "[headers]\nmessage_id_domain = example.org\nreferences_max = 3\n",
	    "[headers]\nsyntax = reject\ninvalid_utf8 = reject\n"
	    "differing_duplicates = reject\nlist_unsubscribe = reject\n",
	};
	struct config_errors errors = {0};
	const char *text;
	struct headers_config *config;
	struct header_store store;
	struct header_list list;
	struct rule_context context;
	struct buffer block = {0}, rendered = {0};

	if (size < 1)
		return 0;
	text = settings[(data[0] >> 2) & 1];
	config = config_load_buffer(
	    &headers_schema, "fuzz.conf", text, strlen(text), &errors);
	if (config == NULL)
		abort();
	buffer_append(&block, data + 1, size - 1);
	buffer_append_text(&block, "");
	header_store_init(&store, &header_list_limits, true);
	parse_block(block.data, &store);
	header_list_init(&list, &store);
	normalize_context_init(&context, &config->headers, &list);
	context.trusted_client = data[0] & 1;
	context.smtputf8 = data[0] & 2;
	context.queue_id = "4QabcD1xyz";
	if (normalize(&context) == RULE_PASS && !store.over_limit) {
		header_list_render(&list, &rendered);
		check_lines(rendered.data);
	}
	normalize_context_free(&context);
	header_list_free(&list);
	header_store_free(&store);
	buffer_free(&block);
	buffer_free(&rendered);
	config_free(&headers_schema, config);
	return 0;
}
