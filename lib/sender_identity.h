/*
 * sender_identity.h - the addresses a user may send as: Redis set, file
 */
#ifndef WAYPOST_SENDER_IDENTITY_H
#define WAYPOST_SENDER_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "config_file.h"

#define IDENTITY_USER_MAX    255
#define IDENTITY_ADDRESS_MAX 320 /* local-part (64), "@", domain (255) */
#define IDENTITY_FILE_MAX    (16 * 1024 * 1024)
#define IDENTITY_ENTRIES_MAX 1000000

/* What grants an address: itself, or its "@domain". Lower case. */
struct identity_members {
	char address[IDENTITY_ADDRESS_MAX + 1];
	char domain[IDENTITY_ADDRESS_MAX + 1];
};

struct identity_entry {
	char *user;
	char *member;
	int line;
};

struct identity_file {
	char *file;
	struct identity_entry *entries; /* sorted by user, then member */
	size_t count;
};

bool sender_identity_user(const char *user, char *out, size_t size);
bool sender_identity_key(
    const char *prefix, const char *user, struct buffer *key);
bool sender_identity_grant(const char *grant, char *out, size_t size);
bool sender_identity_members(
    const char *address, size_t length, struct identity_members *members);
bool identity_file_parse(const char *file, const char *data, size_t size,
    struct identity_file *table, struct config_errors *errors);
bool identity_file_load(const char *path, struct identity_file *table,
    struct config_errors *errors);
bool identity_file_allows(const struct identity_file *table, const char *user,
    const struct identity_members *members);
void identity_file_free(struct identity_file *table);

#endif
