/*
 * test_dkim_sign.c - h= selection with oversigning, folding, signatures,
 * and the author address
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim_address.h"
#include "dkim_body_hash.h"
#include "dkim_sign.h"
#include "unit_test.h"

static struct header_field headers[] = {
    {"Received", " from somewhere"},
    {"From", " Alice <alice@example.com>"},
    {"To", " bob@example.net"},
    {"to", " carol@example.net"},
    {"Subject", " hello\n world"},
    {"Message-ID", " <1@example.com>"},
};
#define HEADER_COUNT (sizeof(headers) / sizeof(headers[0]))

static char *sign_list[] = {
    "From", "To", "Subject", "Date", "Message-ID", "Cc"};
static struct oversign_rule oversign_list[] = {
    {"From", true},
    {"To", true},
    {"Cc", true},
    {"Date", false},
    {"Message-ID", false},
    {"Reply-To", true},
};
static const struct header_policy policy = {sign_list, 6, oversign_list, 6};

static void
test_select_with_oversigning(void **state)
{
	struct buffer tag_h = {0};
	const struct header_field *selected[16];
	size_t count;

	(void)state;
	header_policy_select(
	    &policy, headers, HEADER_COUNT, &tag_h, selected, &count, 16);
	assert_string_equal(tag_h.data, "from:from:to:to:to:subject:"
	                                "message-id:message-id:cc:reply-to");
	assert_int_equal(count, 10);
	assert_ptr_equal(selected[0], &headers[1]);
	assert_null(selected[1]);
	/* To: bottom instance first. */
	assert_ptr_equal(selected[2], &headers[3]);
	assert_ptr_equal(selected[3], &headers[2]);
	assert_null(selected[4]);
	assert_ptr_equal(selected[5], &headers[4]);
	assert_ptr_equal(selected[6], &headers[5]);
	assert_null(selected[7]);
	assert_null(selected[8]);
	assert_null(selected[9]);
	buffer_free(&tag_h);
}

/* Every physical line of out, the first after "DKIM-Signature:". */
static void
assert_lines_fit(const struct buffer *out)
{
	size_t line_start = 0, first = sizeof("DKIM-Signature:") - 1;

	for (size_t i = 0; i < out->length; i++) {
		if (out->data[i] != '\r')
			continue;
		assert_int_equal(out->data[i + 1], '\n');
		assert_int_equal(out->data[i + 2], '\t');
		if (i - line_start + first > 78)
			fail_msg("line of %zu columns: %.*s",
			    i - line_start + first, (int)(i - line_start),
			    out->data + line_start);
		line_start = i + 2;
		first = 0;
	}
	assert_true(out->length - line_start + first <= 78);
}

static void
test_fold_stays_within_78_columns(void **state)
{
	char h[4000], base64[600];

	(void)state;
	memset(base64, 'A', sizeof(base64) - 1);
	base64[sizeof(base64) - 1] = '\0';
	/* Every length of h= from 10 to 400 characters, one at a time, and
	 * values of several lengths before it. */
	for (size_t length = 10; length < 400; length++) {
		static const char *const names[] = {
		    "to", "subject", "x", "message-id"};
		struct buffer out = {0};
		struct fold fold;

		strcpy(h, "from");
		for (size_t i = 0; strlen(h) < length; i++) {
			strcat(h, ":");
			strcat(h, names[i % 4]);
		}
		h[length] = '\0';
		if (h[length - 1] == ':')
			h[length - 1] = 'z';
		fold_start(&fold, &out, 14);
		fold_tag(&fold, "v", "1", false);
		fold_tag(&fold, "d", &"example.com"[length % 8], false);
		fold_tag(&fold, "t", "1700000000", false);
		fold_tag(&fold, "h", h, false);
		fold_tag(&fold, "bh", base64 + 556, false);
		fold_tag(&fold, "b", "", true);
		fold_append(&fold, base64 + length % 200);
		assert_lines_fit(&out);
		/* h= breaks only after a colon. */
		assert_null(strstr(out.data, "list-\r\n"));
		assert_null(strstr(out.data, "t\r\n\to:"));
		buffer_free(&out);
	}
}

/* What a verifier does: remove the b= data, hash the same bytes. */
static bool
verify(EVP_PKEY *key, enum signature_algorithm algorithm, const char *value,
    enum canon_mode header_canon)
{
	struct buffer data = {0}, stripped = {0}, tag_h = {0};
	const struct header_field *selected[16];
	const char *b = strstr(value, " b=") ? strstr(value, " b=") + 3
	                                     : strstr(value, "\tb=") + 3;
	unsigned char signature[1024], hash[32];
	char b64[2048];
	size_t count, j = 0;
	int length;
	bool ok;
	EVP_MD_CTX *context = EVP_MD_CTX_new();

