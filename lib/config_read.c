/*
 * NAME
 *	config_read - read the INI file into sections and raw key texts
 * SYNOPSIS
 *	#include "config_private.h"
 *
 *	bool config_read(schema, file, data, size, errors, result)
 * DESCRIPTION
 *	The first of the two passes of loading a configuration. libinih
 *	splits the file into sections and "key = value" pairs; this file
 *	gives it one line at a time through its reader callback, and so
 *	knows the line number of everything inih hands back (the Debian
 *	build of inih reports no line numbers to handlers), and checks each
 *	line before inih sees it:
 *
 *	.  lines longer than inih's buffer, and lines with control
 *	   characters, are errors (inih would silently split or cut them);
 *	.  section headers are parsed here: [name] or [name "instance"],
 *	   unknown names, a name on a section that takes none (or none on one
 *	   that needs it) and repeated sections are errors; sections of the
 *	   suite's other daemons are skipped whole;
 *	.  a key line needs "=", and must sit inside a section.
 *
 *	A rejected line reaches inih as a blank line, so one mistake makes
 *	one error. Keys are matched against the section's schema: unknown
 *	and repeated keys are errors, with a suggestion when a known key is
 *	a typo away. An indented line continues the value of the key above
 *	it (inih's multi-line values), joined with one space.
 *
 *	Values stay text here; config_file.c parses them once the whole
 *	file is read, so that every error of the file is reported at once.
 * BUGS
 *	inih only reports the first syntax error it finds itself; the
 *	checks above leave it almost none to find.
 */
#include "config.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_private.h"
#include "text_copy.h"
#include "xmalloc.h"

/* inih stores section and key names in 50-byte buffers. */
#define INIH_NAME_MAX 49

struct read_state {
	const struct config_schema *schema;
	const char *file;
	struct config_errors *errors;
	const char *data;
	size_t size;
	size_t position;
	int line;
	bool line_rejected;
	bool continuation;      /* this line continues the key above */
	bool have_previous_key; /* mirrors inih's prev_name */
	bool have_section;      /* a section header was seen */
	bool section_skipped;   /* current section: another daemon's, or bad */
	size_t previous_instance, previous_key;
	bool previous_accepted;
	int error_lines[CONFIG_ERRORS_MAX];
	size_t error_line_count;
	struct config_read_result *result;
};

