/*
 * test_dkim_tables.c - OpenDKIM KeyTable/SigningTable files, key files,
 * and the key set that ties them together
 */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "dkim_keyset.h"
#include "unit_test.h"
#include "assert_errors.h"

static struct config_errors errors;

static bool
parse_keytable(const char *text, struct keytable *table)
{
	memset(&errors, 0, sizeof(errors));
	return keytable_parse("KeyTable", text, strlen(text), table, &errors);
}

static void
test_keytable(void **state)
{
	struct keytable table;
	const struct key_entry *entry;

	(void)state;
	assert_true(
	    parse_keytable("# OpenDKIM KeyTable\n\n"
	                   "s1 Example.COM:s1:/etc/keys/s1.pem   # rsa\n"
	                   "any %:relay:/etc/keys/relay.pem\r\n",
	        &table));
	assert_int_equal(table.count, 2);
	entry = keytable_find(&table, "s1");
	assert_non_null(entry);
	assert_string_equal(entry->domain, "example.com");
	assert_string_equal(entry->selector, "s1");
	assert_string_equal(entry->path, "/etc/keys/s1.pem");
	assert_int_equal(entry->line, 3);
	assert_string_equal(keytable_find(&table, "any")->domain, "%");
	assert_null(keytable_find(&table, "S1"));
	keytable_free(&table);
}

static void
test_keytable_errors(void **state)
{
	struct keytable table;

	(void)state;
	assert_false(parse_keytable("k example.com:s1\n", &table));
	assert_config_error(
	    &errors, "KeyTable:1: expected domain:selector:/path/to/key");
	keytable_free(&table);
	assert_false(parse_keytable("k example.com:s1:MIIEvQIBADAN\n", &table));
	assert_config_error(
	    &errors, "KeyTable:1: the key must be an absolute file path");
	keytable_free(&table);
	assert_false(parse_keytable("k exa mple.com:s1:/k\n", &table));
	assert_config_error(&errors, "KeyTable:1: expected two fields");
	keytable_free(&table);
	assert_false(parse_keytable("k bad_$:s1:/k\n", &table));
	assert_config_error(&errors, "KeyTable:1: bad domain");
	keytable_free(&table);
	assert_false(parse_keytable("k ex.com:s:1:/k\n", &table));
	keytable_free(&table);
	assert_false(parse_keytable("k\n", &table));
	assert_config_error(&errors, "KeyTable:1: expected two fields");
	keytable_free(&table);
	assert_false(parse_keytable(
	    "a ex.com:s1:/k1\nb ex.com:s2:/k2\na ex.com:s3:/k3\n", &table));
	assert_config_error(&errors,
	    "KeyTable:3: key name \"a\" appears twice (first on line 1)");
	keytable_free(&table);
}

static size_t
lookup(const char *text, bool wildcards, const char *local, const char *domain,
    const char **names)
{
	struct signtable table;
	struct author_address author;
	size_t count;
	static char copies[8][64];

	memset(&errors, 0, sizeof(errors));
	assert_true(signtable_parse(
	    "SigningTable", text, strlen(text), wildcards, &table, &errors));
	snprintf(author.local, sizeof(author.local), "%s", local);
	snprintf(author.domain, sizeof(author.domain), "%s", domain);
	count = signtable_lookup(&table, &author, names, 8);
	for (size_t i = 0; i < count; i++) {
		snprintf(copies[i], sizeof(copies[i]), "%s", names[i]);
		names[i] = copies[i];
	}
	signtable_free(&table);
	return count;
}

static void
test_plain_lookup_order(void **state)
{
	const char *table = "*              k9\n"
	                    ".com           k8\n"
	                    "user@.com      k7\n"
	                    ".example.com   k6\n"
	                    "user@.example.com k5\n"
	                    "host.example.com k2\n"
	                    "user@host.example.com k1\n"
	                    "host.example.com k2b\n";
	const char *names[8];

	(void)state;
	assert_int_equal(
	    lookup(table, false, "user", "host.example.com", names), 8);
	assert_string_equal(names[0], "k1");
	assert_string_equal(names[1], "k2");
	assert_string_equal(names[2], "k2b");
	assert_string_equal(names[3], "k5");
	assert_string_equal(names[4], "k6");
	assert_string_equal(names[5], "k7");
	assert_string_equal(names[6], "k8");
	assert_string_equal(names[7], "k9");
	assert_int_equal(
	    lookup("Example.org ka\n", false, "x", "example.org", names), 1);
	assert_int_equal(
	    lookup("example.org ka\n", false, "x", "sub.example.org", names),
	    0);
	assert_int_equal(lookup("example.org ka\nexample.org ka\n", false, "x",
	                     "example.org", names),
	    1);
}

