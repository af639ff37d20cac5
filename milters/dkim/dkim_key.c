/*
 * NAME
 *	dkim_key - a DKIM private key file, read and checked once
 * SYNOPSIS
 *	#include "dkim_key.h"
 *
 *	bool signing_key_load(path, owner, key, error, error_size)
 * DESCRIPTION
 *	Reads a PEM private key (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA
 *	PRIVATE KEY", as opendkim-genkey writes) and keeps the parsed
 *	EVP_PKEY: OpenDKIM decodes the key again for every message, which
 *	costs OpenSSL 3 about half a millisecond each time. The algorithm
 *	follows the key: RSA signs rsa-sha256, Ed25519 ed25519-sha256.
 *
 *	RSA keys must have 1024 to 4096 bits; under 2048 the caller warns.
 *	Any other key type is refused.
 *
 *	With owner->check (require_safe_keys), the file must be a regular
 *	file that neither group nor others may read or write, owned by root
 *	or by the daemon's user: a key others can read is a key others can
 *	sign with. The checks apply to the file opened, so a symlink is
 *	judged by what it points to.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "dkim_key.h"
#include "file_read.h"
#include "log.h"
#include "xmalloc.h"

static bool
check_file(const char *path, const struct stat *st,
    const struct key_owner *owner, char *error, size_t error_size)
{
	if (!owner->check)
		return true;
	if (st->st_mode & 077) {
		snprintf(error, error_size,
		    "%s may be read or written by group or others (mode %04o): "
		    "chmod 600 %s",
		    path, (unsigned)(st->st_mode & 07777), path);
		return false;
	}
	if (st->st_uid != 0 && st->st_uid != owner->uid) {
		snprintf(error, error_size,
		    "%s is owned by uid %ld, neither root nor the daemon's "
		    "user (uid %ld)",
		    path, (long)st->st_uid, (long)owner->uid);
		return false;
	}
	return true;
}

bool
signing_key_from_pem(const char *pem, size_t length, struct signing_key *key,
    char *error, size_t error_size)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)length);
	int type;

	memset(key, 0, sizeof(*key));
	if (bio == NULL)
		log_fatal("out of memory reading a key");
	key->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (key->pkey == NULL) {
		snprintf(error, error_size, "not a PEM private key");
		return false;
	}
	type = EVP_PKEY_get_base_id(key->pkey);
	key->bits = EVP_PKEY_get_bits(key->pkey);
	if (type == EVP_PKEY_ED25519) {
		key->algorithm = SIGNATURE_ED25519_SHA256;
		return true;
	}
	if (type != EVP_PKEY_RSA) {
		snprintf(error, error_size,
		    "unsupported key type %s: use RSA or Ed25519",
		    OBJ_nid2sn(type));
	} else if (key->bits < RSA_BITS_MIN || key->bits > RSA_BITS_MAX) {
		snprintf(error, error_size,
		    "RSA key of %d bits: DKIM keys must have %d to %d bits",
		    key->bits, RSA_BITS_MIN, RSA_BITS_MAX);
	} else {
		key->algorithm = SIGNATURE_RSA_SHA256;
		return true;
	}
	signing_key_free(key);
	return false;
}

bool
signing_key_load(const char *path, const struct key_owner *owner,
    struct signing_key *key, char *error, size_t error_size)
{
	struct stat st;
	size_t size;
	char reason[256];
	char *pem =
	    file_read(path, KEY_FILE_MAX, &size, &st, error, error_size);
	bool ok;

	memset(key, 0, sizeof(*key));
	if (pem == NULL)
		return false;
	ok = check_file(path, &st, owner, error, error_size);
	if (ok &&
	    !signing_key_from_pem(pem, size, key, reason, sizeof(reason))) {
		snprintf(error, error_size, "%s: %s", path, reason);
		ok = false;
	}
	OPENSSL_cleanse(pem, size);
	free(pem);
	if (ok)
		key->mtime = st.st_mtim;
	return ok;
}

void
signing_key_free(struct signing_key *key)
{
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
}
