/*
 * NAME
 *	config_read - read the INI file into sections and raw key texts
 * SYNOPSIS
 *	#include "config_read.h"
 *
 *	bool config_read(schema, file, data, size, errors, result)
 *	void config_read_free(result)
 * DESCRIPTION
 *	The first of the two passes of loading a configuration. Each line
 *	of data is one of:
 *
 *	.  blank, or a comment: its first non-blank character is ';' or
 *	   '#';
 *	.  a section header, [name] or [name "instance"], which a comment
 *	   may follow;
 *	.  "key = value"; a ';' after a blank starts a comment that is not
 *	   part of the value; blanks around the key and the value are
 *	   dropped;
 *	.  an indented line after a key: it continues that key's value,
 *	   joined with one space (for long lists). The line is value up to
 *	   its end: a ';' in it starts no comment, as with libinih 55,
 *	   which read this file before.
 *
 *	Anything else is an error, and so are a key before any section,
 *	unknown and repeated sections and keys (with a suggestion when a
 *	known name is a typo away), a name on a section that takes none or
 *	none on one that needs it. Sections of the suite's other daemons
 *	are skipped whole. Each error names the file and line and goes to
 *	errors; reading goes on, so that every error of the file is
 *	reported at once. A line with an error is otherwise ignored (one
 *	mistake makes one error), but a bad section header still ends the
 *	section above it. A UTF-8 byte order mark and CRLF line ends are
 *	accepted.
 *
 *	result holds, for each section the program owns, the text of each
 *	of its keys in the file and its line. Values stay text here;
 *	config_file.c parses them once the whole file is read.
 *	config_read() returns false when it added errors; result is then
 *	still filled, and config_read_free() frees it either way.
 * SECURITY
 *	Bounds: a line holds at most CONFIG_LINE_MAX characters and no
 *	control characters but tab; the text between a section header's
 *	brackets at most CONFIG_NAME_MAX, and so does a key name in the
 *	program's own sections (those of others are not read); an instance
 *	name at most CONFIG_INSTANCE_NAME_MAX of [A-Za-z0-9_.-]; a value,
 *	continuations joined, at most CONFIG_VALUE_MAX; a file at most
 *	CONFIG_INSTANCES_MAX sections of the program's own. The caller
 *	bounds the size of data. A line is copied to a buffer of its
 *	bound before it is cut up, so no name or value outgrows it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_read.h"
#include "config_schema.h"
#include "text_copy.h"
#include "xmalloc.h"

#define BLANKS           " \t"
#define BYTE_ORDER_MARK  "\xef\xbb\xbf"
#define SECTION_ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define INSTANCE_ALPHABET                                                      \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/* current points into result->instances; only add_section() moves them. */
struct read_state {
	const struct config_schema *schema;
	const char *file;
	struct config_errors *errors;
	struct config_read_result *result;
	int line;
	bool in_section;                    /* a section header was seen */
	struct config_instance *current;    /* NULL: skipped */
	bool after_key;                     /* indented lines continue a key */
	struct config_raw_value *continued; /* NULL: its value is not kept */
};

