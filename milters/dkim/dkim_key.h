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

#define DKIM_KEY_FILE_MAX  (64 * 1024)
#define DKIM_RSA_BITS_MIN  1024
#define DKIM_RSA_BITS_WARN 2048
#define DKIM_RSA_BITS_MAX  4096

struct dkim_key {
	EVP_PKEY *pkey;
	enum dkim_algorithm algorithm;
	int bits;
	struct timespec mtime; /* of the file, to notice a change */
};

/* Who may own key files: the daemon's user, and root. */
struct dkim_key_owner {
	bool check;
	uid_t uid;
};

bool dkim_key_load(const char *path, const struct dkim_key_owner *owner,
    struct dkim_key *key, char *error, size_t error_size);
bool dkim_key_from_pem(const char *pem, size_t length, struct dkim_key *key,
    char *error, size_t error_size);
void dkim_key_free(struct dkim_key *key);

#endif
