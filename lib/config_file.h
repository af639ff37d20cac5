/*
 * config_file.h - the suite-wide INI file: schema, loading, errors
 */
#ifndef WAYPOST_CONFIG_FILE_H
#define WAYPOST_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config_errors.h"

/* Bounds on the file, stated once (the errors' in config_errors.h). The
 * line and name bounds are libinih's, which read the file before. */
#define CONFIG_FILE_SIZE_MAX     (1024 * 1024)
#define CONFIG_LINE_MAX          198 /* characters, without the line end */
#define CONFIG_NAME_MAX          49  /* a key name; a header inside [ ] */
#define CONFIG_VALUE_MAX         8192
#define CONFIG_INSTANCE_NAME_MAX 32
#define CONFIG_INSTANCES_MAX     1000

enum config_type {
	CONFIG_STRING,   /* char *, NULL when unset */
	CONFIG_PATH,     /* char *, an absolute path */
	CONFIG_BOOL,     /* bool: yes/no, true/false, on/off, 1/0 */
	CONFIG_INTEGER,  /* long long within [min, max] */
	CONFIG_DURATION, /* long long milliseconds: 500ms, 90s, 15m, 1h, 1d, 1w
	                  */
	CONFIG_SIZE,     /* long long bytes: 512, 64K, 10M, 1G */
	CONFIG_MODE,     /* unsigned, octal permission bits: 0660 */
	CONFIG_CHOICE,   /* int, index into choices */
	CONFIG_LIST, /* struct config_list: words, comma or space separated */
	CONFIG_CIDR_LIST, /* struct cidr_list */
	CONFIG_SOCKET,    /* struct socket_spec */
	CONFIG_ADDRESS,   /* struct socket_spec, also HOST:PORT, [IPV6]:PORT */
	CONFIG_USER,      /* char *, an existing user name */
	CONFIG_GROUP,     /* char *, an existing group name */
};

/* Key flags. */
#define CONFIG_REQUIRED 0x1 /* no default; the file must set it */
#define CONFIG_SECRET   0x2 /* file must not be world-readable; masked by -n */

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset; /* within the struct of its key group */
	const char *default_value;
	unsigned flags;
	long long min, max; /* INTEGER, DURATION, SIZE, MODE; 0, 0: no bound */
	const char *const *choices; /* CHOICE: NULL-terminated */
};

struct config_list {
	size_t count;
	char **items;
};

/* A section's keys may come in groups, each a table of keys at an offset
 * in the section struct: the daemon keys from lib/ plus the daemon's own. */
struct config_key_group {
	const struct config_key *keys; /* terminated by name == NULL */
	size_t offset;
};

/* Per-section default that replaces a key's own (e.g. the socket path). */
struct config_default {
	const char *key;
	const char *value;
};

struct config_report; /* errors of one section, with file and line */

#define CONFIG_KEY_GROUPS_MAX 4

struct config_section {
	const char *name;
	bool named;    /* [name "instance"], any number of them */
	size_t offset; /* the section struct, or a config_instances */
	size_t
	    instance_size; /* named: one instance, struct config_head first */
	struct config_key_group groups[CONFIG_KEY_GROUPS_MAX];
	const struct config_default *defaults; /* NULL or {NULL}-terminated */
	void (*validate)(void *section, struct config_report *report);
};

/* The start of a named section's struct, filled by the loader. */
struct config_head {
	char *name; /* the instance name */
	int line;   /* its header's line in the file */
};

struct config_instances {
	size_t count;
	void **items; /* each starts with a struct config_head */
};

struct config_schema {
	size_t size;                           /* the program's config struct */
	const struct config_section *sections; /* {NULL}-terminated */
	const char *const *other_sections;     /* other daemons': skipped */
};

void *config_load_file(const struct config_schema *schema, const char *path,
    struct config_errors *errors);
void *config_load_buffer(const struct config_schema *schema, const char *name,
    const char *data, size_t size, struct config_errors *errors);
void config_free(const struct config_schema *schema, void *config);
const void *config_instance_find(
    const struct config_instances *list, const char *name);
void config_print(
    const struct config_schema *schema, const void *config, FILE *out);

void config_report_error(struct config_report *report, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
