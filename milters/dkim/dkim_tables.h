/*
 * dkim_tables.h - OpenDKIM's KeyTable and SigningTable files
 */
#ifndef WAYPOST_DKIM_TABLES_H
#define WAYPOST_DKIM_TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"
#include "dkim_address.h"
#include "table_lines.h"

/* Bounds on what a table file may hold. */
#define TABLE_SIZE_MAX    (16 * 1024 * 1024)
#define TABLE_ENTRIES_MAX 1000000
#define SELECTOR_MAX      63

/* KeyTable: "name domain:selector:/path/to/key". */
struct key_entry {
	char *name;
	char *domain; /* "%": the author's domain */
	char *selector;
	char *path;
	int line;
};

struct keytable {
	char *file;
	struct key_entry *entries;
	size_t count;
};

/* SigningTable: "pattern keyname". */
struct sign_entry {
	char *pattern; /* lowercased */
	char *key_name;
	int line;
};

struct signtable {
	char *file;
	bool wildcards; /* refile: patterns with '*', in file order */
	struct sign_entry *entries; /* plain: sorted by pattern */
	size_t count;
};

bool table_path(
    const char *spec, bool allow_refile, const char **path, bool *refile);
/* A domain or selector as KeyTable lines and DNS names take them. */
bool table_name_valid(const char *text);
bool keytable_parse(const char *file, const char *data, size_t size,
    struct keytable *table, struct config_errors *errors);
bool signtable_parse(const char *file, const char *data, size_t size,
    bool wildcards, struct signtable *table, struct config_errors *errors);
size_t signtable_lookup(const struct signtable *table,
    const struct author_address *author, const char **key_names,
    size_t max_names);
const struct key_entry *keytable_find(
    const struct keytable *table, const char *name);
void keytable_free(struct keytable *table);
void signtable_free(struct signtable *table);

#endif
