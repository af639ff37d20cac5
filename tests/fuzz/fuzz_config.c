/*
 * fuzz_config.c - fuzz target: the configuration reader and loader
 *
 * Feeds arbitrary bytes to config_load_buffer() with the test schema
 * (every value type, named sections, validate hooks), and prints what
 * loads, so the printer runs on every accepted input too. Finds: crashes,
 * out-of-bounds reads (the reader's line copy, section headers,
 * continuation joins, value parsers) and leaks on error paths.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "config_file.h"
#include "fuzz.h"
#include "test_schema.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_errors errors;
	static FILE *sink;
	void *config;

	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	memset(&errors, 0, sizeof(errors));
	config = config_load_buffer(
	    &test_schema, "fuzz.conf", (const char *)data, size, &errors);
	if (config != NULL) {
		if (sink != NULL)
			config_print(&test_schema, config, sink);
		config_free(&test_schema, config);
	}
	return 0;
}
