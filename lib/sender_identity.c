/*
 * NAME
 *	sender_identity - the addresses a user may send as: Redis set, file
 * SYNOPSIS
 *	#include "sender_identity.h"
 *
 *	bool sender_identity_user(user, out, size)
 *	bool sender_identity_key(prefix, user, key)
 *	bool sender_identity_grant(grant, out, size)
 *	bool sender_identity_members(address, length, members)
 *
 *	bool identity_file_parse(file, data, size, table, errors)
 *	bool identity_file_load(path, table, errors)
 *	bool identity_file_allows(table, user, members)
 *	void identity_file_free(table)
 * DESCRIPTION
 *	An operator grants an authenticated user (its SMTP AUTH name) the
 *	addresses it may send as once, for every daemon that asks:
 *	waypost-headers for the From header, waypost-policyd for the
 *	envelope sender. A grant is an exact address (alice@example.com)
 *	or a whole domain (@example.com). Users, addresses and domains
 *	compare without regard to case: everything is kept in lower case,
 *	and a domain without its trailing dot (lib/mail_domain.c), so that
 *	x@example.com. is x@example.com, as Postfix delivers it.
 *
 *	In Redis, a set per user (lib/redis_keys.c names it: prefix
 *	"senders:" user), user in lower case, for example
 *
 *	    SADD waypost:senders:alice@example.com alice@example.com
 *	        @example.org
 *
 *	sender_identity_user() writes a user's name as keys carry it (in
 *	lower case), false when it cannot be one; sender_identity_key()
 *	makes the key; sender_identity_members() the two members that grant
 *	an address (the address and "@" its domain), so one SMISMEMBER
 *	answers. sender_identity_grant() writes a grant (an address or
 *	"@domain") as the set holds it, false when it is neither: what the
 *	file's grants become, and what waypostctl(8) adds.
 *
 *	In a file: lines "user grant, grant ...", comma or space separated;
 *	a user may have several lines. identity_file_parse() refuses the
 *	whole file when a line is wrong, naming the file and line.
 * SECURITY
 *	Bounds: IDENTITY_FILE_MAX bytes, IDENTITY_ENTRIES_MAX grants,
 *	IDENTITY_USER_MAX and IDENTITY_ADDRESS_MAX bytes per name; names
 *	with control characters, white space or no "@" are refused.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "mail_domain.h"
#include "redis_keys.h"
#include "sender_identity.h"
#include "table_lines.h"
#include "word_list.h"
#include "xmalloc.h"

/* Printable ASCII or UTF-8, no white space, at most max bytes. */
static bool
plain_name(const char *text, size_t length, size_t max)
{
	if (length == 0 || length > max)
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= ' ' || c == 127)
			return false;
	}
	return true;
}

static void
lowercase(char *text)
{
	for (; *text; text++)
		*text = (char)tolower((unsigned char)*text);
}

bool
sender_identity_user(const char *user, char *out, size_t size)
{
	size_t length = strlen(user);

	if (!plain_name(user, length, IDENTITY_USER_MAX) || length >= size)
		return false;
	memcpy(out, user, length + 1);
	lowercase(out);
	return true;
}

bool
sender_identity_key(const char *prefix, const char *user, struct buffer *key)
{
	char name[IDENTITY_USER_MAX + 1];

	if (!sender_identity_user(user, name, sizeof(name)))
		return false;
	buffer_reset(key);
	redis_key_append(key, prefix, REDIS_KEY_SENDERS, name, NULL);
	return true;
}

bool
sender_identity_members(
    const char *address, size_t length, struct identity_members *members)
{
	const char *at;

	if (!plain_name(address, length, IDENTITY_ADDRESS_MAX))
		return false;
	memcpy(members->address, address, length);
	members->address[length] = '\0';
	lowercase(members->address);
	length = mail_address_normalize(members->address, length);
	at = memrchr(members->address, '@', length);
	if (at == NULL || at == members->address ||
	    at == members->address + length - 1)
		return false;
	strcpy(members->domain, at);
	return true;
}

/* A grant: "local@domain" or "@domain". */
static bool
valid_grant(const char *word, size_t length)
{
	const char *at = memchr(word, '@', length);

	return plain_name(word, length, IDENTITY_ADDRESS_MAX) && at != NULL &&
	       at < word + length - 1 &&
	       memchr(at + 1, '@', (size_t)(word + length - at - 1)) == NULL;
}

