/*
 * NAME
 *	hook_secret - webhook secrets and the Standard Webhooks signature
 * SYNOPSIS
 *	#include "hook_secret.h"
 *
 *	bool hook_secret_decode(text, secret, error, error_size)
 *	bool hook_secrets_load(webhook, secrets, error, error_size)
 *	void hook_signature(secrets, id, timestamp, body, body_length, out)
 * DESCRIPTION
 *	The signing scheme of Standard Webhooks (standardwebhooks.com),
 *	which receivers can check with that project's libraries or a few
 *	lines of their own: the signed content is the message id, ".", the
 *	timestamp in Unix seconds, ".", the body exactly as sent; the
 *	signature its HMAC-SHA256 under the secret, in base64, after
 *	"v1,". Signatures under several secrets go in one header value,
 *	separated by a space: during a rotation the new secret's first,
 *	then the old one's, so a receiver that knows either accepts.
 *
 *	hook_secret_decode() reads a secret written as the scheme writes
 *	them, "whsec_" and the key in base64 (HOOK_SECRET_BYTES_MIN to
 *	HOOK_SECRET_BYTES_MAX bytes). hook_secrets_load() gives a webhook's
 *	secrets: its secret list, or the lines of its secret_file (empty
 *	lines and lines starting with "#" skipped), a file that must not be
 *	readable by others than its owner and group. hook_signature()
 *	appends the header's value to out.
 * SECURITY
 *	Secrets are never logged; errors name the webhook and the problem,
 *	not the text. The file is read with a bound (HOOK_SECRET_FILE_MAX).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "hook_secret.h"
#include "log.h"

#define PREFIX "whsec_"

bool
hook_secret_decode(const char *text, struct hook_secret *secret, char *error,
    size_t error_size)
{
	unsigned char decoded[(HOOK_SECRET_FILE_MAX / 4 + 1) * 3];
	size_t length, padding = 0;
	int got;

	if (strncmp(text, PREFIX, strlen(PREFIX)) != 0) {
		snprintf(error, error_size,
		    "a secret must be whsec_ followed by the key in base64");
		return false;
	}
	text += strlen(PREFIX);
	length = strlen(text);
	if (length == 0 || length % 4 != 0 || length > HOOK_SECRET_FILE_MAX ||
	    strspn(text,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	        "+/=") != length) {
		snprintf(error, error_size,
		    "a secret's key after whsec_ is not base64");
		return false;
	}
	while (padding < 2 && text[length - 1 - padding] == '=')
		padding++;
	got =
	    EVP_DecodeBlock(decoded, (const unsigned char *)text, (int)length);
	if (got < 0 || memchr(text, '=', length - padding) != NULL) {
		snprintf(error, error_size,
		    "a secret's key after whsec_ is not base64");
		return false;
	}
	got -= (int)padding;
	if (got < HOOK_SECRET_BYTES_MIN || got > HOOK_SECRET_BYTES_MAX) {
		snprintf(error, error_size,
		    "a secret's key is %d bytes; from %d to %d are taken", got,
		    HOOK_SECRET_BYTES_MIN, HOOK_SECRET_BYTES_MAX);
		return false;
	}
	memcpy(secret->key, decoded, (size_t)got);
	secret->length = (size_t)got;
	return true;
}

/* The file's text, NUL-terminated, within HOOK_SECRET_FILE_MAX. */
static bool
read_secret_file(
    const char *path, char *text, size_t size, char *error, size_t error_size)
{
	struct stat st;
	ssize_t got;
	size_t length = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		snprintf(error, error_size, "secret_file %s: %s", path,
		    strerror(errno));
		return false;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
		snprintf(error, error_size,
		    "secret_file %s: not a regular file, or others may read "
		    "it (chmod o-rw)",
		    path);
		close(fd);
		return false;
	}
	while ((got = read(fd, text + length, size - 1 - length)) > 0)
		length += (size_t)got;
	close(fd);
	if (got < 0 || length >= size - 1) {
		snprintf(error, error_size, "secret_file %s: %s", path,
		    got < 0 ? strerror(errno) : "too long");
		return false;
	}
	text[length] = '\0';
	return true;
}

