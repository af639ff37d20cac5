/*
 * NAME
 *	dkim_body_hash - the bh= of a message, computed as the body streams in
 * SYNOPSIS
 *	#include "dkim_body_hash.h"
 *
 *	void body_hash_init(hash, mode, line_limit)
 *	void body_hash_update(hash, data, length)
 *	void body_hash_final(hash, out)
 *	void body_hash_free(hash)
 * DESCRIPTION
 *	SHA-256 over the canonical body (dkim_canon.c), fed chunk by chunk
 *	as the milter receives them: the body is never stored, so memory
 *	per message stays the same for 2 KB and for 50 MB. One hash serves
 *	every signature of a message, as they share the canonicalization
 *	and use no l= tag. Both rsa-sha256 and ed25519-sha256 use SHA-256.
 *
 *	Lines longer than line_limit are hashed as Postfix's SMTP client
 *	will send them, broken (dkim_line_break.c); 0 hashes them whole.
 */
#include "config.h"

#include <string.h>

#include "dkim_body_hash.h"
#include "log.h"

static void
hash_canonical(void *context, const char *data, size_t length)
{
	if (EVP_DigestUpdate(context, data, length) != 1)
		log_panic("SHA-256 update failed");
}

static void
to_canon(void *context, const char *data, size_t length)
{
	body_canon_update(context, data, length);
}

void
body_hash_init(struct body_hash *hash, enum canon_mode mode, size_t line_limit)
{
	hash->context = EVP_MD_CTX_new();
	if (hash->context == NULL ||
	    EVP_DigestInit_ex(hash->context, signature_sha256(), NULL) != 1)
		log_fatal("cannot start a SHA-256 hash");
	body_canon_init(&hash->canon, mode, hash_canonical, hash->context);
	line_break_init(&hash->lines, line_limit, to_canon, &hash->canon);
}

void
body_hash_update(struct body_hash *hash, const char *data, size_t length)
{
	line_break_update(&hash->lines, data, length);
}

void
body_hash_final(struct body_hash *hash, unsigned char out[BODY_HASH_SIZE])
{
	unsigned int length = 0;

	line_break_final(&hash->lines);
	body_canon_final(&hash->canon);
	if (EVP_DigestFinal_ex(hash->context, out, &length) != 1 ||
	    length != BODY_HASH_SIZE)
		log_panic("SHA-256 final failed");
}

void
body_hash_free(struct body_hash *hash)
{
	EVP_MD_CTX_free(hash->context);
	hash->context = NULL;
}