static void line_error(struct read_state *state, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_error(struct read_state *state, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	config_errors_vadd_at(
	    state->errors, state->file, state->line, format, ap);
	va_end(ap);
}

static void
trim_end(char *text)
{
	size_t length = strlen(text);

	while (length > 0 && strchr(BLANKS, text[length - 1]))
		text[--length] = '\0';
}

/* Where a comment starts in text: at a ';' after a blank, else its end. */
static char *
comment_start(char *text)
{
	for (char *cursor = text; *cursor; cursor++)
		if (*cursor == ';' && cursor > text &&
		    strchr(BLANKS, cursor[-1]))
			return cursor;
	return text + strlen(text);
}

static bool
valid_word(const char *text, size_t length, const char *alphabet)
{
	return length > 0 && strspn(text, alphabet) >= length;
}

/* Split "name" or "name \"instance\"" (the text inside the brackets). */
static bool
split_header(
    struct read_state *state, char *inside, char **name, char **instance)
{
	size_t length;
	char *quote;

	*name = inside + strspn(inside, BLANKS);
	length = strcspn(*name, BLANKS);
	*instance = NULL;
	if (!valid_word(*name, length, SECTION_ALPHABET)) {
		line_error(state, "bad section name in [%s]", inside);
		return false;
	}
	quote = *name + length + strspn(*name + length, BLANKS);
	(*name)[length] = '\0';
	if (*quote == '\0')
		return true;
	trim_end(quote);
	length = strlen(quote);
	if (length < 2 || quote[0] != '"' || quote[length - 1] != '"') {
		line_error(state,
		    "expected [%s \"NAME\"] with the name in double quotes",
		    *name);
		return false;
	}
	quote[length - 1] = '\0';
	*instance = quote + 1;
	if (length - 2 > CONFIG_INSTANCE_NAME_MAX ||
	    !valid_word(*instance, length - 2, INSTANCE_ALPHABET)) {
		line_error(state,
		    "bad name \"%s\" in [%s]: use up to %d letters, digits, "
		    "'_', '.' and '-'",
		    *instance, *name, CONFIG_INSTANCE_NAME_MAX);
		return false;
	}
	return true;
}

static bool
section_is_new(struct read_state *state, const struct config_section *section,
    const char *instance)
{
	const struct config_read_result *result = state->result;
	char label[CONFIG_INSTANCE_NAME_MAX + 64];

	for (size_t i = 0; i < result->instance_count; i++) {
		const struct config_instance *seen = &result->instances[i];

		if (seen->section != section ||
		    (section->named && strcmp(seen->name, instance) != 0))
			continue;
		config_section_label(section, instance, label, sizeof(label));
		line_error(state, "section %s appears twice (first on line %d)",
		    label, seen->line);
		return false;
	}
	if (result->instance_count >= CONFIG_INSTANCES_MAX) {
		line_error(
		    state, "more than %d sections", CONFIG_INSTANCES_MAX);
		return false;
	}
	return true;
}

static void
add_section(struct read_state *state, const struct config_section *section,
    const char *instance)
{
	struct config_read_result *result = state->result;
	struct config_instance *added;

	result->instances = xreallocarray(result->instances,
	    result->instance_count + 1, sizeof(*result->instances));
	added = &result->instances[result->instance_count++];
	memset(added, 0, sizeof(*added));
	added->section = section;
	added->line = state->line;
	text_copy(added->name, sizeof(added->name), instance ? instance : "");
	added->key_count = config_section_key_count(section);
	added->values = xcalloc(added->key_count, sizeof(*added->values));
	state->current = added;
}

/* A section of ours becomes the current one; false after an error. */
static bool
enter_section(struct read_state *state, const char *name, const char *instance)
{
	const struct config_section *section =
	    config_section_find(state->schema, name);
	char hint[96];

	if (section == NULL && config_section_is_other(state->schema, name))
		return true;
	if (section == NULL) {
		config_suggest_section(state->schema, name, hint, sizeof(hint));
		line_error(state, "unknown section [%s]%s", name, hint);
	} else if (section->named && instance == NULL) {
		line_error(state, "section [%s] needs a name: [%s \"NAME\"]",
		    name, name);
	} else if (!section->named && instance != NULL) {
		line_error(state, "section [%s] takes no name", name);
	} else if (section_is_new(state, section, instance)) {
		add_section(state, section, instance);
		return true;
	}
	return false;
}

static void
read_header(struct read_state *state, char *start)
{
	char *close = strchr(start, ']');
	char *name, *instance;
	const char *after;

	state->in_section = true;
	state->current = NULL;
	state->continued = NULL;
	if (close == NULL) {
		line_error(state, "section header without ']'");
		return;
	}
	after = close + 1 + strspn(close + 1, BLANKS);
	if (*after != '\0' && *after != ';' && *after != '#') {
		line_error(state, "unexpected text after ']'");
		return;
	}
	if (close - (start + 1) > CONFIG_NAME_MAX) {
		line_error(state, "section header is too long");
		return;
	}
	*close = '\0';
	if (split_header(state, start + 1, &name, &instance) &&
	    enter_section(state, name, instance))
		state->after_key = false;
}

static void
store_value(struct read_state *state, const char *name, const char *value)
{
	struct config_instance *current = state->current;
	char hint[96], label[CONFIG_INSTANCE_NAME_MAX + 64];
	size_t index;

	config_section_label(
	    current->section, current->name, label, sizeof(label));
	if (strlen(name) > CONFIG_NAME_MAX) {
		line_error(state, "key name in %s is longer than %d characters",
		    label, CONFIG_NAME_MAX);
	} else if (!config_section_key_find(current->section, name, &index)) {
		config_suggest_key(current->section, name, hint, sizeof(hint));
		line_error(
		    state, "unknown key \"%s\" in %s%s", name, label, hint);
	} else if (current->values[index].text != NULL) {
		line_error(state,
		    "key \"%s\" appears twice in this section "
		    "(first on line %d)",
		    name, current->values[index].line);
	} else {
		current->values[index].text = xstrdup(value);
		current->values[index].line = state->line;
		state->continued = &current->values[index];
	}
}

static void
read_key(struct read_state *state, char *start)
{
	char *separator = start + strcspn(start, "=:");
	char *value;

	/* libinih also took ':' for '='; this file never has. */
	if (comment_start(start) < separator || *separator != '=') {
		line_error(state,
		    "expected \"key = value\", \"[section]\" or a comment");
		return;
	}
	if (separator == start) {
		line_error(state, "missing key name before '='");
		return;
	}
	if (!state->in_section) {
		line_error(state, "\"key = value\" before any [section]");
		return;
	}
	state->after_key = true;
	state->continued = NULL;
	if (state->current == NULL)
		return;
	*separator = '\0';
	trim_end(start);
	value = separator + 1;
	*comment_start(value) = '\0';
	value += strspn(value, BLANKS);
	trim_end(value);
	store_value(state, start, value);
}

static void
continue_value(struct read_state *state, char *text)
{
	struct config_raw_value *raw = state->continued;
	size_t length, added;

	trim_end(text);
	if (raw == NULL)
		return;
	length = strlen(raw->text);
	added = strlen(text);
	if (length + 1 + added > CONFIG_VALUE_MAX) {
		line_error(state, "value is longer than %d characters",
		    CONFIG_VALUE_MAX);
		state->continued = NULL;
		return;
	}
	raw->text = xreallocarray(raw->text, length + 1 + added + 1, 1);
	raw->text[length] = ' ';
	memcpy(raw->text + length + 1, text, added + 1);
}

/* A line within its bounds is copied to line and true returned. */
static bool
line_copy(struct read_state *state, const char *text, size_t length,
    char line[CONFIG_LINE_MAX + 1])
{
	for (size_t i = 0; i < length; i++) {
		unsigned char byte = (unsigned char)text[i];

		if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
			line_error(
			    state, "control character 0x%02x in line", byte);
			return false;
		}
	}
	if (length > CONFIG_LINE_MAX) {
		line_error(state,
		    "line is longer than %d characters; continue a long value "
		    "on indented lines",
		    CONFIG_LINE_MAX);
		return false;
	}
	memcpy(line, text, length);
	line[length] = '\0';
	return true;
}

