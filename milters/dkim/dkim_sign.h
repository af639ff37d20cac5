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
#include "header_field.h"

#define BODY_HASH_SIZE 32

struct metric;

/* Which headers to sign, and which to oversign (see dkim_select.c). */
struct oversign_rule {
	char *name;
	bool always; /* also when absent; else only when present */
};

struct header_policy {
	char **sign;
	size_t sign_count;
	struct oversign_rule *oversign;
	size_t oversign_count;
};

enum signature_algorithm {
	SIGNATURE_RSA_SHA256,
	SIGNATURE_ED25519_SHA256,
};

struct signer {
	EVP_PKEY *key;
	enum signature_algorithm algorithm;
	const char *domain;
	const char *selector;
	struct metric *signatures; /* the key's count (dkim_metrics.c) */
};

struct signature_request {
	const struct signer *signer;
	enum canon_mode header_canon;
	enum canon_mode body_canon;
	const unsigned char *body_hash; /* BODY_HASH_SIZE bytes */
	long long timestamp;            /* t= */
	long long expiration;           /* x=; 0: none */
	const struct header_field *headers;
	size_t header_count;
	const struct header_policy *policy;
};

bool signature_make(const struct signature_request *request,
    struct buffer *value, size_t *signed_count, char *error, size_t error_size);
const char *signature_algorithm_name(enum signature_algorithm algorithm);
const EVP_MD *signature_sha256(void);

/* dkim_select.c */
struct config_list;
void header_policy_init(struct header_policy *policy,
    const struct config_list *sign, const struct config_list *oversign);
void header_policy_free(struct header_policy *policy);
void header_policy_select(const struct header_policy *policy,
    const struct header_field *headers, size_t header_count,
    struct buffer *tag_h, const struct header_field **selected,
    size_t *selected_count, size_t selected_max);

/* dkim_fold.c: build a header value folded at 78 columns, CRLF TAB. */
struct fold {
	struct buffer *out;
	size_t column;
};

void fold_start(struct fold *fold, struct buffer *out, size_t name_length);
void fold_tag(struct fold *fold, const char *tag, const char *value, bool last);
void fold_append(struct fold *fold, const char *text);

#endif
