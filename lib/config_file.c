/*
 * NAME
 *	config_file - load the suite-wide INI file into a program's struct
 * SYNOPSIS
 *	#include "config_file.h"
 *
 *	void *config_load_file(schema, path, errors)
 *	void *config_load_buffer(schema, name, data, size, errors)
 *	void config_free(schema, config)
 *	const void *config_instance_find(list, name)
 *
 *	void config_report_error(report, format, ...)
 * DESCRIPTION
 *	A program describes its configuration with a schema (config_file.h):
 *	the sections it owns, the keys of each with type, default, bounds
 *	and where the parsed value goes in the program's config struct, and
 *	the sections of the suite's other daemons, which it skips. The
 *	loader returns a newly allocated struct with every key set, from
 *	the file or from its default, or NULL with every error found in
 *	errors, each naming the file and line ("FILE:LINE: message").
 *
 *	config_read.c reads the file (first pass); this file parses each
 *	value with config_value.c, applies defaults, checks required keys,
 *	runs each section's validate hook for rules that span keys, and
 *	checks the file itself:
 *
 *	.  a regular file of at most CONFIG_FILE_SIZE_MAX bytes;
 *	.  not writable by other users (it decides who may relay);
 *	.  not readable by other users when it sets a secret key.
 *
 *	A failed load frees everything it built: reload keeps the old
 *	configuration and loses nothing.
 *
 *	config_instance_find() gives the named section of list called
 *	name (its struct, which starts with a struct config_head), NULL
 *	when there is none.
 *
 *	config_report_error() is how a validate hook refuses its section:
 *	the error names the file, the section's line and its label.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_read.h"
#include "config_schema.h"
#include "config_value.h"
#include "file_read.h"
#include "xmalloc.h"

/* The errors of one section, with its file, line and label. */
struct config_report {
	struct config_errors *errors;
	const char *file;
	int line; /* 0: the section is not in the file */
	char label[CONFIG_INSTANCE_NAME_MAX + 64];
	bool failed;
};

struct load_context {
	const char *file;
	struct config_errors *errors;
	int secret_line; /* line of a secret key set in the file, or 0 */
	const char *secret_key;
};

void
config_report_error(struct config_report *report, const char *format, ...)
{
	char message[CONFIG_ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	report->failed = true;
	if (report->line > 0)
		config_errors_add(report->errors, "%s:%d: %s %s", report->file,
		    report->line, report->label, message);
	else
		config_errors_add(report->errors, "%s: %s %s", report->file,
		    report->label, message);
}

/* Pointer-like types have an "unset" state an empty value selects. */
static bool
may_be_empty(const struct config_key *key)
{
	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_USER:
	case CONFIG_GROUP:
	case CONFIG_LIST:
	case CONFIG_CIDR_LIST:
	case CONFIG_SOCKET:
	case CONFIG_ADDRESS:
		return !(key->flags & CONFIG_REQUIRED);
	default:
		return false;
	}
}

static const char *
default_for(const struct config_section *section, const struct config_key *key)
{
	for (const struct config_default *d = section->defaults; d && d->key;
	     d++)
		if (strcmp(d->key, key->name) == 0)
			return d->value;
	return key->default_value;
}

static void
fill_key(struct load_context *context, const struct config_section *section,
    const struct config_key *key, const struct config_raw_value *raw,
    void *target, struct config_report *report)
{
	char error[CONFIG_ERROR_TEXT_MAX - 64];
	const char *text = raw ? raw->text : NULL;
	int saved_line = report->line;

	if (text != NULL) {
		report->line = raw->line;
		if (*text == '\0' && may_be_empty(key)) {
			report->line = saved_line;
			return;
		}
		if (*text == '\0')
			config_report_error(
			    report, "%s: needs a value", key->name);
		else if (!config_value_parse(
		             key, text, target, error, sizeof(error)))
			config_report_error(report, "%s: %s", key->name, error);
		else if ((key->flags & CONFIG_SECRET) &&
		         context->secret_line == 0) {
			context->secret_line = raw->line;
			context->secret_key = key->name;
		}
		report->line = saved_line;
		return;
	}
	text = default_for(section, key);
	if (text != NULL) {
		if (!config_value_parse(
		        key, text, target, error, sizeof(error)))
			config_report_error(report, "%s: default \"%s\": %s",
			    key->name, text, error);
	} else if (key->flags & CONFIG_REQUIRED) {
		config_report_error(
		    report, "missing required key \"%s\"", key->name);
	}
}

/* Parse every key of one section into its struct, then validate it. */
static bool
fill_section(struct load_context *context, const struct config_section *section,
    const struct config_instance *instance, void *section_struct)
{
	struct config_report report;
	size_t count = config_section_key_count(section);

	memset(&report, 0, sizeof(report));
	report.errors = context->errors;
	report.file = context->file;
	report.line = instance ? instance->line : 0;
	config_section_label(section, instance ? instance->name : "",
	    report.label, sizeof(report.label));
	for (size_t i = 0; i < count; i++) {
		size_t group_offset;
		const struct config_key *key =
		    config_section_key(section, i, &group_offset);

		fill_key(context, section, key,
		    instance ? &instance->values[i] : NULL,
		    (char *)section_struct + group_offset + key->offset,
		    &report);
	}
	if (!report.failed && section->validate)
		section->validate(section_struct, &report);
	return !report.failed;
}

