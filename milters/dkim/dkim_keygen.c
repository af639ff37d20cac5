/*
 * NAME
 *	waypost-dkim-keygen - make a DKIM key and its DNS record, or check one
 * SYNOPSIS
 *	waypost-dkim-keygen -d DOMAIN -s SELECTOR [-t rsa|ed25519] [-b BITS]
 *		[-o FILE] [-u USER]
 *	waypost-dkim-keygen --check -d DOMAIN -s SELECTOR -k KEYFILE
 *		[--nameserver IP[:PORT]]
 * DESCRIPTION
 *	The first form writes a new private key (RSA, 2048 bits unless -b
 *	says 1024 to 4096, or Ed25519) to FILE (default SELECTOR.DOMAIN.pem),
 *	created with mode 0600 and never over an existing file, owned by
 *	USER if given (the daemon's user, as require_safe_keys wants). It
 *	prints the DNS record to publish, in zone-file syntax with the text
 *	split into strings of at most 255 bytes, and the KeyTable and
 *	SigningTable lines for waypost-dkim.
 *
 *	The second form looks up SELECTOR._domainkey.DOMAIN (at the given
 *	name server, or the system's) and says whether it matches the
 *	private key. Exit status: 0 match, 1 mismatch, 2 cannot check or
 *	bad usage.
 * SECURITY
 *	The key file is written with O_EXCL and mode 0600 from the start,
 *	so it is never readable by others, not even for a moment.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim_key.h"
#include "dkim_keycheck.h"
#include "dkim_tables.h"
#include "file_read.h"

#define TXT_STRING_MAX 255

struct options {
	const char *domain;
	const char *selector;
	const char *type;
	long bits;
	const char *output;
	const char *user;
	bool check;
	const char *key_file;
	const char *nameserver;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: waypost-dkim-keygen -d DOMAIN -s SELECTOR [-t rsa|ed25519] "
	    "[-b BITS]\n"
	    "                           [-o FILE] [-u USER]\n"
	    "       waypost-dkim-keygen --check -d DOMAIN -s SELECTOR -k KEYFILE\n"
	    "                           [--nameserver IP[:PORT]]\n");
	exit(2);
}

static void fail(const char *format, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
fail(const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "waypost-dkim-keygen: ");
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void
parse(int argc, char **argv, struct options *options)
{
	static const struct option long_options[] = {
	    {"check", no_argument, NULL, 'C'},
	    {"nameserver", required_argument, NULL, 'N'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int option;

	memset(options, 0, sizeof(*options));
	options->type = "rsa";
	options->bits = 2048;
	while ((option = getopt_long(
	            argc, argv, "d:s:t:b:o:u:k:", long_options, NULL)) != -1) {
		switch (option) {
		case 'd':
			options->domain = optarg;
			break;
		case 's':
			options->selector = optarg;
			break;
		case 't':
			options->type = optarg;
			break;
		case 'b':
			options->bits = strtol(optarg, &end, 10);
			if (*end != '\0')
				fail("bad bit count \"%s\"", optarg);
			break;
		case 'o':
			options->output = optarg;
			break;
		case 'u':
			options->user = optarg;
			break;
		case 'k':
			options->key_file = optarg;
			break;
		case 'C':
			options->check = true;
			break;
		case 'N':
			options->nameserver = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || options->domain == NULL ||
	    options->selector == NULL ||
	    (options->check && options->key_file == NULL))
		usage();
	if (!table_name_valid(options->domain))
		fail("bad domain \"%s\"", options->domain);
	if (!table_name_valid(options->selector) ||
	    strlen(options->selector) > SELECTOR_MAX)
		fail("bad selector \"%s\"", options->selector);
	if (strcmp(options->type, "rsa") != 0 &&
	    strcmp(options->type, "ed25519") != 0)
		fail("key type \"%s\": use rsa or ed25519", options->type);
	if (options->bits < RSA_BITS_MIN || options->bits > RSA_BITS_MAX)
		fail("RSA keys have %d to %d bits, not %ld", RSA_BITS_MIN,
		    RSA_BITS_MAX, options->bits);
}

/* The text of the TXT record: "v=DKIM1; k=...; p=BASE64", where p= is the
 * raw key for Ed25519 (RFC 8463) and SubjectPublicKeyInfo for RSA. */
