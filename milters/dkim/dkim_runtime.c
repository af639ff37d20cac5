/*
 * NAME
 *	dkim_runtime - the settings and keys a message signs with
 * SYNOPSIS
 *	#include "dkim_runtime.h"
 *
 *	struct runtime *runtime_build(config, errors)
 *	struct runtime *runtime_acquire(void)
 *	void runtime_release(runtime)
 * DESCRIPTION
 *	A runtime is everything the milter threads need to sign: the
 *	[dkim] section it was built from, what is worked out of it once
 *	(canonicalization, the headers to sign), and a loaded key set. It
 *	never changes once built.
 *
 *	runtime_build() is waypost-dkim's build() for lib/daemon.c, which
 *	makes the runtime current at start, on SIGHUP and when a key file
 *	changed. A message acquires the current runtime when it starts and
 *	keeps it to the end, so a reload swaps the whole key set atomically
 *	and messages in flight finish with the keys they started with; the
 *	configuration it points into lives as long as it does
 *	(lib/swap_slot.c).
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dkim_runtime.h"
#include "log.h"
#include "xmalloc.h"

static void destroy(struct swap_item *item);

bool
key_owner_for(const struct dkim_section *config, struct key_owner *owner,
    char *error, size_t error_size)
{
	owner->check = config->require_safe_keys;
	owner->uid = geteuid();
	if (config->daemon.user != NULL) {
		struct passwd *user = getpwnam(config->daemon.user);

		if (user == NULL) {
			snprintf(error, error_size, "no such user \"%s\"",
			    config->daemon.user);
			return false;
		}
		owner->uid = user->pw_uid;
	}
	return true;
}

struct runtime *
runtime_build(const struct dkim_section *config, struct config_errors *errors)
{
	struct key_owner owner;
	struct runtime *runtime;
	struct keyset *keyset;
	char error[256];

	if (!key_owner_for(config, &owner, error, sizeof(error))) {
		config_errors_add(errors, "[dkim] user: %s", error);
		return NULL;
	}
	keyset = keyset_load(config, &owner, errors);
	if (keyset == NULL)
		return NULL;
	runtime = xcalloc(1, sizeof(*runtime));
	swap_item_init(&runtime->item, destroy);
	runtime->config = config;
	runtime->keyset = keyset;
	runtime->header_canon =
	    config->canonicalization <= DKIM_C_RELAXED_SIMPLE ? CANON_RELAXED
	                                                      : CANON_SIMPLE;
	runtime->body_canon =
	    config->canonicalization == DKIM_C_RELAXED_RELAXED ||
	            config->canonicalization == DKIM_C_SIMPLE_RELAXED
	        ? CANON_RELAXED
	        : CANON_SIMPLE;
	runtime->line_limit = (size_t)config->smtp_line_length_limit;
	header_policy_init(
	    &runtime->policy, &config->sign_headers, &config->oversign_headers);
	runtime->ttl_seconds = config->signature_ttl / 1000;
	return runtime;
}

static void
destroy(struct swap_item *item)
{
	struct runtime *runtime = (struct runtime *)item;

	header_policy_free(&runtime->policy);
	keyset_free(runtime->keyset);
	free(runtime);
}

struct runtime *
runtime_acquire(void)
{
	return (struct runtime *)daemon_runtime_acquire();
}

void
runtime_release(struct runtime *runtime)
{
	if (runtime != NULL)
		daemon_runtime_release(&runtime->item);
}
