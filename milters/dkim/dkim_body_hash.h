/*
 * dkim_body_hash.h - the bh= of a message, computed as the body streams in
 */
#ifndef WAYPOST_DKIM_BODY_HASH_H
#define WAYPOST_DKIM_BODY_HASH_H

#include <openssl/evp.h>

#include "dkim_canon.h"
#include "dkim_sign.h"

struct dkim_body_hash {
	EVP_MD_CTX *context;
	struct dkim_body_canon canon;
};

void dkim_body_hash_init(struct dkim_body_hash *hash, enum dkim_canon mode);
void dkim_body_hash_update(
    struct dkim_body_hash *hash, const char *data, size_t length);
void dkim_body_hash_final(
    struct dkim_body_hash *hash, unsigned char out[DKIM_BODY_HASH_SIZE]);
void dkim_body_hash_free(struct dkim_body_hash *hash);

#endif