static char *
record_text(EVP_PKEY *key, bool ed25519)
{
	unsigned char raw[32], *public = raw;
	size_t length = sizeof(raw);
	int der_length, prefix;
	char *text;
	size_t text_size;

	if (ed25519) {
		if (EVP_PKEY_get_raw_public_key(key, raw, &length) != 1)
			fail("cannot encode the public key");
	} else {
		public = NULL; /* i2d_PUBKEY() allocates */
		der_length = i2d_PUBKEY(key, &public);
		if (der_length <= 0)
			fail("cannot encode the public key");
		length = (size_t)der_length;
	}
	text_size = sizeof("v=DKIM1; k=ed25519; p=") + 4 * ((length + 2) / 3);
	text = malloc(text_size);
	if (text == NULL)
		fail("out of memory");
	prefix = snprintf(
	    text, text_size, "v=DKIM1; k=%s; p=", ed25519 ? "ed25519" : "rsa");
	EVP_EncodeBlock((unsigned char *)text + prefix, public, (int)length);
	if (public != raw)
		OPENSSL_free(public);
	return text;
}

static void
print_record(const struct options *options, const char *text, const char *path)
{
	size_t length = strlen(text);

	printf("; DKIM key \"%s\" for %s (%s", options->selector,
	    options->domain, options->type);
	if (strcmp(options->type, "rsa") == 0)
		printf(", %ld bits", options->bits);
	printf("), private key in %s\n", path);
	printf(
	    "%s._domainkey.%s. IN TXT (", options->selector, options->domain);
	for (size_t done = 0; done < length; done += TXT_STRING_MAX)
		printf("%s\"%.*s\"", done ? "\n\t" : " ",
		    (int)(length - done < TXT_STRING_MAX ? length - done
		                                         : TXT_STRING_MAX),
		    text + done);
	printf(" )\n\n");
	printf("; waypost-dkim KeyTable line:\n; %s-%s %s:%s:%s\n",
	    options->domain, options->selector, options->domain,
	    options->selector, path);
	printf("; SigningTable (refile:) line:\n; *@%s %s-%s\n",
	    options->domain, options->domain, options->selector);
}

static int
generate(const struct options *options)
{
	bool ed25519 = strcmp(options->type, "ed25519") == 0;
	char default_path[600], absolute[PATH_MAX];
	const char *path = options->output;
	struct passwd *user = NULL;
	EVP_PKEY *key;
	FILE *file;
	char *text;
	int fd;

	if (options->user != NULL && (user = getpwnam(options->user)) == NULL)
		fail("no such user \"%s\"", options->user);
	key = ed25519
	          ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	          : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)options->bits);
	if (key == NULL)
		fail("cannot generate a %s key", options->type);
	if (path == NULL) {
		snprintf(default_path, sizeof(default_path), "%s.%s.pem",
		    options->selector, options->domain);
		path = default_path;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "waypost-dkim-keygen: %s: %s\n", path,
		    strerror(errno));
		EVP_PKEY_free(key);
		return 2;
	}
	if (user != NULL && fchown(fd, user->pw_uid, user->pw_gid) < 0) {
		fprintf(stderr, "waypost-dkim-keygen: chown %s: %s\n", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		EVP_PKEY_free(key);
		return 2;
	}
	file = fdopen(fd, "w");
	if (file == NULL ||
	    PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(file) != 0) {
		fprintf(stderr, "waypost-dkim-keygen: cannot write %s\n", path);
		unlink(path);
		EVP_PKEY_free(key);
		return 2;
	}
	text = record_text(key, ed25519);
	print_record(
	    options, text, realpath(path, absolute) != NULL ? absolute : path);
	free(text);
	EVP_PKEY_free(key);
	return 0;
}

static int
check(const struct options *options)
{
	char message[512], error[256];
	struct stat st;
	size_t size;
	char *pem = file_read(
	    options->key_file, KEY_FILE_MAX, &size, &st, error, sizeof(error));
	enum keycheck_result result;

	if (pem == NULL) {
		fprintf(stderr, "waypost-dkim-keygen: %s\n", error);
		return 2;
	}
	result = keycheck_published(options->domain, options->selector, pem,
	    size, options->nameserver, message, sizeof(message));
	free(pem);
	printf("%s\n", message);
	return result == KEYCHECK_MATCH      ? 0
	       : result == KEYCHECK_MISMATCH ? 1
	                                     : 2;
}

int
main(int argc, char **argv)
{
	struct options options;

	parse(argc, argv, &options);
	return options.check ? check(&options) : generate(&options);
}
