/*
 * test_dkim_opendkim.c - differential test against libopendkim
 *
 * For every message of tests/dkim/corpus, and bodies of 1 and 5 MB made
 * here, and for each of the four canonicalizations:
 *
 * 1. the bh= waypost-dkim computes equals the one libopendkim computes
 *    signing the same message (DKIM_OPTS_FIXEDTIME, the same key);
 * 2. the signatures waypost-dkim makes, rsa-sha256 and ed25519-sha256,
 *    verify with libopendkim's own verifier, the public key handed over
 *    through its key-lookup callback (no DNS);
 * 3. a signature with one byte of the body changed does not verify (so
 *    the verification above can fail).
 *
 * Bodies go to both in 65535-byte chunks, as libmilter delivers them. A
 * body without a final line end gets one for libopendkim, which refuses
 * such a body where RFC 6376 adds the CRLF (waypost-dkim adds it itself).
 * Files named *-lf.eml use bare LF; libopendkim gets DKIM_LIBFLAGS_FIXCRLF
 * for them, which is what waypost-dkim does by itself.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <opendkim/dkim.h>

#include "default_policy.h"
#include "dkim_body_hash.h"
#include "message_file.h"
#include "unit_test.h"

#define CHUNK     65535
#define TIMESTAMP 1795000000

static EVP_PKEY *rsa_key, *ed_key;
static char *rsa_pem;
static char rsa_txt[2200], ed_txt[2200];
static struct header_policy policy;
static DKIM_LIB *opendkim[2]; /* [1]: with FIXCRLF */

static const enum canon_mode canons[4][2] = {
    {CANON_RELAXED, CANON_RELAXED},
    {CANON_RELAXED, CANON_SIMPLE},
    {CANON_SIMPLE, CANON_RELAXED},
    {CANON_SIMPLE, CANON_SIMPLE},
};

static DKIM_CBSTAT
key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buffer, size_t size)
{
	const char *selector = (const char *)dkim_sig_getselector(sig);
	const char *record = strcmp(selector, "e1") == 0 ? ed_txt : rsa_txt;

	(void)dkim;
	snprintf((char *)buffer, size, "%s", record);
	return DKIM_CBSTAT_CONTINUE;
}

static void
make_keys(void)
{
	unsigned char der[1024], raw[32], *cursor = der;
	char b64[2048];
	size_t raw_length = sizeof(raw);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long length;
	int der_length;

	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	PEM_write_bio_PrivateKey(bio, rsa_key, NULL, NULL, 0, NULL, NULL);
	length = BIO_get_mem_data(bio, &pem);
	rsa_pem = strndup(pem, (size_t)length);
	BIO_free(bio);
	der_length = i2d_PUBKEY(rsa_key, &cursor);
	EVP_EncodeBlock((unsigned char *)b64, der, der_length);
	snprintf(rsa_txt, sizeof(rsa_txt), "v=DKIM1; k=rsa; p=%s", b64);
	EVP_PKEY_get_raw_public_key(ed_key, raw, &raw_length);
	EVP_EncodeBlock((unsigned char *)b64, raw, (int)raw_length);
	snprintf(ed_txt, sizeof(ed_txt), "v=DKIM1; k=ed25519; p=%s", b64);
}

static void
our_body_hash(const struct message_file *message, enum canon_mode canon,
    unsigned char out[BODY_HASH_SIZE])
{
	struct body_hash hash;

	/* Lines whole (limit 0), as libopendkim hashes them. */
	body_hash_init(&hash, canon, 0);
	for (size_t done = 0; done < message->body_length; done += CHUNK)
		body_hash_update(&hash, message->body + done,
		    message->body_length - done < CHUNK
		        ? message->body_length - done
		        : CHUNK);
	body_hash_final(&hash, out);
	body_hash_free(&hash);
}

