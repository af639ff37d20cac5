/*
 * test_schema.c - a configuration schema with every value type, for tests
 */
#include "config.h"

#include <stddef.h>

#include "test_schema.h"

static const char *const on_error_choices[] = {"tempfail", "accept", NULL};
static const char *const action_choices[] = {"defer", "reject", NULL};

static const struct config_key main_keys[] = {
    {"greeting", CONFIG_STRING, offsetof(struct test_main, greeting), "hello",
        0, 0, 0, NULL},
    {"enabled", CONFIG_BOOL, offsetof(struct test_main, enabled), "yes", 0, 0,
        0, NULL},
    {"max_size", CONFIG_SIZE, offsetof(struct test_main, max_size), "10M", 0, 1,
        1024LL * 1024 * 1024, NULL},
    {"retries", CONFIG_INTEGER, offsetof(struct test_main, retries), "3", 0, 0,
        10, NULL},
    {"interval", CONFIG_DURATION, offsetof(struct test_main, interval), "90s",
        0, 0, 0, NULL},
    {"on_error", CONFIG_CHOICE, offsetof(struct test_main, on_error),
        "tempfail", 0, 0, 0, on_error_choices},
    {"key_file", CONFIG_PATH, offsetof(struct test_main, key_file), NULL, 0, 0,
        0, NULL},
    {"headers", CONFIG_LIST, offsetof(struct test_main, headers),
        "From, To, Subject", 0, 0, 0, NULL},
    {"networks", CONFIG_CIDR_LIST, offsetof(struct test_main, networks),
        "127.0.0.0/8, ::1", 0, 0, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_key widget_keys[] = {
    {"subject", CONFIG_LIST, offsetof(struct test_widget, subject), NULL,
        CONFIG_REQUIRED, 0, 0, NULL},
    {"count", CONFIG_INTEGER, offsetof(struct test_widget, count), "0", 0, 0,
        1000000, NULL},
    {"window", CONFIG_DURATION, offsetof(struct test_widget, window), "1h", 0,
        1000, 7LL * 24 * 3600 * 1000, NULL},
    {"action", CONFIG_CHOICE, offsetof(struct test_widget, action), "defer", 0,
        0, 0, action_choices},
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_default main_defaults[] = {
    {"socket", "unix:/tmp/testd.sock"},
    {NULL, NULL},
};

static void
validate_widget(void *section, struct config_report *report)
{
	const struct test_widget *widget = section;

	if (widget->action == 1 && widget->count == 0)
		config_report_error(
		    report, "action reject needs a count above 0");
}

static const struct config_section test_sections[] = {
    {"log", false, offsetof(struct test_config, log), 0, {{log_config_keys, 0}},
        NULL, NULL},
    CONFIG_SECTION_REDIS(struct test_config),
    {"testd", false, offsetof(struct test_config, main), 0,
        {{daemon_config_keys, offsetof(struct test_main, daemon)},
            {main_keys, 0}},
        main_defaults, NULL},
    {"widget", true, offsetof(struct test_config, widgets),
        sizeof(struct test_widget), {{widget_keys, 0}}, NULL, validate_widget},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema test_schema = {
    sizeof(struct test_config),
    test_sections,
    config_suite_sections,
};
