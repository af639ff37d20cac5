/*
 * test_hook_secret.c - webhook secrets and their signatures: whsec_ and
 * 16 to 64 bytes of base64 taken, anything else refused; the signature
 * matches known answers computed apart from this code (openssl(1) and
 * the Standard Webhooks test vector), for one secret and for two; the
 * secret list and secret_file give the secrets, a file others may read,
 * with three secrets or with none refused
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook_secret.h"
#include "unit_test.h"

/* Two keys as whsec_ secrets, their base64 made by: echo HEX | xxd -r -p |
 * base64. The new: the 32 bytes 00 01 02 ... 1f, HEX
 *   000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 * the old: 16 bytes, HEX f0e1d2c3b4a5968778695a4b3c2d1e0f. */
#define SECRET_NEW "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define SECRET_OLD "whsec_8OHSw7Sllod4aVpLPC0eDw=="

/* The first n bytes 0x00, 0x01, ... in base64:
 *   python3 -c "import base64; print(base64.b64encode(bytes(range(N))).decode())" */
#define BYTES_15 "AAECAwQFBgcICQoLDA0O"
#define BYTES_16 "AAECAwQFBgcICQoLDA0ODw=="
#define BYTES_17 "AAECAwQFBgcICQoLDA0ODxA="
#define BYTES_18 "AAECAwQFBgcICQoLDA0ODxAR"
#define BYTES_64                                                               \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEy" \
	"MzQ1Njc4OTo7PD0+Pw=="
#define BYTES_65                                                               \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEy" \
	"MzQ1Njc4OTo7PD0+P0A="

static char error[256];

static void
decodes(const char *text, size_t length)
{
	struct hook_secret secret;

	memset(&secret, 0xaa, sizeof(secret));
	if (!hook_secret_decode(text, &secret, error, sizeof(error)))
		fail_msg("refused %s: %s", text, error);
	assert_int_equal(secret.length, length);
	for (size_t i = 0; i < length; i++)
		assert_int_equal(secret.key[i], i);
}

static void
refused(const char *text, const char *expected)
{
	struct hook_secret secret;

	error[0] = '\0';
	if (hook_secret_decode(text, &secret, error, sizeof(error)))
		fail_msg("accepted %s", text);
	if (strstr(error, expected) == NULL)
		fail_msg(
		    "%s: \"%s\" does not say \"%s\"", text, error, expected);
}

static void
test_decode_takes_16_to_64_bytes(void **state)
{
	(void)state;
	decodes("whsec_" BYTES_16, 16); /* two "=" of padding */
	decodes("whsec_" BYTES_17, 17); /* one */
	decodes("whsec_" BYTES_18, 18); /* none */
	decodes("whsec_" BYTES_64, 64);
	decodes(SECRET_NEW, 32);
}

static void
test_decode_refuses(void **state)
{
	(void)state;
	refused(BYTES_16, "must be whsec_ followed by the key in base64");
	refused("WHSEC_" BYTES_16, "must be whsec_");
	refused("whsec", "must be whsec_");
	refused("", "must be whsec_");
	refused("whsec_", "after whsec_ is not base64");
	/* base64url's "-" and "_", white space, a character past ASCII */
	refused("whsec_AAECAwQFBgcICQoLDA0-Dw==", "after whsec_ is not base64");
	refused("whsec_AAECAwQFBgcICQoLDA0_Dw==", "after whsec_ is not base64");
	refused("whsec_AAECAwQFBgcI CQoLDA0ODw=", "after whsec_ is not base64");
	refused("whsec_AAECAwQFBgcICQoLDA0O\xc3\xa9w=", "is not base64");
	/* "=" anywhere but at the end, or three of them */
	refused("whsec_AAECAwQF=gcICQoLDA0ODw==", "after whsec_ is not base64");
	refused("whsec_AAECAwQFBgcICQoLDA0ODw==AAECAwQFBgcICQoLDA0ODw==",
	    "after whsec_ is not base64");
	refused("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXG===",
	    "after whsec_ is not base64");
	refused("whsec_====", "after whsec_ is not base64");
	/* a length that is not a multiple of 4 */
	refused("whsec_AAECAwQFBgcICQoLDA0ODw=", "after whsec_ is not base64");
	refused("whsec_AAECAwQFBgcICQoLDA0ODw", "after whsec_ is not base64");
	refused("whsec_AAECAwQFBgcICQoLDA0ODxARE", "is not base64");
	/* too short, too long */
	refused("whsec_" BYTES_15, "a secret's key is 15 bytes; from 16 to 64");
	refused("whsec_" BYTES_65, "a secret's key is 65 bytes; from 16 to 64");
	refused("whsec_AAAA", "a secret's key is 3 bytes");
}