static void
read_line(struct read_state *state, const char *text, size_t length)
{
	char line[CONFIG_LINE_MAX + 1];
	char *start;

	if (!line_copy(state, text, length, line))
		return;
	start = line + strspn(line, BLANKS);
	if (*start == '\0' || *start == ';' || *start == '#')
		return;
	if (start > line && state->after_key)
		continue_value(state, start);
	else if (*start == '[')
		read_header(state, start);
	else
		read_key(state, start);
}

bool
config_read(const struct config_schema *schema, const char *file,
    const char *data, size_t size, struct config_errors *errors,
    struct config_read_result *result)
{
	struct read_state state;
	size_t errors_before = errors->count + errors->dropped;
	size_t position = 0;

	memset(result, 0, sizeof(*result));
	memset(&state, 0, sizeof(state));
	state.schema = schema;
	state.file = file;
	state.errors = errors;
	state.result = result;
	while (position < size) {
		const char *text = data + position;
		const char *newline = memchr(text, '\n', size - position);
		size_t length =
		    newline ? (size_t)(newline - text) : size - position;

		position += length + (newline != NULL);
		state.line++;
		if (length > 0 && text[length - 1] == '\r')
			length--;
		if (state.line == 1 && length >= 3 &&
		    memcmp(text, BYTE_ORDER_MARK, 3) == 0) {
			text += 3;
			length -= 3;
		}
		read_line(&state, text, length);
	}
	return errors->count + errors->dropped == errors_before;
}

void
config_read_free(struct config_read_result *result)
{
	for (size_t i = 0; i < result->instance_count; i++) {
		for (size_t k = 0; k < result->instances[i].key_count; k++)
			free(result->instances[i].values[k].text);
		free(result->instances[i].values);
	}
	free(result->instances);
	result->instances = NULL;
	result->instance_count = 0;
}
