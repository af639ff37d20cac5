/*
 * NAME
 *	config_print - write the effective configuration, as "-n" shows it
 * SYNOPSIS
 *	#include "config_file.h"
 *
 *	void config_print(schema, config, out)
 * DESCRIPTION
 *	Writes every section the program owns with every key and its
 *	effective value, defaults included, in the file's own syntax: what
 *	is printed loads again to the same configuration. Unset keys print
 *	as "key =". Secret keys that are set print as "********". Long
 *	lists are folded onto indented continuation lines, which the
 *	reader joins again, so no printed line passes CONFIG_LINE_MAX.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "config_schema.h"
#include "config_value.h"

/* Printed lines stay well below CONFIG_LINE_MAX. */
#define PRINT_LINE_MAX 150

static void
print_value(FILE *out, const struct config_key *key, const char *value)
{
	size_t name_length = strlen(key->name) + 3;
	const char *cursor = value;

	fprintf(out, "%s =", key->name);
	if (*value == '\0' ||
	    (key->type != CONFIG_LIST && key->type != CONFIG_CIDR_LIST) ||
	    strlen(value) + name_length <= PRINT_LINE_MAX) {
		fprintf(out, "%s%s\n", *value ? " " : "", value);
		return;
	}
	/* Break after ", " so each line holds whole items. */
	while (*cursor) {
		size_t room =
		    PRINT_LINE_MAX - (cursor == value ? name_length : 8);
		size_t take = strlen(cursor);

		if (take > room) {
			const char *cut = cursor + room;

			while (cut > cursor + 1 &&
			       !(cut[-1] == ' ' && cut[-2] == ','))
				cut--;
			take = cut > cursor + 1 ? (size_t)(cut - cursor)
			                        : strcspn(cursor, " ") + 1;
		}
		fprintf(out, "%s%.*s\n", cursor == value ? " " : "\t",
		    (int)take, cursor);
		cursor += take;
	}
}

static void
print_section(FILE *out, const struct config_section *section,
    const char *instance_name, const void *section_struct)
{
	char label[CONFIG_INSTANCE_NAME_MAX + 64];
	char value[CONFIG_FORMAT_MAX];
	size_t count = config_section_key_count(section);

	config_section_label(section, instance_name, label, sizeof(label));
	fprintf(out, "%s\n", label);
	for (size_t i = 0; i < count; i++) {
		size_t group_offset;
		const struct config_key *key =
		    config_section_key(section, i, &group_offset);
		const void *target =
		    (const char *)section_struct + group_offset + key->offset;

		if (!config_value_is_set(key, target))
			value[0] = '\0';
		else if (key->flags & CONFIG_SECRET)
			snprintf(value, sizeof(value), "********");
		else
			config_value_format(key, target, value, sizeof(value));
		print_value(out, key, value);
	}
	fprintf(out, "\n");
}

void
config_print(const struct config_schema *schema, const void *config, FILE *out)
{
	for (const struct config_section *s = schema->sections; s->name; s++) {
		const struct config_instances *list;

		if (!s->named) {
			print_section(
			    out, s, "", (const char *)config + s->offset);
			continue;
		}
		list = (const struct config_instances *)((const char *)config +
		                                         s->offset);
		for (size_t i = 0; i < list->count; i++)
			print_section(out, s, *(char *const *)list->items[i],
			    list->items[i]);
	}
}