/* A text longer than a whole secret file is refused before decoding. */
static void
test_decode_refuses_huge(void **state)
{
	static char text[6 + HOOK_SECRET_FILE_MAX + 5];

	(void)state;
	memcpy(text, "whsec_", 6);
	memset(text + 6, 'A', HOOK_SECRET_FILE_MAX + 4);
	refused(text, "after whsec_ is not base64");
	text[6 + HOOK_SECRET_FILE_MAX] = '\0';
	refused(text, "a secret's key is 3072 bytes; from 16 to 64");
}

static struct hook_secrets
secrets_of(const char *first, const char *second)
{
	struct hook_secrets secrets;

	memset(&secrets, 0, sizeof(secrets));
	if (!hook_secret_decode(first, &secrets.items[0], error, sizeof(error)))
		fail_msg("%s", error);
	secrets.count = 1;
	if (second != NULL) {
		if (!hook_secret_decode(
		        second, &secrets.items[1], error, sizeof(error)))
			fail_msg("%s", error);
		secrets.count = 2;
	}
	return secrets;
}

static void
assert_signature(const struct hook_secrets *secrets, const char *id,
    long long timestamp, const char *body, size_t body_length,
    const char *expected)
{
	struct buffer out = {0};

	hook_signature(secrets, id, timestamp, body, body_length, &out);
	assert_string_equal(buffer_text(&out), expected);
	buffer_free(&out);
}

/*
 * The Standard Webhooks test vector, as the specification's own libraries
 * test it (standard-webhooks/standard-webhooks,
 * libraries/python/tests/test_webhooks.py, test_sign_function), checked
 * with openssl too, the key being the base64 after whsec_ decoded:
 *   K=$(printf %s MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | od -An -tx1 | tr -d ' \n')
 *   M='msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}'
 *   printf '%s' "$M" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | base64
 *   -> g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
 */
