/*
 * NAME
 *	dkim_tables - OpenDKIM's KeyTable and SigningTable files
 * SYNOPSIS
 *	#include "dkim_tables.h"
#include "table_lines.h"
 * DESCRIPTION
 *	An OpenDKIM user points Waypost at the files they already have.
 *	Both are text files of "key value" lines; "#" starts a comment at
 *	the start of a line or after white space; blank lines are ignored.
 *
 *	KeyTable: "name domain:selector:/path/to/key". The domain may be
 *	"%", meaning the author's domain. The key is always a file (inline
 *	key data, which OpenDKIM also accepts, is refused with a hint).
 *
 *	SigningTable, plain (file:/path or /path): the key is an address or
 *	domain, looked up in OpenDKIM's order for user@host.example.com:
 *	user@host.example.com, host.example.com, user@.example.com,
 *	.example.com, user@.com, .com, and "*". refile:/path: each key is
 *	a pattern where "*" matches any run of characters, tried against
 *	user@host in file order. Every matching line adds its key (several
 *	signatures per message); a key name matched twice counts once.
 *	Keys compare without regard to case.
 *
 *	Errors name the file and line; a table with errors is refused
 *	whole. Bounds: TABLE_SIZE_MAX bytes, TABLE_LINE_MAX per
 *	line, TABLE_ENTRIES_MAX entries.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim_tables.h"
#include "xmalloc.h"

bool
table_path(const char *spec, bool allow_refile, const char **path, bool *refile)
{
	*refile = false;
	if (strncmp(spec, "file:", 5) == 0)
		spec += 5;
	else if (allow_refile && strncmp(spec, "refile:", 7) == 0) {
		spec += 7;
		*refile = true;
	}
	*path = spec;
	return spec[0] == '/';
}

static void
lowercase(char *text)
{
	for (; *text; text++)
		*text = (char)tolower((unsigned char)*text);
}

static bool
valid_label_text(const char *text, bool allow_percent)
{
	size_t length = strlen(text);

	if (allow_percent && strcmp(text, "%") == 0)
		return true;
	return length > 0 && length <= ADDRESS_DOMAIN_MAX && text[0] != '.' &&
	       text[0] != '-' && text[length - 1] != '.' &&
	       strstr(text, "..") == NULL &&
	       strspn(text,
	           "abcdefghijklmnopqrstuvwxyz"
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == length;
}

bool
table_name_valid(const char *text)
{
	return valid_label_text(text, false);
}

static bool
too_many(struct table_lines *reader, size_t count)
{
	if (count < TABLE_ENTRIES_MAX)
		return false;
	config_errors_add(reader->errors, "%s:%d: more than %d entries",
	    reader->file, reader->line, TABLE_ENTRIES_MAX);
	return true;
}

static int
compare_names_only(const void *a, const void *b)
{
	return strcmp(((const struct key_entry *)a)->name,
	    ((const struct key_entry *)b)->name);
}

/* By name, then line, so a repeated name sits next to its first use. */
static int
compare_names(const void *a, const void *b)
{
	const struct key_entry *x = a, *y = b;
	int order = strcmp(x->name, y->name);

	return order != 0 ? order : x->line - y->line;
}

static bool
parse_key_value(
    struct table_lines *reader, char *value, struct key_entry *entry)
{
	char *selector = strchr(value, ':');
	char *path = selector ? strchr(selector + 1, ':') : NULL;

	if (path == NULL) {
		config_errors_add(reader->errors,
		    "%s:%d: expected domain:selector:/path/to/key",
		    reader->file, reader->line);
		return false;
	}
	*selector++ = '\0';
	*path++ = '\0';
	if (!valid_label_text(value, true) ||
	    !valid_label_text(selector, false) ||
	    strlen(selector) > SELECTOR_MAX) {
		config_errors_add(reader->errors,
		    "%s:%d: bad domain \"%.100s\" or selector \"%.100s\"",
		    reader->file, reader->line, value, selector);
		return false;
	}
	if (path[0] != '/') {
		config_errors_add(reader->errors,
		    "%s:%d: the key must be an absolute file path (inline key "
		    "data is not supported: put the key in a file)",
		    reader->file, reader->line);
		return false;
	}
	entry->domain = xstrdup(value);
	lowercase(entry->domain);
	entry->selector = xstrdup(selector);
	entry->path = xstrdup(path);
	return true;
}

bool
keytable_parse(const char *file, const char *data, size_t size,
    struct keytable *table, struct config_errors *errors)
{
	struct table_lines *reader = xmalloc(sizeof(*reader));
	size_t before = errors->count + errors->dropped;
	char *key, *value;

