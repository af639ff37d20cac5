/*
 * dkim_body_hash.h - the bh= of a message, computed as the body streams in
 */
#ifndef WAYPOST_DKIM_BODY_HASH_H
#define WAYPOST_DKIM_BODY_HASH_H

#include <openssl/evp.h>

#include "dkim_canon.h"
#include "dkim_line_break.h"
#include "dkim_sign.h"

struct body_hash {
	EVP_MD_CTX *context;
	struct body_canon canon;
	struct line_break lines;
};

void body_hash_init(
    struct body_hash *hash, enum canon_mode mode, size_t line_limit);
void body_hash_update(struct body_hash *hash, const char *data, size_t length);
void body_hash_final(struct body_hash *hash, unsigned char out[BODY_HASH_SIZE]);
void body_hash_free(struct body_hash *hash);

#endif