static void line_error(struct read_state *state, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_error(struct read_state *state, const char *format, ...)
{
	char message[CONFIG_ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	config_errors_add(
	    state->errors, "%s:%d: %s", state->file, state->line, message);
	if (state->error_line_count < CONFIG_ERRORS_MAX)
		state->error_lines[state->error_line_count++] = state->line;
}

size_t
config_section_key_count(const struct config_section *section)
{
	size_t count = 0;

	for (size_t g = 0; g < CONFIG_KEY_GROUPS_MAX && section->groups[g].keys;
	     g++)
		for (const struct config_key *key = section->groups[g].keys;
		     key->name; key++)
			count++;
	return count;
}

const struct config_key *
config_section_key(
    const struct config_section *section, size_t index, size_t *group_offset)
{
	for (size_t g = 0; g < CONFIG_KEY_GROUPS_MAX && section->groups[g].keys;
	     g++) {
		for (const struct config_key *key = section->groups[g].keys;
		     key->name; key++) {
			if (index-- == 0) {
				if (group_offset)
					*group_offset =
					    section->groups[g].offset;
				return key;
			}
		}
	}
	return NULL;
}

void
config_section_label(const struct config_section *section,
    const char *instance_name, char *out, size_t out_size)
{
	if (section->named)
		snprintf(
		    out, out_size, "[%s \"%s\"]", section->name, instance_name);
	else
		snprintf(out, out_size, "[%s]", section->name);
}

/* Levenshtein distance, for "did you mean" hints; names are short. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[INIH_NAME_MAX + 2];

	if (la > INIH_NAME_MAX || lb > INIH_NAME_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t best = diagonal + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

/* ' (did you mean "x"?)' when a candidate is close to name, else "". */
static void
suggest(const char *name, const char *const *candidates, size_t count,
    char *out, size_t out_size)
{
	size_t best = 3;
	const char *choice = NULL;

	for (size_t i = 0; i < count; i++) {
		size_t distance = edit_distance(name, candidates[i]);

		if (distance < best) {
			best = distance;
			choice = candidates[i];
		}
	}
	if (choice)
		snprintf(out, out_size, " (did you mean \"%s\"?)", choice);
	else if (out_size > 0)
		out[0] = '\0';
}

static const struct config_section *
find_section(const struct config_schema *schema, const char *name)
{
	for (const struct config_section *s = schema->sections; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static bool
is_other_section(const struct config_schema *schema, const char *name)
{
	for (size_t i = 0; schema->other_sections && schema->other_sections[i];
	     i++)
		if (strcmp(schema->other_sections[i], name) == 0)
			return true;
	return false;
}

static void
unknown_section(struct read_state *state, const char *name)
{
	const char *names[64];
	size_t count = 0;
	char hint[96];

	for (const struct config_section *s = state->schema->sections;
	     s->name && count < 64; s++)
		names[count++] = s->name;
	for (size_t i = 0; state->schema->other_sections &&
	                   state->schema->other_sections[i] && count < 64;
	     i++)
		names[count++] = state->schema->other_sections[i];
	suggest(name, names, count, hint, sizeof(hint));
	line_error(state, "unknown section [%s]%s", name, hint);
}

static bool
valid_word(const char *text, size_t length, const char *alphabet)
{
	return length > 0 && strspn(text, alphabet) >= length;
}

#define SECTION_ALPHABET "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define INSTANCE_ALPHABET                                                      \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/* Split "name" or "name \"instance\"" (brackets removed). */
static bool
split_header(
    struct read_state *state, char *inside, char **name, char **instance)
{
	size_t length;
	char *quote;

	*name = inside + strspn(inside, " \t");
	length = strcspn(*name, " \t");
	*instance = NULL;
	if (!valid_word(*name, length, SECTION_ALPHABET)) {
		line_error(state, "bad section name in [%s]", inside);
		return false;
	}
	quote = *name + length + strspn(*name + length, " \t");
	(*name)[length] = '\0';
	if (*quote == '\0')
		return true;
	length = strlen(quote);
	while (length > 0 &&
	       (quote[length - 1] == ' ' || quote[length - 1] == '\t'))
		quote[--length] = '\0';
	if (length < 2 || quote[0] != '"' || quote[length - 1] != '"') {
		line_error(state,
		    "expected [%s \"NAME\"] with the name in double quotes",
		    *name);
		return false;
	}
	quote[length - 1] = '\0';
	*instance = quote + 1;
	length -= 2;
	if (length > CONFIG_INSTANCE_NAME_MAX ||
	    !valid_word(*instance, length, INSTANCE_ALPHABET)) {
		line_error(state,
		    "bad name \"%s\" in [%s]: use up to %d letters, digits, "
		    "'_', '.' and '-'",
		    *instance, *name, CONFIG_INSTANCE_NAME_MAX);
		return false;
	}
	return true;
}

static bool
check_repeated(struct read_state *state, const struct config_section *section,
    const char *instance)
{
	struct config_read_result *result = state->result;
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
add_instance(struct read_state *state, const struct config_section *section,
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
}

/* Returns false when the header line must not reach inih. */
static bool
read_section_header(struct read_state *state, const char *start)
{
	const struct config_section *section;
	const char *close = strchr(start, ']');
	const char *after;
	char inside[CONFIG_INSTANCE_NAME_MAX + 64];
	char *name, *instance;

	state->section_skipped = true;
	state->have_section = true;
	if (close == NULL) {
		line_error(state, "section header without ']'");
		return false;
	}
	after = close + 1 + strspn(close + 1, " \t");
	if (*after != '\0' && *after != ';' && *after != '#') {
		line_error(state, "unexpected text after ']'");
		return false;
	}
	if ((size_t)(close - start - 1) >= sizeof(inside) ||
	    (size_t)(close - start - 1) > INIH_NAME_MAX) {
		line_error(state, "section header is too long");
		return false;
	}
	memcpy(inside, start + 1, (size_t)(close - start - 1));
	inside[close - start - 1] = '\0';
	if (!split_header(state, inside, &name, &instance))
		return false;
	section = find_section(state->schema, name);
	if (section == NULL) {
		if (!is_other_section(state->schema, name)) {
			unknown_section(state, name);
			return false;
		}
		state->have_previous_key = false;
		return true;
	}
	if (section->named && instance == NULL) {
		line_error(state, "section [%s] needs a name: [%s \"NAME\"]",
		    name, name);
		return false;
	}
	if (!section->named && instance != NULL) {
		line_error(state, "section [%s] takes no name", name);
		return false;
	}
	if (!check_repeated(state, section, instance))
		return false;
	add_instance(state, section, instance);
	state->section_skipped = false;
	state->have_previous_key = false;
	return true;
}

/* Mirror inih's view of a line; false when it must not reach inih. */
static bool
classify_line(struct read_state *state, const char *line)
{
	const char *start = line + strspn(line, " \t");
	const char *separator;

	state->continuation = false;
	if (*start == '\0' || *start == ';' || *start == '#')
		return true;
	if (start > line && state->have_previous_key) {
		state->continuation = true;
		return true;
	}
	if (*start == '[') {
		if (!read_section_header(state, start)) {
			state->line_rejected = true;
			return false;
		}
		return true;
	}
	/* inih ends the key at '=' or ':', or at an inline " ;" comment. */
	for (separator = start; *separator; separator++) {
		if (*separator == '=' || *separator == ':')
			break;
		if (*separator == ';' && separator > start &&
		    (separator[-1] == ' ' || separator[-1] == '\t')) {
			separator = start + strlen(start);
			break;
		}
	}
	if (*separator != '=') {
		line_error(state,
		    "expected \"key = value\", \"[section]\" or a "
		    "comment");
	} else if (separator == start) {
		line_error(state, "missing key name before '='");
	} else if (!state->have_section) {
		line_error(state, "\"key = value\" before any [section]");
	} else {
		state->have_previous_key = true;
		return true;
	}
	state->line_rejected = true;
	return false;
}

/* inih's reader callback: one physical line per call. */
static char *
read_line(char *out, int out_size, void *opaque)
{
	struct read_state *state = opaque;
	const char *start = state->data + state->position;
	size_t remaining = state->size - state->position;
	const char *newline;
	size_t length;

	if (state->position >= state->size)
		return NULL;
	newline = memchr(start, '\n', remaining);
	length = newline ? (size_t)(newline - start) : remaining;
	state->position += length + (newline != NULL);
	state->line++;
	state->line_rejected = false;
	state->continuation = false;
	if (length > 0 && start[length - 1] == '\r')
		length--;
	if (state->line == 1 && length >= 3 &&
	    memcmp(start, "\xef\xbb\xbf", 3) == 0) {
		start += 3; /* a UTF-8 byte order mark, as inih allows */
		length -= 3;
	}
	for (size_t i = 0; i < length; i++) {
		unsigned char byte = (unsigned char)start[i];

		if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
			line_error(
			    state, "control character 0x%02x in line", byte);
			state->line_rejected = true;
			break;
		}
	}
	if (!state->line_rejected && length + 2 > (size_t)out_size) {
		line_error(state,
		    "line is longer than %d characters; continue a long value "
		    "on indented lines",
		    out_size - 2);
		state->line_rejected = true;
	}
	if (state->line_rejected) {
		strcpy(out, "\n");
		return out;
	}
	memcpy(out, start, length);
	out[length] = '\0';
	if (!classify_line(state, out))
		strcpy(out, "\n");
	else
		strcat(out, "\n");
	return out;
}

static ssize_t
find_key(const struct config_section *section, const char *name)
{
	for (size_t i = 0;; i++) {
		const struct config_key *key =
		    config_section_key(section, i, NULL);

		if (key == NULL)
			return -1;
		if (strcmp(key->name, name) == 0)
			return (ssize_t)i;
	}
}

static void
unknown_key(struct read_state *state, const struct config_instance *instance,
    const char *name)
{
	const char *names[128];
	size_t count = 0;
	char hint[96], label[CONFIG_INSTANCE_NAME_MAX + 64];

	for (; count < 128; count++) {
		const struct config_key *key =
		    config_section_key(instance->section, count, NULL);

		if (key == NULL)
			break;
		names[count] = key->name;
	}
	suggest(name, names, count, hint, sizeof(hint));
	config_section_label(
	    instance->section, instance->name, label, sizeof(label));
	line_error(state, "unknown key \"%s\" in %s%s", name, label, hint);
}

static void
continue_value(struct read_state *state, const char *value)
{
	struct config_instance *instance;
	struct config_raw_value *raw;
	size_t length;

	if (!state->previous_accepted || *value == '\0')
		return;
	instance = &state->result->instances[state->previous_instance];
	raw = &instance->values[state->previous_key];
	length = strlen(raw->text);
	if (length + 1 + strlen(value) > CONFIG_VALUE_MAX) {
		line_error(state, "value is longer than %d characters",
		    CONFIG_VALUE_MAX);
		state->previous_accepted = false;
		return;
	}
	raw->text = xreallocarray(raw->text, length + strlen(value) + 2, 1);
	raw->text[length] = ' ';
	strcpy(raw->text + length + 1, value);
}

/* inih's handler callback: one "key = value" (or continuation) per call. */
static int
on_key(
    void *opaque, const char *section_text, const char *name, const char *value)
{
	struct read_state *state = opaque;
	struct config_instance *instance;
	ssize_t index;

	(void)section_text; /* read_section_header() tracks the section */
	if (state->line_rejected || state->section_skipped) {
		state->previous_accepted = false;
		return 1;
	}
	if (state->continuation) {
		continue_value(state, value);
		return 1;
	}
	state->previous_accepted = false;
	instance = &state->result->instances[state->result->instance_count - 1];
	index = find_key(instance->section, name);
	if (index < 0) {
		unknown_key(state, instance, name);
		return 1;
	}
	if (instance->values[index].text != NULL) {
		line_error(state,
		    "key \"%s\" appears twice in this section "
		    "(first on line %d)",
		    name, instance->values[index].line);
		return 1;
	}
	instance->values[index].text = xstrdup(value);
	instance->values[index].line = state->line;
	state->previous_instance = state->result->instance_count - 1;
	state->previous_key = (size_t)index;
	state->previous_accepted = true;
	return 1;
}

static bool
line_has_error(const struct read_state *state, int line)
{
	for (size_t i = 0; i < state->error_line_count; i++)
		if (state->error_lines[i] == line)
			return true;
	return false;
}

bool
config_read(const struct config_schema *schema, const char *file,
    const char *data, size_t size, struct config_errors *errors,
    struct config_read_result *result)
{
	struct read_state state;
	size_t errors_before = errors->count + errors->dropped;
	int status;

	memset(result, 0, sizeof(*result));
	memset(&state, 0, sizeof(state));
	state.schema = schema;
	state.file = file;
	state.errors = errors;
	state.data = data;
	state.size = size;
	state.result = result;
	state.section_skipped = true;
	status = ini_parse_stream(read_line, &state, on_key, &state);
	if (status == -2)
		config_errors_add(errors, "%s: out of memory", file);
	else if (status > 0 && !line_has_error(&state, status))
		config_errors_add(errors, "%s:%d: syntax error", file, status);
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
