/*
 * hook_secret.h - webhook secrets and the Standard Webhooks signature
 */
#ifndef WAYPOST_HOOK_SECRET_H
#define WAYPOST_HOOK_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"
#include "hook_config.h"

#define HOOK_SECRET_BYTES_MIN 16
#define HOOK_SECRET_BYTES_MAX 64
#define HOOK_SECRET_FILE_MAX  4096

struct hook_secret {
	unsigned char key[HOOK_SECRET_BYTES_MAX];
	size_t length;
};

struct hook_secrets {
	struct hook_secret items[HOOK_SECRETS_MAX];
	size_t count;
};

bool hook_secret_decode(const char *text, struct hook_secret *secret,
    char *error, size_t error_size);
bool hook_secrets_load(const struct webhook_section *webhook,
    struct hook_secrets *secrets, char *error, size_t error_size);
void hook_signature(const struct hook_secrets *secrets, const char *id,
    long long timestamp, const char *body, size_t body_length,
    struct buffer *out);

#endif