static void
feed_opendkim(
    DKIM *dkim, const struct message_file *message, const char *signature)
{
	struct buffer line = {0};
	DKIM_STAT status;

	if (signature != NULL) {
		buffer_printf(&line, "DKIM-Signature:%s", signature);
		assert_int_equal(
		    dkim_header(dkim, (u_char *)line.data, line.length),
		    DKIM_STAT_OK);
	}
	for (size_t i = 0; i < message->header_count; i++) {
		buffer_reset(&line);
		buffer_printf(&line, "%s:%s", message->headers[i].name,
		    message->headers[i].value);
		status = dkim_header(dkim, (u_char *)line.data, line.length);
		if (status != DKIM_STAT_OK)
			fail_msg("libopendkim refused header %zu: %s", i,
			    dkim_getresultstr(status));
	}
	buffer_free(&line);
	dkim_eoh(dkim);
	for (size_t done = 0; done < message->body_length; done += CHUNK)
		dkim_body(dkim, (u_char *)message->body + done,
		    message->body_length - done < CHUNK
		        ? message->body_length - done
		        : CHUNK);
	/* libopendkim refuses a body that does not end in a line end (status
	 * SYNTAX); RFC 6376 3.4.3 and 3.4.4 add that CRLF, as does SMTP. */
	if (message->body_length > 0 &&
	    message->body[message->body_length - 1] != '\n')
		dkim_body(dkim, (u_char *)(message->bare_lf ? "\n" : "\r\n"),
		    message->bare_lf ? 1 : 2);
}

/* libopendkim's bh= for this message and canonicalization. */
static void
opendkim_body_hash(const struct message_file *message, int canon, char *out)
{
	DKIM_LIB *lib = opendkim[message->bare_lf];
	DKIM_STAT status;
	DKIM *dkim = dkim_sign(lib, (u_char *)"differential", NULL,
	    (u_char *)rsa_pem, (u_char *)"s1", (u_char *)"example.com",
	    canons[canon][0] == CANON_RELAXED ? DKIM_CANON_RELAXED
	                                      : DKIM_CANON_SIMPLE,
	    canons[canon][1] == CANON_RELAXED ? DKIM_CANON_RELAXED
	                                      : DKIM_CANON_SIMPLE,
	    DKIM_SIGN_RSASHA256, -1, &status);
	u_char header[8192];
	char *bh, *end;

	assert_non_null(dkim);
	feed_opendkim(dkim, message, NULL);
	assert_int_equal(dkim_eom(dkim, NULL), DKIM_STAT_OK);
	assert_int_equal(
	    dkim_getsighdr(dkim, header, sizeof(header), 0), DKIM_STAT_OK);
	dkim_free(dkim);
	bh = strstr((char *)header, "bh=");
	assert_non_null(bh);
	bh += 3;
	end = out;
	for (; *bh && *bh != ';'; bh++)
		if (*bh != ' ' && *bh != '\t' && *bh != '\r' && *bh != '\n')
			*end++ = *bh;
	*end = '\0';
}

static char *
our_signature(const struct message_file *message, int canon, EVP_PKEY *key,
    enum signature_algorithm algorithm, const char *selector)
{
	struct signer signer = {key, algorithm, "example.com", selector, NULL};
	unsigned char body_hash[BODY_HASH_SIZE];
	struct signature_request request = {&signer, canons[canon][0],
	    canons[canon][1], body_hash, TIMESTAMP, 0, message->headers,
	    message->header_count, &policy};
	struct buffer value = {0};
	char error[256];
	size_t covered;

	our_body_hash(message, canons[canon][1], body_hash);
	if (!signature_make(&request, &value, &covered, error, sizeof(error)))
		fail_msg("signing failed: %s", error);
	return value.data;
}

/* Does libopendkim's verifier pass our signature with this selector? */
static bool
opendkim_verifies(const struct message_file *message, const char *signature,
    const char *selector)
{
	DKIM_LIB *lib = opendkim[message->bare_lf];
	DKIM_STAT status;
	DKIM *dkim = dkim_verify(lib, (u_char *)"differential", NULL, &status);
	DKIM_SIGINFO **signatures;
	int count;
	bool passed = false;

	assert_non_null(dkim);
	feed_opendkim(dkim, message, signature);
	dkim_eom(dkim, NULL);
	if (dkim_getsiglist(dkim, &signatures, &count) == DKIM_STAT_OK) {
		for (int i = 0; i < count; i++) {
			const char *s =
			    (const char *)dkim_sig_getselector(signatures[i]);

			if (s != NULL && strcmp(s, selector) == 0)
				passed = DKIM_SIG_CHECK(signatures[i]);
		}
	}
	dkim_free(dkim);
	return passed;
}

