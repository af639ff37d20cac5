/*
 * dkim_key.h - a DKIM private key file, read and checked once
 */
#ifndef WAYPOST_DKIM_KEY_H
#define WAYPOST_DKIM_KEY_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>

#include "config_file.h"
#include "dkim_sign.h"

#define KEY_FILE_MAX  (64 * 1024)
#define RSA_BITS_MIN  1024
#define RSA_BITS_WARN 2048
#define RSA_BITS_MAX  4096

struct signing_key {
	EVP_PKEY *pkey;
	enum signature_algorithm algorithm;
	int bits;
	struct timespec mtime; /* of the file, to notice a change */
};

/* Who may own key files: the daemon's user, and root. */
struct key_owner {
	bool check;
	uid_t uid;
};

bool signing_key_load(const char *path, const struct key_owner *owner,
    struct signing_key *key, char *error, size_t error_size);
bool signing_key_from_pem(const char *pem, size_t length,
    struct signing_key *key, char *error, size_t error_size);
void signing_key_free(struct signing_key *key);

#endif
