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
#define DKIM_SIGNATURES_MAX 8

struct dkim_watched_file {
	char *path;
	struct timespec mtime;
};

struct dkim_keyset {
	struct dkim_keytable keytable;
	struct dkim_signtable signtable;
	struct dkim_key *keys; /* one per keytable entry, same order */
	const struct dkim_key_entry *fallback;
	struct dkim_watched_file *files;
	size_t file_count;
};

struct dkim_keyset *dkim_keyset_load(const struct dkim_section *config,
    const struct dkim_key_owner *owner, struct config_errors *errors);
size_t dkim_keyset_signers(const struct dkim_keyset *keyset,
    const struct dkim_address *author, struct dkim_signer *signers, size_t max);
bool dkim_keyset_changed(const struct dkim_keyset *keyset);
void dkim_keyset_free(struct dkim_keyset *keyset);

#endif