static void
check_message(const char *name, struct message_file *message)
{
	for (int canon = 0; canon < 4; canon++) {
		unsigned char ours[BODY_HASH_SIZE];
		char ours_b64[64], theirs[128];
		char *rsa, *ed;

		our_body_hash(message, canons[canon][1], ours);
		EVP_EncodeBlock((unsigned char *)ours_b64, ours, sizeof(ours));
		opendkim_body_hash(message, canon, theirs);
		if (strcmp(ours_b64, theirs) != 0)
			fail_msg("%s, canonicalization %d: bh=%s, libopendkim "
			         "bh=%s",
			    name, canon, ours_b64, theirs);
		rsa = our_signature(
		    message, canon, rsa_key, SIGNATURE_RSA_SHA256, "s1");
		ed = our_signature(
		    message, canon, ed_key, SIGNATURE_ED25519_SHA256, "e1");
		if (!opendkim_verifies(message, rsa, "s1"))
			fail_msg(
			    "%s, canonicalization %d: libopendkim does not "
			    "verify our rsa-sha256 signature",
			    name, canon);
		if (!opendkim_verifies(message, ed, "e1"))
			fail_msg(
			    "%s, canonicalization %d: libopendkim does not "
			    "verify our ed25519-sha256 signature",
			    name, canon);
		if (message->body_length > 0) {
			message->body[message->body_length / 2] ^= 0x01;
			if (opendkim_verifies(message, rsa, "s1"))
				fail_msg(
				    "%s: a changed body still verifies", name);
			message->body[message->body_length / 2] ^= 0x01;
		}
		free(rsa);
		free(ed);
	}
}

static void
test_corpus_file(void **state)
{
	const char *path = *state;
	struct message_file message;

	assert_true(message_file_read(path, &message));
	check_message(path, &message);
	message_file_free(&message);
}

static void
test_big_body(void **state)
{
	size_t size = (size_t)(uintptr_t)*state;
	struct message_file message;
	const char *headers =
	    "From: alice@example.com\r\nTo: bob@example.net\r\n"
	    "Subject: big\r\n\r\n";
	char *body = message_file_big_body(size, (unsigned)size);
	struct buffer text = {0};

	buffer_append_text(&text, headers);
	buffer_append(&text, body, size);
	free(body);
	assert_true(message_file_parse(text.data, text.length, &message));
	buffer_free(&text);
	assert_int_equal(message.body_length, size);
	check_message(size > 2000000 ? "5 MB body" : "1 MB body", &message);
	message_file_free(&message);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const char *top = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	char directory[4096];
	struct CMUnitTest tests[256];
	char *paths[250];
	size_t count = 0;
	struct dirent *entry;
	DIR *corpus;
	uint64_t fixed = TIMESTAMP;
	unsigned flags = DKIM_LIBFLAGS_FIXCRLF;
	int status;

	snprintf(directory, sizeof(directory), "%s/tests/dkim/corpus", top);
	corpus = opendir(directory);
	if (corpus == NULL) {
		printf("1..1\nnot ok 1 - no corpus at %s\n", directory);
		return 1;
	}
	while ((entry = readdir(corpus)) != NULL && count < 250) {
		if (strstr(entry->d_name, ".eml") == NULL)
			continue;
		paths[count] =
		    malloc(strlen(directory) + strlen(entry->d_name) + 2);
		sprintf(paths[count], "%s/%s", directory, entry->d_name);
		count++;
	}
	closedir(corpus);
	qsort(paths, count, sizeof(*paths), compare_names);
	make_keys();
	default_policy_init(&policy);
	for (int i = 0; i < 2; i++) {
		opendkim[i] = dkim_init(NULL, NULL);
		dkim_options(opendkim[i], DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME,
		    &fixed, sizeof(fixed));
		dkim_set_key_lookup(opendkim[i], key_lookup);
	}
	dkim_options(opendkim[1], DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags));
	for (size_t i = 0; i < count; i++) {
		tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(
		    test_corpus_file, paths[i]);
		tests[i].name = strrchr(paths[i], '/') + 1;
	}
	tests[count] = (struct CMUnitTest)cmocka_unit_test_prestate(
	    test_big_body, (void *)(uintptr_t)(1024 * 1024));
	tests[count++].name = "1 MB body";
	tests[count] = (struct CMUnitTest)cmocka_unit_test_prestate(
	    test_big_body, (void *)(uintptr_t)(5 * 1024 * 1024));
	tests[count++].name = "5 MB body";
	cmocka_set_message_output(CM_OUTPUT_TAP);
	status = _cmocka_run_group_tests(
	    "opendkim differential", tests, count, NULL, NULL);
	for (size_t i = 0; i < count - 2; i++)
		free(paths[i]);
	return status;
}
