/*
 * NAME
 *	config_schema - sections and keys of a schema, found by name or place
 * SYNOPSIS
 *	#include "config_schema.h"
 *
 *	const struct config_section *config_section_find(schema, name)
 *	bool config_section_is_other(schema, name)
 *	void config_section_label(section, instance_name, out, out_size)
 *
 *	size_t config_section_key_count(section)
 *	const struct config_key *config_section_key(section, index,
 *	    group_offset)
 *	bool config_section_key_find(section, name, index)
 *
 *	void config_suggest_section(schema, name, out, out_size)
 *	void config_suggest_key(section, name, out, out_size)
 * DESCRIPTION
 *	The one place that walks a schema (config_file.h), for the reader,
 *	the loader and the printer.
 *
 *	config_section_find() returns the program's own section of that
 *	name, or NULL; config_section_is_other() says whether the name is
 *	one of the sections of the suite's other daemons, which the program
 *	skips. config_section_label() writes "[name]" or
 *	"[name \"instance\"]", as error messages and the printer show it.
 *
 *	A section's keys come in groups (config_key_group); these functions
 *	number them across the groups, in schema order, from 0 to
 *	config_section_key_count() - 1. config_section_key() returns the
 *	key at an index (NULL past the end) and the offset of its group in
 *	the section struct; config_section_key_find() finds a key's index
 *	by name.
 *
 *	config_suggest_section() and config_suggest_key() write
 *	" (did you mean \"x\"?)" when a known name is at most
 *	SUGGESTION_EDITS_MAX edits (two) away from a misspelt one, else an
 *	empty string. Only names of up
 *	to CONFIG_NAME_MAX characters are compared.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config_schema.h"

/* A misspelt name is at most this many edits from the one it meant. */
#define SUGGESTION_EDITS_MAX 2

/* The closest known name seen so far, for "did you mean". */
struct suggestion {
	const char *name;
	const char *closest;
	size_t distance;
};

const struct config_section *
config_section_find(const struct config_schema *schema, const char *name)
{
	for (const struct config_section *s = schema->sections; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

bool
config_section_is_other(const struct config_schema *schema, const char *name)
{
	for (size_t i = 0; schema->other_sections && schema->other_sections[i];
	     i++)
		if (strcmp(schema->other_sections[i], name) == 0)
			return true;
	return false;
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

size_t
config_section_key_count(const struct config_section *section)
{
	size_t count = 0;

	while (config_section_key(section, count, NULL) != NULL)
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

bool
config_section_key_find(
    const struct config_section *section, const char *name, size_t *index)
{
	const struct config_key *key;

	for (*index = 0; (key = config_section_key(section, *index, NULL));
	     (*index)++)
		if (strcmp(key->name, name) == 0)
			return true;
	return false;
}

/* Levenshtein distance; SIZE_MAX for names longer than CONFIG_NAME_MAX. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t a_length = strlen(a), b_length = strlen(b);
	size_t row[CONFIG_NAME_MAX + 1];

	if (a_length > CONFIG_NAME_MAX || b_length > CONFIG_NAME_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= b_length; j++)
		row[j] = j;
	for (size_t i = 1; i <= a_length; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= b_length; j++) {
			size_t above = row[j];
			size_t best = diagonal + (a[i - 1] != b[j - 1]);

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[b_length];
}

/* The first of the closest candidates wins. */
static void
suggestion_consider(struct suggestion *suggestion, const char *candidate)
{
	size_t distance = edit_distance(suggestion->name, candidate);

	if (distance < suggestion->distance) {
		suggestion->distance = distance;
		suggestion->closest = candidate;
	}
}

static void
suggestion_write(
    const struct suggestion *suggestion, char *out, size_t out_size)
{
	if (suggestion->closest)
		snprintf(out, out_size, " (did you mean \"%s\"?)",
		    suggestion->closest);
	else if (out_size > 0)
		out[0] = '\0';
}

void
config_suggest_section(const struct config_schema *schema, const char *name,
    char *out, size_t out_size)
{
	struct suggestion suggestion = {name, NULL, SUGGESTION_EDITS_MAX + 1};

	for (const struct config_section *s = schema->sections; s->name; s++)
		suggestion_consider(&suggestion, s->name);
	for (size_t i = 0; schema->other_sections && schema->other_sections[i];
	     i++)
		suggestion_consider(&suggestion, schema->other_sections[i]);
	suggestion_write(&suggestion, out, out_size);
}

void
config_suggest_key(const struct config_section *section, const char *name,
    char *out, size_t out_size)
{
	struct suggestion suggestion = {name, NULL, SUGGESTION_EDITS_MAX + 1};
	const struct config_key *key;

	for (size_t i = 0; (key = config_section_key(section, i, NULL)); i++)
		suggestion_consider(&suggestion, key->name);
	suggestion_write(&suggestion, out, out_size);
}
