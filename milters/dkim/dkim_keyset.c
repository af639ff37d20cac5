/*
 * NAME
 *	dkim_keyset - the tables and keys waypost-dkim signs with
 * SYNOPSIS
 *	#include "dkim_keyset.h"
 *
 *	struct keyset *keyset_load(config, owner, errors)
 *	size_t keyset_signers(keyset, author, signers, max)
 *	bool keyset_changed(keyset)
 * DESCRIPTION
 *	keyset_load() reads the KeyTable, the SigningTable and every
 *	key the KeyTable names, and checks that each key name the
 *	SigningTable and fallback_key use exists. It returns NULL with
 *	every problem in errors, or a keyset that never changes: a reload
 *	builds a new one and the old one lives on until the last message
 *	that uses it is done (dkim_runtime.c).
 *
 *	keyset_signers() turns an author address into the signatures
 *	to make: one per matching SigningTable entry, or the fallback key
 *	when nothing matches. A KeyTable domain of "%" becomes the
 *	author's domain.
 *
 *	Each KeyTable entry gets its series of
 *	waypost_dkim_signatures_total (its domain as written, its key's
 *	algorithm) when the set loads, so every configured domain shows at
 *	0 from the start and a signature costs no lookup (dkim_metrics.c).
 *
 *	keyset_changed() says whether a table or key file now has
 *	another mtime (or is gone), so the daemon reloads by itself when an
 *	admin edits the tables or rotates a key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dkim_keyset.h"
#include "dkim_metrics.h"
#include "file_read.h"
#include "log.h"
#include "xmalloc.h"

static void
watch(struct keyset *keyset, const char *path, struct timespec mtime)
{
	keyset->files = xreallocarray(
	    keyset->files, keyset->file_count + 1, sizeof(*keyset->files));
	keyset->files[keyset->file_count].path = xstrdup(path);
	keyset->files[keyset->file_count++].mtime = mtime;
}

/* Read a table file; parse it with the given parser. */
static bool
load_table(struct keyset *keyset, const char *spec, bool is_keytable,
    struct config_errors *errors)
{
	char error[CONFIG_ERROR_TEXT_MAX - 16];
	const char *path;
	bool refile, ok;
	struct stat st;
	size_t size;
	char *data;

	table_path(spec, !is_keytable, &path, &refile);
	data =
	    file_read(path, TABLE_SIZE_MAX, &size, &st, error, sizeof(error));
	if (data == NULL) {
		config_errors_add(errors, "%s", error);
		return false;
	}
	watch(keyset, path, st.st_mtim);
	ok = is_keytable
	         ? keytable_parse(path, data, size, &keyset->keytable, errors)
	         : signtable_parse(
	               path, data, size, refile, &keyset->signtable, errors);
	free(data);
	return ok;
}

static bool
load_keys(struct keyset *keyset, const struct key_owner *owner,
    struct config_errors *errors)
{
	size_t before = errors->count + errors->dropped;
	char error[CONFIG_ERROR_TEXT_MAX - 64];

	keyset->keys =
	    xcalloc(keyset->keytable.count ? keyset->keytable.count : 1,
	        sizeof(*keyset->keys));
	for (size_t i = 0; i < keyset->keytable.count; i++) {
		const struct key_entry *entry = &keyset->keytable.entries[i];
		struct signing_key *key = &keyset->keys[i];

		if (!signing_key_load(
		        entry->path, owner, key, error, sizeof(error))) {
			config_errors_add(errors, "%s:%d: %s",
			    keyset->keytable.file, entry->line, error);
			continue;
		}
		watch(keyset, entry->path, key->mtime);
		if (key->algorithm == SIGNATURE_RSA_SHA256 &&
		    key->bits < RSA_BITS_WARN)
			log_warning("%s:%d: key %s has %d bits; use %d or more",
			    keyset->keytable.file, entry->line, entry->name,
			    key->bits, RSA_BITS_WARN);
	}
	return errors->count + errors->dropped == before;
}

static bool
resolve_names(
    struct keyset *keyset, const char *fallback, struct config_errors *errors)
{
	size_t before = errors->count + errors->dropped;

