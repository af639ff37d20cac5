/*
 * dkim_sign.h - make one DKIM-Signature header (RFC 6376, RFC 8463)
 */
#ifndef WAYPOST_DKIM_SIGN_H
#define WAYPOST_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "buffer.h"
#include "dkim_canon.h"

#define DKIM_BODY_HASH_SIZE 32

/* One header as the milter received it (SMFIP_HDR_LEADSPC). */
struct dkim_header {
	char *name;
	char *value;
};

/* Which headers to sign, and which to oversign (see dkim_select.c). */
struct dkim_oversign {
	char *name;
	bool always; /* also when absent; else only when present */
};

struct dkim_header_policy {
	char **sign;
	size_t sign_count;
	struct dkim_oversign *oversign;
	size_t oversign_count;
};

enum dkim_algorithm {
	DKIM_RSA_SHA256,
	DKIM_ED25519_SHA256,
};

struct dkim_signer {
	EVP_PKEY *key;
	enum dkim_algorithm algorithm;
	const char *domain;
	const char *selector;
};

struct dkim_sign_request {
	const struct dkim_signer *signer;
	enum dkim_canon header_canon;
	enum dkim_canon body_canon;
	const unsigned char *body_hash; /* DKIM_BODY_HASH_SIZE bytes */
	long long timestamp;            /* t= */
	long long expiration;           /* x=; 0: none */
	const struct dkim_header *headers;
	size_t header_count;
	const struct dkim_header_policy *policy;
};

bool dkim_sign(const struct dkim_sign_request *request, struct buffer *value,
    size_t *signed_count, char *error, size_t error_size);
const char *dkim_algorithm_name(enum dkim_algorithm algorithm);
const EVP_MD *dkim_sha256(void);

/* dkim_select.c */
void dkim_select_headers(const struct dkim_header_policy *policy,
    const struct dkim_header *headers, size_t header_count,
    struct buffer *tag_h, const struct dkim_header **selected,
    size_t *selected_count, size_t selected_max);

/* dkim_fold.c: build a header value folded at 78 columns, CRLF TAB. */
struct dkim_fold {
	struct buffer *out;
	size_t column;
};

void dkim_fold_start(
    struct dkim_fold *fold, struct buffer *out, size_t name_length);
void dkim_fold_tag(
    struct dkim_fold *fold, const char *tag, const char *value, bool last);
void dkim_fold_append(struct dkim_fold *fold, const char *text);

#endif