static void
test_refile_lookup(void **state)
{
	const char *table = "*@example.com       rsa\n"
	                    "*@example.com       ed\n"
	                    "billing@*.example.net billing\n"
	                    "*                   relay\n";
	const char *names[8];

	(void)state;
	assert_int_equal(lookup(table, true, "Alice", "example.com", names), 3);
	assert_string_equal(names[0], "rsa");
	assert_string_equal(names[1], "ed");
	assert_string_equal(names[2], "relay");
	assert_int_equal(
	    lookup(table, true, "billing", "eu.example.net", names), 2);
	assert_string_equal(names[0], "billing");
	assert_int_equal(
	    lookup("*@example.com x\n", true, "a", "example.com.evil", names),
	    0);
	assert_int_equal(
	    lookup("*@example.com x\n", true, "a", "notexample.com", names), 0);
}

/* Key files. */
static char directory[64];

static int
setup(void **state)
{
	(void)state;
	if (!unit_temp_path(
	        directory, sizeof(directory), "waypost-keys-XXXXXX"))
		return -1;
	return mkdtemp(directory) ? 0 : -1;
}

static int
teardown(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf %s", directory);
	return system(command) == 0 ? 0 : -1;
}

/* Paths live until the next test: several may be used in one call. */
static char paths[16][128];
static size_t path_count;

static const char *
new_path(const char *name)
{
	char *path = paths[path_count++ % 16];

	snprintf(path, 128, "%s/%s", directory, name);
	return path;
}

static const char *
write_key(const char *name, EVP_PKEY *key, mode_t mode)
{
	const char *path = new_path(name);
	FILE *file;

	file = fopen(path, "w");
	assert_non_null(file);
	assert_int_equal(
	    PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(file);
	chmod(path, mode);
	return path;
}

static const char *
write_text(const char *name, const char *text)
{
	const char *path = new_path(name);
	FILE *file = fopen(path, "w");

	fputs(text, file);
	fclose(file);
	chmod(path, 0600);
	return path;
}

/* Rewritten within the clock's tick, a file keeps its mtime: move it a
 * second on, as a later write would. */
static void
move_mtime_on(const char *path)
{
	struct timespec times[2];
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	times[1].tv_sec += 1;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static const struct key_owner safe = {true, 0};

static bool
load_key(const char *path, struct signing_key *key, char *error)
{
	return signing_key_load(path, &safe, key, error, 512);
}

static void
test_key_files(void **state)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct signing_key key;
	char error[512];

	(void)state;
	assert_true(load_key(write_key("rsa.pem", rsa, 0600), &key, error));
	assert_int_equal(key.algorithm, SIGNATURE_RSA_SHA256);
	assert_int_equal(key.bits, 2048);
	signing_key_free(&key);
	assert_true(load_key(write_key("ed.pem", ed, 0400), &key, error));
	assert_int_equal(key.algorithm, SIGNATURE_ED25519_SHA256);
	signing_key_free(&key);
	assert_false(
	    load_key(write_key("small.pem", small, 0600), &key, error));
	assert_non_null(strstr(error,
	    "RSA key of 768 bits: DKIM keys must have 1024 to 4096 bits"));
	assert_false(load_key(write_key("ec.pem", ec, 0600), &key, error));
	assert_non_null(strstr(error, "unsupported key type"));
	assert_false(load_key(write_key("open.pem", rsa, 0640), &key, error));
	assert_non_null(strstr(error,
	    "may be read or written by group or others (mode 0640): chmod 600"));
	assert_false(
	    load_key(write_text("junk.pem", "not a key\n"), &key, error));
	assert_non_null(strstr(error, "junk.pem: not a PEM private key"));
	assert_false(load_key("/nonexistent/key.pem", &key, error));
	assert_non_null(strstr(error, "cannot open"));
	assert_false(load_key(directory, &key, error));
	assert_non_null(strstr(error, "not a regular file"));
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec);
}

static void
test_key_owner(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct passwd *nobody = getpwnam("nobody");
	struct key_owner daemon_user = {true, nobody->pw_uid};
	struct key_owner unchecked = {false, 0};
	struct signing_key key;
	char error[512];
	const char *path = write_key("owned.pem", ed, 0600);

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(path, 1, 1), 0); /* daemon (uid 1) */
	assert_false(signing_key_load(path, &daemon_user, &key, error, 512));
	assert_non_null(strstr(error, "is owned by uid 1, neither root nor"));
	assert_int_equal(chown(path, nobody->pw_uid, 0), 0);
	assert_true(signing_key_load(path, &daemon_user, &key, error, 512));
	signing_key_free(&key);
	chmod(path, 0644);
	assert_true(signing_key_load(path, &unchecked, &key, error, 512));
	signing_key_free(&key);
	EVP_PKEY_free(ed);
}