	header_policy_select(
	    &policy, headers, HEADER_COUNT, &tag_h, selected, &count, 16);
	for (size_t i = 0; i < count; i++)
		if (selected[i])
			canon_header(header_canon, selected[i]->name,
			    selected[i]->value, &data);
	buffer_append(&stripped, value, (size_t)(b - value));
	canon_header(header_canon, "DKIM-Signature", stripped.data, &data);
	data.length -= 2;
	for (const char *c = b; *c; c++)
		if (*c != '\r' && *c != '\n' && *c != '\t' && *c != ' ')
			b64[j++] = *c;
	b64[j] = '\0';
	length = EVP_DecodeBlock(signature, (unsigned char *)b64, (int)j);
	while (j > 0 && b64[--j] == '=')
		length--;
	if (algorithm == SIGNATURE_ED25519_SHA256) {
		EVP_Digest(
		    data.data, data.length, hash, NULL, EVP_sha256(), NULL);
		ok =
		    EVP_DigestVerifyInit(context, NULL, NULL, NULL, key) == 1 &&
		    EVP_DigestVerify(
		        context, signature, (size_t)length, hash, 32) == 1;
	} else {
		ok = EVP_DigestVerifyInit(
		         context, NULL, EVP_sha256(), NULL, key) == 1 &&
		     EVP_DigestVerify(context, signature, (size_t)length,
		         (unsigned char *)data.data, data.length) == 1;
	}
	EVP_MD_CTX_free(context);
	buffer_free(&data);
	buffer_free(&stripped);
	buffer_free(&tag_h);
	return ok;
}

static void
sign_and_check(EVP_PKEY *key, enum signature_algorithm algorithm,
    enum canon_mode header_canon)
{
	struct signer signer = {key, algorithm, "example.com", "s1", NULL};
	unsigned char body_hash[32];
	struct body_hash hasher;
	struct signature_request request = {&signer, header_canon,
	    CANON_RELAXED, body_hash, 1700000000, 1700086400, headers,
	    HEADER_COUNT, &policy};
	struct buffer first = {0}, second = {0};
	char error[256];
	size_t covered;

	body_hash_init(&hasher, CANON_RELAXED, LINE_BREAK_DEFAULT);
	body_hash_update(&hasher, "Hello.\r\n", 8);
	body_hash_final(&hasher, body_hash);
	body_hash_free(&hasher);
	assert_true(
	    signature_make(&request, &first, &covered, error, sizeof(error)));
	assert_int_equal(covered, 5);
	assert_true(
	    signature_make(&request, &second, &covered, error, sizeof(error)));
	assert_string_equal(first.data, second.data); /* deterministic */
	assert_non_null(
	    strstr(first.data, signature_algorithm_name(algorithm)));
	assert_non_null(strstr(first.data, "t=1700000000;"));
	assert_non_null(strstr(first.data, "x=1700086400;"));
	/* bh= of the canonical body "Hello.\r\n" (sha256, base64). */
	assert_non_null(strstr(
	    first.data, "bh=yZQq1c8wjBl0fZ4Wc/oraMCAG1mZJv5v/hlvyFy+t6A="));
	assert_true(verify(key, algorithm, first.data, header_canon));
	first.data[strlen(first.data) - 3] ^= 1; /* break the signature */
	assert_false(verify(key, algorithm, first.data, header_canon));
	buffer_free(&first);
	buffer_free(&second);
}

static void
test_rsa_signature(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	(void)state;
	assert_non_null(key);
	sign_and_check(key, SIGNATURE_RSA_SHA256, CANON_RELAXED);
	sign_and_check(key, SIGNATURE_RSA_SHA256, CANON_SIMPLE);
	EVP_PKEY_free(key);
}

static void
test_ed25519_signature(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	(void)state;
	assert_non_null(key);
	sign_and_check(key, SIGNATURE_ED25519_SHA256, CANON_RELAXED);
	sign_and_check(key, SIGNATURE_ED25519_SHA256, CANON_SIMPLE);
	EVP_PKEY_free(key);
}

static void
assert_address(const char *value, const char *local, const char *domain)
{
	struct author_address address;

	if (!author_address_parse(value, &address))
		fail_msg("no address in \"%s\"", value);
	assert_string_equal(address.local, local);
	assert_string_equal(address.domain, domain);
}

static void
test_author_address(void **state)
{
	struct author_address address;

	(void)state;
	assert_address(" alice@Example.COM", "alice", "example.com");
	assert_address(" Alice <alice@example.com>", "alice", "example.com");
	assert_address(" \"Last, First\" <a.b@mail.example.org> (c)", "a.b",
	    "mail.example.org");
	assert_address(
	    " alice@example.com (Alice <x@y>)", "alice", "example.com");
	assert_address(
	    " \"john doe\"@example.com", "\"john doe\"", "example.com");
	assert_address(" a@one.example, b@two.example", "a", "one.example");
	assert_address(
	    " =?UTF-8?Q?J=C3=B6rg?=\n <jorg@example.de>", "jorg", "example.de");
	assert_false(author_address_parse(" undisclosed", &address));
	assert_false(author_address_parse(" group: a@b.example;", &address));
	assert_false(author_address_parse(" <a@b", &address));
	assert_false(author_address_parse(" a@", &address));
	assert_false(author_address_parse(" a@b..example", &address));
	assert_false(author_address_parse(" a@b\xc3\xa9.example", &address));
	assert_false(author_address_parse("", &address));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_select_with_oversigning),
    cmocka_unit_test(test_fold_stays_within_78_columns),
    cmocka_unit_test(test_rsa_signature),
    cmocka_unit_test(test_ed25519_signature),
    cmocka_unit_test(test_author_address),
};

UNIT_TEST_MAIN(tests)