static bool
add_secret(struct hook_secrets *secrets, const char *text, char *error,
    size_t error_size)
{
	if (secrets->count == HOOK_SECRETS_MAX) {
		snprintf(error, error_size,
		    "more than %d secrets (the new and the old during a "
		    "rotation)",
		    HOOK_SECRETS_MAX);
		return false;
	}
	if (!hook_secret_decode(
	        text, &secrets->items[secrets->count], error, error_size))
		return false;
	secrets->count++;
	return true;
}

bool
hook_secrets_load(const struct webhook_section *webhook,
    struct hook_secrets *secrets, char *error, size_t error_size)
{
	char text[HOOK_SECRET_FILE_MAX + 2];
	char *line, *next;

	memset(secrets, 0, sizeof(*secrets));
	for (size_t i = 0; i < webhook->secret.count; i++)
		if (!add_secret(
		        secrets, webhook->secret.items[i], error, error_size))
			return false;
	if (webhook->secret_file == NULL)
		return secrets->count > 0;
	if (!read_secret_file(
	        webhook->secret_file, text, sizeof(text), error, error_size))
		return false;
	for (line = text; line != NULL; line = next) {
		size_t length;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		length = strlen(line);
		while (length > 0 &&
		       (line[length - 1] == '\r' || line[length - 1] == ' ' ||
		           line[length - 1] == '\t'))
			line[--length] = '\0';
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		if (!add_secret(secrets, line, error, error_size)) {
			char why[256];

			snprintf(why, sizeof(why), "%s", error);
			snprintf(error, error_size, "secret_file %s: %s",
			    webhook->secret_file, why);
			return false;
		}
	}
	if (secrets->count == 0) {
		snprintf(error, error_size, "secret_file %s: no secret in it",
		    webhook->secret_file);
		return false;
	}
	return true;
}

/* OpenSSL's HMAC, fetched from its provider once for the process. */
static EVP_MAC *
hmac_algorithm(void)
{
	static EVP_MAC *hmac;

	if (hmac == NULL && (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		log_fatal("HMAC is not available in OpenSSL");
	return hmac;
}

/* HMAC-SHA256 of id "." timestamp "." body under one secret. */
static void
sign_one(const struct hook_secret *secret, const char *id,
    const char *timestamp, const char *body, size_t body_length,
    unsigned char mac[EVP_MAX_MD_SIZE], size_t *mac_length)
{
	EVP_MAC_CTX *context = EVP_MAC_CTX_new(hmac_algorithm());
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
	                           OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end()};

	if (context == NULL ||
	    EVP_MAC_init(context, secret->key, secret->length, params) != 1 ||
	    EVP_MAC_update(context, (const unsigned char *)id, strlen(id)) !=
	        1 ||
	    EVP_MAC_update(context, (const unsigned char *)".", 1) != 1 ||
	    EVP_MAC_update(context, (const unsigned char *)timestamp,
	        strlen(timestamp)) != 1 ||
	    EVP_MAC_update(context, (const unsigned char *)".", 1) != 1 ||
	    EVP_MAC_update(context, (const unsigned char *)body, body_length) !=
	        1 ||
	    EVP_MAC_final(context, mac, mac_length, EVP_MAX_MD_SIZE) != 1)
		log_fatal("HMAC-SHA256 failed in OpenSSL");
	EVP_MAC_CTX_free(context);
}

void
hook_signature(const struct hook_secrets *secrets, const char *id,
    long long timestamp, const char *body, size_t body_length,
    struct buffer *out)
{
	char stamp[32];

	snprintf(stamp, sizeof(stamp), "%lld", timestamp);
	for (size_t i = 0; i < secrets->count; i++) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		char encoded[4 * (EVP_MAX_MD_SIZE / 3 + 1) + 1];
		size_t mac_length = 0;

		sign_one(&secrets->items[i], id, stamp, body, body_length, mac,
		    &mac_length);
		EVP_EncodeBlock((unsigned char *)encoded, mac, (int)mac_length);
		buffer_printf(out, "%sv1,%s", i > 0 ? " " : "", encoded);
	}
}
