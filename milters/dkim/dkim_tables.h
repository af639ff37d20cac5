/*
 * dkim_tables.h - OpenDKIM's KeyTable and SigningTable files
 */
#ifndef WAYPOST_DKIM_TABLES_H
#define WAYPOST_DKIM_TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"
#include "dkim_address.h"

/* Bounds on what a table file may hold. */
#define DKIM_TABLE_SIZE_MAX    (16 * 1024 * 1024)
#define DKIM_TABLE_LINE_MAX    4096
#define DKIM_TABLE_ENTRIES_MAX 1000000
#define DKIM_SELECTOR_MAX      63

/* KeyTable: "name domain:selector:/path/to/key". */
struct dkim_key_entry {
	char *name;
	char *domain; /* "%": the author's domain */
	char *selector;
	char *path;
	int line;
};

struct dkim_keytable {
	char *file;
	struct dkim_key_entry *entries;
	size_t count;
};

/* SigningTable: "pattern keyname". */
struct dkim_sign_entry {
	char *pattern; /* lowercased */
	char *key_name;
	int line;
};

struct dkim_signtable {
	char *file;
	bool wildcards; /* refile: patterns with '*', in file order */
	struct dkim_sign_entry *entries; /* plain: sorted by pattern */
	size_t count;
};

bool dkim_table_path(
    const char *spec, bool allow_refile, const char **path, bool *refile);
bool dkim_keytable_parse(const char *file, const char *data, size_t size,
    struct dkim_keytable *table, struct config_errors *errors);
bool dkim_signtable_parse(const char *file, const char *data, size_t size,
    bool wildcards, struct dkim_signtable *table, struct config_errors *errors);
size_t dkim_signtable_lookup(const struct dkim_signtable *table,
    const struct dkim_address *author, const char **key_names,
    size_t max_names);
const struct dkim_key_entry *dkim_keytable_find(
    const struct dkim_keytable *table, const char *name);
void dkim_keytable_free(struct dkim_keytable *table);
void dkim_signtable_free(struct dkim_signtable *table);

#endif