static void
test_signature_standard_vector(void **state)
{
	struct hook_secrets secrets =
	    secrets_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL);
	static const char body[] = "{\"test\": 2432232314}";

	(void)state;
	assert_int_equal(secrets.items[0].length, 24);
	assert_signature(&secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	    body, strlen(body),
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/*
 * Known answers from openssl(1), nothing of this code's: the signed content
 * is id "." timestamp "." body; K is the new key, then the old.
 *   K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 *   K=f0e1d2c3b4a5968778695a4b3c2d1e0f
 *   M='4F3A21C0B2.1796179352.1.2.1796179400.{"id":"4F3A21C0B2.1796179352.1.2","type":"bounced","seq":2}'
 *   printf '%s' "$M" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | base64
 *   -> ClUFjxWIdCpxKvPOoYWBB29O5pd/EWaMhtxr/hZxMCk= (the new key)
 *   -> +clT39gQHWYLs9woeist43xDZUda1crGvAaUnID2t10= (the old key)
 */
#define EVENT_ID   "4F3A21C0B2.1796179352.1.2"
#define EVENT_BODY "{\"id\":\"" EVENT_ID "\",\"type\":\"bounced\",\"seq\":2}"
#define SIG_NEW    "v1,ClUFjxWIdCpxKvPOoYWBB29O5pd/EWaMhtxr/hZxMCk="
#define SIG_OLD    "v1,+clT39gQHWYLs9woeist43xDZUda1crGvAaUnID2t10="

static void
test_signature_one_secret(void **state)
{
	struct hook_secrets secrets = secrets_of(SECRET_NEW, NULL);

	(void)state;
	assert_signature(&secrets, EVENT_ID, 1796179400, EVENT_BODY,
	    strlen(EVENT_BODY), SIG_NEW);
	secrets = secrets_of(SECRET_OLD, NULL);
	assert_signature(&secrets, EVENT_ID, 1796179400, EVENT_BODY,
	    strlen(EVENT_BODY), SIG_OLD);
}

/* During a rotation: the new secret's signature, a space, the old one's. */
static void
test_signature_two_secrets(void **state)
{
	struct hook_secrets secrets = secrets_of(SECRET_NEW, SECRET_OLD);

	(void)state;
	assert_signature(&secrets, EVENT_ID, 1796179400, EVENT_BODY,
	    strlen(EVENT_BODY), SIG_NEW " " SIG_OLD);
}

/*
 * The body is body_length bytes, a NUL among them, not a C string; K the
 * new key, as above:
 *   printf 'msg_1.1614265330.a\0b' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | base64
 *   -> F/6d5J4+9uokmYAns7sjCLlxTfeS1J754ukUsgkILus=
 *   printf 'msg_1.1614265330.a' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K -binary | base64
 *   -> jD2Hi1PpsLt+Khvnba+RB3Wr8lOyFP39e0aVFPl+KuM=
 */
static void
test_signature_body_length(void **state)
{
	struct hook_secrets secrets = secrets_of(SECRET_NEW, NULL);

	(void)state;
	assert_signature(&secrets, "msg_1", 1614265330, "a\0b", 3,
	    "v1,F/6d5J4+9uokmYAns7sjCLlxTfeS1J754ukUsgkILus=");
	assert_signature(&secrets, "msg_1", 1614265330, "a\0b", 1,
	    "v1,jD2Hi1PpsLt+Khvnba+RB3Wr8lOyFP39e0aVFPl+KuM=");
	assert_signature(&secrets, "msg_1", 1614265330, "ab", 1,
	    "v1,jD2Hi1PpsLt+Khvnba+RB3Wr8lOyFP39e0aVFPl+KuM=");
}

/* A webhook section as the configuration gives it. */
struct webhook_fixture {
	struct webhook_section webhook;
	char *items[4];
	char path[512];
};

static void
webhook_list(struct webhook_fixture *fixture, const char *const *secrets)
{
	memset(fixture, 0, sizeof(*fixture));
	fixture->webhook.name = (char *)"crm";
	for (size_t i = 0; secrets != NULL && secrets[i] != NULL; i++)
		fixture->items[fixture->webhook.secret.count++] =
		    (char *)secrets[i];
	fixture->webhook.secret.items = fixture->items;
}

/* A secret_file holding text, with that mode. */
static void
webhook_file(struct webhook_fixture *fixture, const char *text, mode_t mode)
{
	int fd;

	webhook_list(fixture, NULL);
	if (!unit_temp_path(
	        fixture->path, sizeof(fixture->path), "hook-secret-XXXXXX"))
		fail_msg("TMPDIR too long");
	fd = mkstemp(fixture->path);
	if (fd < 0)
		fail_msg("mkstemp %s", fixture->path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) != 0)
		fail_msg("writing %s", fixture->path);
	close(fd);
	fixture->webhook.secret_file = fixture->path;
}

static void
loads(struct webhook_fixture *fixture, struct hook_secrets *secrets)
{
	if (!hook_secrets_load(
	        &fixture->webhook, secrets, error, sizeof(error)))
		fail_msg("refused: %s", error);
}

