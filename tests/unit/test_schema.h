/*
 * test_schema.h - a configuration schema with every value type, for tests
 *
 * [log], [redis], a daemon section [testd] with the shared daemon keys
 * and one key of each type, and a named section [widget "NAME"] with a
 * validate hook. Used by the config unit tests and the config fuzz target.
 */
#ifndef WAYPOST_TEST_SCHEMA_H
#define WAYPOST_TEST_SCHEMA_H

#include <stdbool.h>

#include "cidr.h"
#include "config_common.h"
#include "config_file.h"

struct test_main {
	struct daemon_settings daemon;
	char *greeting;
	bool enabled;
	long long max_size;
	long long retries;
	long long interval;
	int on_error;
	char *key_file;
	struct config_list headers;
	struct cidr_list networks;
};

struct test_widget {
	char *name;
	int line;
	struct config_list subject;
	long long count;
	long long window;
	int action;
};

struct test_config {
	struct log_settings log;
	struct redis_settings redis;
	struct test_main main;
	struct config_instances widgets;
};

extern const struct config_schema test_schema;

#endif