static struct dkim_section
section(const char *key_table, const char *signing_table, const char *fallback)
{
	struct dkim_section config;

	memset(&config, 0, sizeof(config));
	config.key_table = (char *)key_table;
	config.signing_table = (char *)signing_table;
	config.fallback_key = (char *)fallback;
	config.require_safe_keys = true;
	return config;
}

static void
test_keyset(void **state)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char keytable[1024], signtable[160], spec[180];
	struct dkim_section config;
	struct keyset *keyset;
	struct signer signers[8];
	struct author_address author = {"alice", "example.com"};
	struct author_address stranger = {"bob", "other.example"};

	(void)state;
	snprintf(keytable, sizeof(keytable),
	    "rsa example.com:s1:%s\ned example.com:e1:%s\nrelay %%:relay:%s\n",
	    write_key("rsa.pem", rsa, 0600), write_key("ed.pem", ed, 0600),
	    write_key("relay.pem", ed, 0600));
	snprintf(
	    keytable, sizeof(keytable), "%s", write_text("KeyTable", keytable));
	snprintf(signtable, sizeof(signtable), "%s",
	    write_text(
	        "SigningTable", "*@example.com rsa\n*@example.com ed\n"));
	snprintf(spec, sizeof(spec), "refile:%s", signtable);
	config = section(keytable, spec, "relay");
	memset(&errors, 0, sizeof(errors));
	keyset = keyset_load(&config, &safe, &errors);
	assert_non_null(keyset);
	assert_int_equal(keyset_signers(keyset, &author, signers, 8), 2);
	assert_string_equal(signers[0].selector, "s1");
	assert_int_equal(signers[0].algorithm, SIGNATURE_RSA_SHA256);
	assert_string_equal(signers[1].selector, "e1");
	assert_int_equal(signers[1].algorithm, SIGNATURE_ED25519_SHA256);
	assert_int_equal(keyset_signers(keyset, &stranger, signers, 8), 1);
	assert_string_equal(signers[0].selector, "relay");
	assert_string_equal(signers[0].domain, "other.example");
	assert_false(keyset_changed(keyset));
	move_mtime_on(write_key("ed.pem", ed, 0600));
	assert_true(keyset_changed(keyset));
	keyset_free(keyset);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

static void
test_keyset_errors(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char keytable[160], signtable[160], text[256];
	struct dkim_section config;

	(void)state;
	snprintf(text, sizeof(text),
	    "ed example.com:e1:%s\nbad example.com:b1:%s\n",
	    write_key("ed.pem", ed, 0600), write_key("bad.pem", ed, 0644));
	snprintf(
	    keytable, sizeof(keytable), "%s", write_text("KeyTable", text));
	snprintf(signtable, sizeof(signtable), "%s",
	    write_text(
	        "SigningTable", "example.com ed\nexample.org missing\n"));
	config = section(keytable, signtable, "nokey");
	memset(&errors, 0, sizeof(errors));
	assert_null(keyset_load(&config, &safe, &errors));
	assert_config_error(&errors, "KeyTable:2: ");
	assert_config_error(
	    &errors, "bad.pem may be read or written by group or others");
	chmod(write_key("bad.pem", ed, 0600), 0600);
	memset(&errors, 0, sizeof(errors));
	assert_null(keyset_load(&config, &safe, &errors));
	assert_config_error(&errors,
	    "SigningTable:2: no key named \"missing\" in the KeyTable");
	assert_config_error(
	    &errors, "[dkim] fallback_key: no key named \"nokey\"");
	config = section("/nonexistent/KeyTable", NULL, NULL);
	memset(&errors, 0, sizeof(errors));
	assert_null(keyset_load(&config, &safe, &errors));
	assert_config_error(&errors, "/nonexistent/KeyTable: cannot open");
	EVP_PKEY_free(ed);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_keytable),
    cmocka_unit_test(test_keytable_errors),
    cmocka_unit_test(test_plain_lookup_order),
    cmocka_unit_test(test_refile_lookup),
    cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
    cmocka_unit_test_setup_teardown(test_key_owner, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyset, setup, teardown),
    cmocka_unit_test_setup_teardown(test_keyset_errors, setup, teardown),
};

UNIT_TEST_MAIN(tests)