static void
load_refused(struct webhook_fixture *fixture, const char *expected)
{
	struct hook_secrets secrets;

	error[0] = '\0';
	if (hook_secrets_load(
	        &fixture->webhook, &secrets, error, sizeof(error)))
		fail_msg("accepted");
	if (strstr(error, expected) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", error, expected);
	/* Errors name the problem, never the secret's text. */
	if (strstr(error, "AAECAwQF") != NULL ||
	    strstr(error, "8OHSw7Sl") != NULL)
		fail_msg("the error shows a secret: %s", error);
}

static void
assert_secret(const struct hook_secret *secret, const char *text)
{
	struct hook_secret expected;

	if (!hook_secret_decode(text, &expected, error, sizeof(error)))
		fail_msg("%s", error);
	assert_int_equal(secret->length, expected.length);
	assert_memory_equal(secret->key, expected.key, expected.length);
}

static void
test_load_list(void **state)
{
	static const char *const one[] = {SECRET_NEW, NULL};
	static const char *const two[] = {SECRET_NEW, SECRET_OLD, NULL};
	static const char *const three[] = {
	    SECRET_NEW, SECRET_OLD, "whsec_" BYTES_18, NULL};
	static const char *const bad[] = {SECRET_NEW, "whsec_" BYTES_15, NULL};
	struct webhook_fixture fixture;
	struct hook_secrets secrets;

	(void)state;
	webhook_list(&fixture, one);
	loads(&fixture, &secrets);
	assert_int_equal(secrets.count, 1);
	assert_secret(&secrets.items[0], SECRET_NEW);
	webhook_list(&fixture, two);
	loads(&fixture, &secrets);
	assert_int_equal(secrets.count, 2);
	assert_secret(&secrets.items[0], SECRET_NEW);
	assert_secret(&secrets.items[1], SECRET_OLD);
	webhook_list(&fixture, three);
	load_refused(&fixture, "more than 2 secrets");
	webhook_list(&fixture, bad);
	load_refused(&fixture, "a secret's key is 15 bytes");
}

static void
test_load_file(void **state)
{
	struct webhook_fixture fixture;
	struct hook_secrets secrets;

	(void)state;
	webhook_file(&fixture,
	    "# the secrets of the crm webhook, new first\n"
	    "\n" SECRET_NEW "\n"
	    "   \t\n"
	    "  # rotated on 2026-12-01\r\n"
	    "\t" SECRET_OLD " \r\n",
	    0640);
	loads(&fixture, &secrets);
	assert_int_equal(secrets.count, 2);
	assert_secret(&secrets.items[0], SECRET_NEW);
	assert_secret(&secrets.items[1], SECRET_OLD);
	unlink(fixture.path);

	/* One secret, its line not ended; mode 0600 */
	webhook_file(&fixture, SECRET_OLD, 0600);
	loads(&fixture, &secrets);
	assert_int_equal(secrets.count, 1);
	assert_secret(&secrets.items[0], SECRET_OLD);
	unlink(fixture.path);
}

static void
test_load_file_refused(void **state)
{
	struct webhook_fixture fixture;
	char link[600];

	(void)state;
	webhook_file(&fixture, SECRET_NEW "\n", 0644);
	load_refused(&fixture, "others may read it (chmod o-rw)");
	assert_non_null(strstr(error, fixture.path));
	unlink(fixture.path);

	webhook_file(&fixture, SECRET_NEW "\n", 0642);
	load_refused(&fixture, "others may read it");
	unlink(fixture.path);

	webhook_file(&fixture,
	    SECRET_NEW "\n" SECRET_OLD "\nwhsec_" BYTES_18 "\n", 0640);
	load_refused(&fixture, "more than 2 secrets");
	assert_non_null(strstr(error, "secret_file "));
	unlink(fixture.path);

	webhook_file(&fixture, "", 0640);
	load_refused(&fixture, ": no secret in it");
	unlink(fixture.path);

	webhook_file(&fixture, "# comments only\n\n   \n", 0640);
	load_refused(&fixture, ": no secret in it");
	unlink(fixture.path);

	webhook_file(&fixture, "whsec_" BYTES_15 "\n", 0640);
	load_refused(&fixture, "a secret's key is 15 bytes");
	unlink(fixture.path);

	/* A secret with something after it on its line */
	webhook_file(&fixture, SECRET_NEW " " SECRET_OLD "\n", 0640);
	load_refused(&fixture, "after whsec_ is not base64");
	unlink(fixture.path);

	/* Longer than HOOK_SECRET_FILE_MAX */
	{
		static char big[HOOK_SECRET_FILE_MAX + 2];

		memset(big, '#', sizeof(big) - 1);
		webhook_file(&fixture, big, 0640);
		load_refused(&fixture, ": too long");
		unlink(fixture.path);
	}

	/* A symbolic link is not followed; a missing file is named */
	webhook_file(&fixture, SECRET_NEW "\n", 0640);
	snprintf(link, sizeof(link), "%s.link", fixture.path);
	if (symlink(fixture.path, link) != 0)
		fail_msg("symlink %s", link);
	fixture.webhook.secret_file = link;
	load_refused(&fixture, "Too many levels of symbolic links");
	unlink(link);
	unlink(fixture.path);
	load_refused(&fixture, "No such file or directory");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_decode_takes_16_to_64_bytes),
    cmocka_unit_test(test_decode_refuses),
    cmocka_unit_test(test_decode_refuses_huge),
    cmocka_unit_test(test_signature_standard_vector),
    cmocka_unit_test(test_signature_one_secret),
    cmocka_unit_test(test_signature_two_secrets),
    cmocka_unit_test(test_signature_body_length),
    cmocka_unit_test(test_load_list),
    cmocka_unit_test(test_load_file),
    cmocka_unit_test(test_load_file_refused),
};

UNIT_TEST_MAIN(tests)
