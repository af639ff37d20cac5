/*
 * NAME
 *	dkim_sign - make one DKIM-Signature header (RFC 6376, RFC 8463)
 * SYNOPSIS
 *	#include "dkim_sign.h"
 *
 *	bool signature_make(request, value, signed_count, error, error_size)
 * DESCRIPTION
 *	Given the body hash and the message's headers, writes into value
 *	the complete field body of a DKIM-Signature header, starting with
 *	a space and folded with CRLF TAB:
 *
 *	    v=1; a=rsa-sha256; c=relaxed/relaxed; d=...; s=...; t=...;
 *	    [x=...;] h=...; bh=...; b=...
 *
 *	The header hash covers the headers header_policy_select() picks, in
 *	h= order and canonicalized, then this header itself with an empty
 *	b= and no final CRLF, exactly as it is folded (RFC 6376 3.7). With
 *	rsa-sha256 that data is signed RSASSA-PKCS1-v1_5 over SHA-256; with
 *	ed25519-sha256 the SHA-256 hash of it is signed with PureEdDSA
 *	(RFC 8463 3). Both are deterministic: the same input gives the same
 *	b=. The key is only read, so one EVP_PKEY serves every thread.
 *
 *	signed_count receives the number of header instances covered.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "dkim_sign.h"
#include "log.h"
#include "xmalloc.h"

#define SIGNATURE_MAX 1024 /* bytes: RSA-4096 is 512, Ed25519 64 */

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Fetched once: an implicit fetch per signature costs a provider lookup. */
static void
fetch_sha256(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *
signature_sha256(void)
{
	pthread_once(&sha256_once, fetch_sha256);
	return sha256;
}

const char *
signature_algorithm_name(enum signature_algorithm algorithm)
{
	return algorithm == SIGNATURE_ED25519_SHA256 ? "ed25519-sha256"
	                                             : "rsa-sha256";
}

static void
openssl_error(const char *what, char *error, size_t error_size)
{
	unsigned long code = ERR_get_error();
	char reason[256];

	ERR_error_string_n(code, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(error, error_size, "%s: %s", what, code ? reason : "failed");
}

static void
base64(const unsigned char *data, size_t length, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, data, (int)length);
}

static bool
sign_data(const struct signer *signer, const struct buffer *data,
    char *signature_b64, char *error, size_t error_size)
{
	unsigned char signature[SIGNATURE_MAX], hash[EVP_MAX_MD_SIZE];
	unsigned int hash_length = 0;
	size_t signature_length = sizeof(signature);
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	bool ok;

	if (context == NULL)
		log_fatal("out of memory creating a signing context");
	if (signer->algorithm == SIGNATURE_ED25519_SHA256) {
		ok = EVP_Digest(data->data, data->length, hash, &hash_length,
		         sha256, NULL) == 1 &&
		     EVP_DigestSignInit(
		         context, NULL, NULL, NULL, signer->key) == 1 &&
		     EVP_DigestSign(context, signature, &signature_length, hash,
		         hash_length) == 1;
	} else {
		ok = EVP_DigestSignInit(
		         context, NULL, sha256, NULL, signer->key) == 1 &&
		     EVP_DigestSign(context, signature, &signature_length,
		         (const unsigned char *)data->data, data->length) == 1;
	}
	EVP_MD_CTX_free(context);
	if (!ok) {
		openssl_error("signing failed", error, error_size);
		return false;
	}
	base64(signature, signature_length, signature_b64);
	return true;
}

bool
signature_make(const struct signature_request *request, struct buffer *value,
    size_t *signed_count, char *error, size_t error_size)
{
	const struct signer *signer = request->signer;
	size_t selected_max =
	    request->header_count + request->policy->oversign_count;
	const struct header_field **selected =
	    xcalloc(selected_max, sizeof(*selected));
	struct buffer tag_h = {0}, data = {0};
	struct fold fold;
	char body_hash[64], signature[(SIGNATURE_MAX / 3 + 1) * 4 + 1];
	char number[32];
	size_t selected_count;
	bool ok;

	signature_sha256();
	header_policy_select(request->policy, request->headers,
	    request->header_count, &tag_h, selected, &selected_count,
	    selected_max);
	base64(request->body_hash, BODY_HASH_SIZE, body_hash);

	buffer_reset(value);
	fold_start(&fold, value, sizeof("DKIM-Signature") - 1);
	fold_tag(&fold, "v", "1", false);
	fold_tag(
	    &fold, "a", signature_algorithm_name(signer->algorithm), false);
	fold_tag(&fold, "c",
	    request->header_canon == CANON_RELAXED
	        ? (request->body_canon == CANON_RELAXED ? "relaxed/relaxed"
	                                                : "relaxed/simple")
	        : (request->body_canon == CANON_RELAXED ? "simple/relaxed"
	                                                : "simple/simple"),
	    false);
	fold_tag(&fold, "d", signer->domain, false);
	fold_tag(&fold, "s", signer->selector, false);
	snprintf(number, sizeof(number), "%lld", request->timestamp);
	fold_tag(&fold, "t", number, false);
	if (request->expiration > 0) {
		snprintf(number, sizeof(number), "%lld", request->expiration);
		fold_tag(&fold, "x", number, false);
	}
	fold_tag(&fold, "h", buffer_text(&tag_h), false);
	fold_tag(&fold, "bh", body_hash, false);
	fold_tag(&fold, "b", "", true);

	for (size_t i = 0; i < selected_count; i++)
		if (selected[i] != NULL)
			canon_header(request->header_canon, selected[i]->name,
			    selected[i]->value, &data);
	canon_header(
	    request->header_canon, "DKIM-Signature", buffer_text(value), &data);
	data.length -= 2; /* the signature header is hashed without CRLF */

	ok = sign_data(signer, &data, signature, error, error_size);
	if (ok)
		fold_append(&fold, signature);
	*signed_count = 0;
	for (size_t i = 0; i < selected_count; i++)
		*signed_count += selected[i] != NULL;
	free(selected);
	buffer_free(&tag_h);
	buffer_free(&data);
	return ok;
}