static void
free_section(const struct config_section *section, void *section_struct)
{
	size_t count = config_section_key_count(section);

	for (size_t i = 0; i < count; i++) {
		size_t group_offset;
		const struct config_key *key =
		    config_section_key(section, i, &group_offset);

		config_value_free(
		    key, (char *)section_struct + group_offset + key->offset);
	}
}

static void
fill_named(struct load_context *context, const struct config_section *section,
    const struct config_read_result *read, struct config_instances *list)
{
	for (size_t i = 0; i < read->instance_count; i++) {
		const struct config_instance *instance = &read->instances[i];
		void *item;

		if (instance->section != section)
			continue;
		item = xcalloc(1, section->instance_size);
		((struct config_head *)item)->name = xstrdup(instance->name);
		((struct config_head *)item)->line = instance->line;
		list->items = xreallocarray(
		    list->items, list->count + 1, sizeof(*list->items));
		list->items[list->count++] = item;
		fill_section(context, section, instance, item);
	}
}

static void *
build(const struct config_schema *schema, struct load_context *context,
    const struct config_read_result *read)
{
	void *config = xcalloc(1, schema->size);

	for (const struct config_section *s = schema->sections; s->name; s++) {
		const struct config_instance *instance = NULL;

		if (s->named) {
			fill_named(context, s, read,
			    (struct config_instances *)((char *)config +
			                                s->offset));
			continue;
		}
		for (size_t i = 0; i < read->instance_count; i++)
			if (read->instances[i].section == s)
				instance = &read->instances[i];
		fill_section(context, s, instance, (char *)config + s->offset);
	}
	return config;
}

const void *
config_instance_find(const struct config_instances *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(((const struct config_head *)list->items[i])->name,
		        name) == 0)
			return list->items[i];
	return NULL;
}

void
config_free(const struct config_schema *schema, void *config)
{
	if (config == NULL)
		return;
	for (const struct config_section *s = schema->sections; s->name; s++) {
		struct config_instances *list;

		if (!s->named) {
			free_section(s, (char *)config + s->offset);
			continue;
		}
		list = (struct config_instances *)((char *)config + s->offset);
		for (size_t i = 0; i < list->count; i++) {
			free_section(s, list->items[i]);
			free(*(char **)list->items[i]);
			free(list->items[i]);
		}
		free(list->items);
	}
	free(config);
}

static void *
load(const struct config_schema *schema, const char *name, const char *data,
    size_t size, bool world_readable, struct config_errors *errors)
{
	struct config_read_result read;
	struct load_context context;
	size_t errors_before = errors->count + errors->dropped;
	void *config;

	memset(&context, 0, sizeof(context));
	context.file = name;
	context.errors = errors;
	config_read(schema, name, data, size, errors, &read);
	config = build(schema, &context, &read);
	config_read_free(&read);
	if (world_readable && context.secret_line > 0)
		config_errors_add(errors,
		    "%s:%d: %s is a secret, but %s is readable by other users: "
		    "chmod o-r %s",
		    name, context.secret_line, context.secret_key, name, name);
	if (errors->count + errors->dropped != errors_before) {
		config_free(schema, config);
		return NULL;
	}
	return config;
}

void *
config_load_buffer(const struct config_schema *schema, const char *name,
    const char *data, size_t size, struct config_errors *errors)
{
	if (size > CONFIG_FILE_SIZE_MAX) {
		config_errors_add(errors, "%s: larger than %d bytes", name,
		    CONFIG_FILE_SIZE_MAX);
		return NULL;
	}
	return load(schema, name, data, size, false, errors);
}

static char *
read_config_file(const char *path, bool *world_readable, size_t *size,
    struct config_errors *errors)
{
	char error[CONFIG_ERROR_TEXT_MAX - 16];
	struct stat st;
	char *data = file_read(
	    path, CONFIG_FILE_SIZE_MAX, size, &st, error, sizeof(error));

	if (data == NULL) {
		config_errors_add(errors, "%s", error);
		return NULL;
	}
	if (st.st_mode & S_IWOTH) {
		config_errors_add(errors,
		    "%s: writable by other users: chmod o-w %s", path, path);
		free(data);
		return NULL;
	}
	*world_readable = (st.st_mode & S_IROTH) != 0;
	return data;
}

void *
config_load_file(const struct config_schema *schema, const char *path,
    struct config_errors *errors)
{
	bool world_readable = false;
	size_t size = 0;
	char *data = read_config_file(path, &world_readable, &size, errors);
	void *config;

	if (data == NULL)
		return NULL;
	config = load(schema, path, data, size, world_readable, errors);
	free(data);
	return config;
}