	for (size_t i = 0; i < keyset->signtable.count; i++) {
		const struct sign_entry *entry = &keyset->signtable.entries[i];

		if (keytable_find(&keyset->keytable, entry->key_name) == NULL)
			config_errors_add(errors,
			    "%s:%d: no key named \"%.100s\" in the KeyTable %s",
			    keyset->signtable.file, entry->line,
			    entry->key_name, keyset->keytable.file);
	}
	if (fallback != NULL) {
		keyset->fallback = keytable_find(&keyset->keytable, fallback);
		if (keyset->fallback == NULL)
			config_errors_add(errors,
			    "[dkim] fallback_key: no key named \"%.100s\" in the "
			    "KeyTable %s",
			    fallback, keyset->keytable.file);
	}
	return errors->count + errors->dropped == before;
}

struct keyset *
keyset_load(const struct dkim_section *config, const struct key_owner *owner,
    struct config_errors *errors)
{
	struct keyset *keyset = xcalloc(1, sizeof(*keyset));
	bool ok = load_table(keyset, config->key_table, true, errors);

	if (config->signing_table != NULL)
		ok = load_table(keyset, config->signing_table, false, errors) &&
		     ok;
	if (ok)
		ok = load_keys(keyset, owner, errors) &&
		     resolve_names(keyset, config->fallback_key, errors);
	if (!ok) {
		keyset_free(keyset);
		return NULL;
	}
	keyset->signatures =
	    xcalloc(keyset->keytable.count ? keyset->keytable.count : 1,
	        sizeof(*keyset->signatures));
	for (size_t i = 0; i < keyset->keytable.count; i++)
		keyset->signatures[i] =
		    dkim_metrics_signatures(keyset->keytable.entries[i].domain,
		        keyset->keys[i].algorithm);
	return keyset;
}

static void
add_signer(const struct keyset *keyset, const struct key_entry *entry,
    const struct author_address *author, struct signer *signers, size_t *count,
    size_t max)
{
	size_t index = (size_t)(entry - keyset->keytable.entries);
	const struct signing_key *key = &keyset->keys[index];

	if (*count == max)
		return;
	signers[*count].key = key->pkey;
	signers[*count].algorithm = key->algorithm;
	signers[*count].domain =
	    strcmp(entry->domain, "%") == 0 ? author->domain : entry->domain;
	signers[*count].selector = entry->selector;
	signers[*count].signatures = keyset->signatures[index];
	(*count)++;
}

size_t
keyset_signers(const struct keyset *keyset, const struct author_address *author,
    struct signer *signers, size_t max)
{
	const char *names[SIGNATURES_MAX];
	size_t found = signtable_lookup(&keyset->signtable, author, names,
	    max < SIGNATURES_MAX ? max : SIGNATURES_MAX);
	size_t count = 0;

	for (size_t i = 0; i < found; i++)
		add_signer(keyset, keytable_find(&keyset->keytable, names[i]),
		    author, signers, &count, max);
	if (count == 0 && keyset->fallback != NULL)
		add_signer(
		    keyset, keyset->fallback, author, signers, &count, max);
	return count;
}

bool
keyset_changed(const struct keyset *keyset)
{
	struct stat st;

	for (size_t i = 0; i < keyset->file_count; i++) {
		const struct watched_file *file = &keyset->files[i];

		if (stat(file->path, &st) < 0 ||
		    st.st_mtim.tv_sec != file->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != file->mtime.tv_nsec)
			return true;
	}
	return false;
}

void
keyset_free(struct keyset *keyset)
{
	if (keyset == NULL)
		return;
	for (size_t i = 0; keyset->keys && i < keyset->keytable.count; i++)
		signing_key_free(&keyset->keys[i]);
	free(keyset->keys);
	free(keyset->signatures);
	for (size_t i = 0; i < keyset->file_count; i++)
		free(keyset->files[i].path);
	free(keyset->files);
	keytable_free(&keyset->keytable);
	signtable_free(&keyset->signtable);
	free(keyset);
}