	memset(table, 0, sizeof(*table));
	table->file = xstrdup(file);
	table_lines_init(reader, file, data, size, errors);
	while (table_lines_next_pair(reader, &key, &value) &&
	       !too_many(reader, table->count)) {
		struct key_entry entry = {0};

		if (!parse_key_value(reader, value, &entry))
			continue;
		entry.name = xstrdup(key);
		entry.line = reader->line;
		table->entries = xreallocarray(
		    table->entries, table->count + 1, sizeof(*table->entries));
		table->entries[table->count++] = entry;
	}
	free(reader);
	if (table->count > 1)
		qsort(table->entries, table->count, sizeof(*table->entries),
		    compare_names);
	for (size_t i = 1; i < table->count; i++)
		if (strcmp(table->entries[i - 1].name,
		        table->entries[i].name) == 0)
			config_errors_add(errors,
			    "%s:%d: key name \"%.100s\" appears twice (first on "
			    "line %d)",
			    file, table->entries[i].line,
			    table->entries[i].name, table->entries[i - 1].line);
	return errors->count + errors->dropped == before;
}

const struct key_entry *
keytable_find(const struct keytable *table, const char *name)
{
	struct key_entry probe = {(char *)name, NULL, NULL, NULL, 0};

	if (table->count == 0)
		return NULL;
	return bsearch(&probe, table->entries, table->count,
	    sizeof(*table->entries), compare_names_only);
}

static int
compare_patterns(const void *a, const void *b)
{
	const struct sign_entry *x = a, *y = b;
	int order = strcmp(x->pattern, y->pattern);

	return order != 0 ? order : x->line - y->line;
}

bool
signtable_parse(const char *file, const char *data, size_t size, bool wildcards,
    struct signtable *table, struct config_errors *errors)
{
	struct table_lines *reader = xmalloc(sizeof(*reader));
	size_t before = errors->count + errors->dropped;
	char *key, *value;

	memset(table, 0, sizeof(*table));
	table->file = xstrdup(file);
	table->wildcards = wildcards;
	table_lines_init(reader, file, data, size, errors);
	while (table_lines_next_pair(reader, &key, &value) &&
	       !too_many(reader, table->count)) {
		struct sign_entry entry = {
		    xstrdup(key), xstrdup(value), reader->line};

		lowercase(entry.pattern);
		table->entries = xreallocarray(
		    table->entries, table->count + 1, sizeof(*table->entries));
		table->entries[table->count++] = entry;
	}
	if (!wildcards && table->count > 1)
		qsort(table->entries, table->count, sizeof(*table->entries),
		    compare_patterns);
	free(reader);
	return errors->count + errors->dropped == before;
}

/* '*' matches any run of characters; everything else itself, any case. */
static bool
glob_match(const char *pattern, const char *text)
{
	const char *star = NULL, *resume = NULL;

	while (*text) {
		if (*pattern == '*') {
			star = pattern++;
			resume = text;
		} else if (tolower((unsigned char)*pattern) ==
		           tolower((unsigned char)*text)) {
			pattern++;
			text++;
		} else if (star) {
			pattern = star + 1;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static void
add_name(const char *name, const char **names, size_t *count, size_t max)
{
	for (size_t i = 0; i < *count; i++)
		if (strcmp(names[i], name) == 0)
			return;
	if (*count < max)
		names[(*count)++] = name;
}

/* Every entry whose pattern equals key (the entries are sorted). */
static void
lookup_exact(const struct signtable *table, const char *key, const char **names,
    size_t *count, size_t max)
{
	size_t low = 0, high = table->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (strcmp(table->entries[middle].pattern, key) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	for (; low < table->count &&
	       strcmp(table->entries[low].pattern, key) == 0;
	     low++)
		add_name(table->entries[low].key_name, names, count, max);
}

size_t
signtable_lookup(const struct signtable *table,
    const struct author_address *author, const char **names, size_t max)
{
	char key[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 4];
	size_t count = 0;
	const char *parent;

	snprintf(key, sizeof(key), "%s@%s", author->local, author->domain);
	lowercase(key);
	if (table->wildcards) {
		for (size_t i = 0; i < table->count; i++)
			if (glob_match(table->entries[i].pattern, key))
				add_name(table->entries[i].key_name, names,
				    &count, max);
		return count;
	}
	lookup_exact(table, key, names, &count, max);
	lookup_exact(table, author->domain, names, &count, max);
	for (parent = strchr(author->domain, '.'); parent;
	     parent = strchr(parent + 1, '.')) {
		snprintf(key, sizeof(key), "%s@%s", author->local, parent);
		lowercase(key);
		lookup_exact(table, key, names, &count, max);
		lookup_exact(table, parent, names, &count, max);
	}
	lookup_exact(table, "*", names, &count, max);
	return count;
}

void
keytable_free(struct keytable *table)
{
	for (size_t i = 0; i < table->count; i++) {
		free(table->entries[i].name);
		free(table->entries[i].domain);
		free(table->entries[i].selector);
		free(table->entries[i].path);
	}
	free(table->entries);
	free(table->file);
	memset(table, 0, sizeof(*table));
}

void
signtable_free(struct signtable *table)
{
	for (size_t i = 0; i < table->count; i++) {
		free(table->entries[i].pattern);
		free(table->entries[i].key_name);
	}
	free(table->entries);
	free(table->file);
	memset(table, 0, sizeof(*table));
}