bool
sender_identity_grant(const char *grant, char *out, size_t size)
{
	size_t length = strlen(grant);

	if (!valid_grant(grant, length) || length >= size)
		return false;
	memcpy(out, grant, length + 1);
	lowercase(out);
	length = mail_address_normalize(out, length);
	/* "@." and "x@.y" name no domain Postfix delivers to */
	return out[length - 1] != '@' && strrchr(out, '@')[1] != '.';
}

static int
compare_entries(const void *a, const void *b)
{
	const struct identity_entry *x = a, *y = b;
	int order = strcmp(x->user, y->user);

	return order != 0 ? order : strcmp(x->member, y->member);
}

static bool
add_grants(struct identity_file *table, struct table_lines *lines,
    const char *user, const char *grants)
{
	const char *cursor = grants, *word;
	size_t length;

	if (!plain_name(user, strlen(user), IDENTITY_USER_MAX)) {
		config_errors_add(lines->errors,
		    "%s:%d: \"%.100s\" is not a user name", lines->file,
		    lines->line, user);
		return false;
	}
	if (grants[0] == '\0') {
		config_errors_add(lines->errors,
		    "%s:%d: expected \"user address, @domain ...\"",
		    lines->file, lines->line);
		return false;
	}
	while (word_list_next(&cursor, &word, &length)) {
		struct identity_entry entry;

		if (!valid_grant(word, length)) {
			config_errors_add(lines->errors,
			    "%s:%d: \"%.*s\" is neither an address nor "
			    "@domain",
			    lines->file, lines->line,
			    (int)(length > 100 ? 100 : length), word);
			return false;
		}
		if (table->count >= IDENTITY_ENTRIES_MAX) {
			config_errors_add(lines->errors,
			    "%s:%d: more than %d grants", lines->file,
			    lines->line, IDENTITY_ENTRIES_MAX);
			return false;
		}
		entry.user = xstrdup(user);
		entry.member = xstrndup(word, length);
		entry.line = lines->line;
		lowercase(entry.user);
		lowercase(entry.member);
		mail_address_normalize(entry.member, strlen(entry.member));
		table->entries = xreallocarray(
		    table->entries, table->count + 1, sizeof(*table->entries));
		table->entries[table->count++] = entry;
	}
	return true;
}

bool
identity_file_parse(const char *file, const char *data, size_t size,
    struct identity_file *table, struct config_errors *errors)
{
	struct table_lines *lines = xmalloc(sizeof(*lines));
	size_t before = errors->count + errors->dropped;
	char *user, *grants;

	memset(table, 0, sizeof(*table));
	table->file = xstrdup(file);
	table_lines_init(lines, file, data, size, errors);
	while (table_lines_next(lines, &user, &grants))
		if (!add_grants(table, lines, user, grants) &&
		    table->count >= IDENTITY_ENTRIES_MAX)
			break;
	free(lines);
	if (table->count > 1)
		qsort(table->entries, table->count, sizeof(*table->entries),
		    compare_entries);
	return errors->count + errors->dropped == before;
}

bool
identity_file_load(
    const char *path, struct identity_file *table, struct config_errors *errors)
{
	char error[256];
	struct stat st;
	size_t size;
	char *data = file_read(
	    path, IDENTITY_FILE_MAX, &size, &st, error, sizeof(error));
	bool parsed;

	if (data == NULL) {
		memset(table, 0, sizeof(*table));
		config_errors_add(errors, "%s", error);
		return false;
	}
	parsed = identity_file_parse(path, data, size, table, errors);
	free(data);
	return parsed;
}

static bool
has(const struct identity_file *table, const char *user, const char *member)
{
	struct identity_entry probe = {(char *)user, (char *)member, 0};

	return table->count > 0 &&
	       bsearch(&probe, table->entries, table->count,
	           sizeof(*table->entries), compare_entries) != NULL;
}

bool
identity_file_allows(const struct identity_file *table, const char *user,
    const struct identity_members *members)
{
	char lower[IDENTITY_USER_MAX + 1];

	if (!sender_identity_user(user, lower, sizeof(lower)))
		return false;
	return has(table, lower, members->address) ||
	       has(table, lower, members->domain);
}

void
identity_file_free(struct identity_file *table)
{
	for (size_t i = 0; i < table->count; i++) {
		free(table->entries[i].user);
		free(table->entries[i].member);
	}
	free(table->entries);
	free(table->file);
	memset(table, 0, sizeof(*table));
}
