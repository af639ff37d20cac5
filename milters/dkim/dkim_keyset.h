/*
 * dkim_keyset.h - the tables and keys waypost-dkim signs with
 */
#ifndef WAYPOST_DKIM_KEYSET_H
#define WAYPOST_DKIM_KEYSET_H

#include <stdbool.h>
#include <stddef.h>

#include "config_file.h"
#include "dkim_address.h"
#include "dkim_config.h"
#include "dkim_key.h"
#include "dkim_sign.h"
#include "dkim_tables.h"

/* Most signatures on one message. */
#define SIGNATURES_MAX 8

struct watched_file {
	char *path;
	struct timespec mtime;
};

struct keyset {
	struct keytable keytable;
	struct signtable signtable;
	struct signing_key *keys;   /* one per keytable entry, same order */
	struct metric **signatures; /* the same: each key's count */
	const struct key_entry *fallback;
	struct watched_file *files;
	size_t file_count;
};

struct keyset *keyset_load(const struct dkim_section *config,
    const struct key_owner *owner, struct config_errors *errors);
size_t keyset_signers(const struct keyset *keyset,
    const struct author_address *author, struct signer *signers, size_t max);
bool keyset_changed(const struct keyset *keyset);
void keyset_free(struct keyset *keyset);

#endif
