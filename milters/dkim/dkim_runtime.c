/*
 * NAME
 *	dkim_runtime - the settings and keys a message signs with
 * SYNOPSIS
 *	#include "dkim_runtime.h"
 *
 *	struct runtime *runtime_build(config, errors)
 *	void runtime_install(runtime)
 *	struct runtime *runtime_acquire(void)
 *	void runtime_release(runtime)
 * DESCRIPTION
 *	A runtime is everything the milter threads need to sign, copied out
 *	of the configuration (so the configuration may be freed on reload)
 *	together with a loaded keyset. It never changes once built.
 *
 *	runtime_install() makes a runtime current; the one it replaces
 *	is freed when the last message holding it releases it. A message
 *	acquires the current runtime when it starts and keeps it to the
 *	end, so a reload (SIGHUP, or a changed key file) swaps the whole
 *	key set atomically and messages in flight finish with the keys
 *	they started with. The sharing itself is lib/swap_slot.c's.
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim_runtime.h"
#include "log.h"
#include "xmalloc.h"

static struct swap_slot slot = SWAP_SLOT_INITIALIZER;

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
	runtime->item.references = 1;
	runtime->item.destroy = destroy;
	runtime->keyset = keyset;
	runtime->internal_networks.count = config->internal_networks.count;
	runtime->internal_networks.networks =
	    xcalloc(config->internal_networks.count + 1, sizeof(struct cidr));
	memcpy(runtime->internal_networks.networks,
	    config->internal_networks.networks,
	    config->internal_networks.count * sizeof(struct cidr));
	runtime->sign_authenticated = config->sign_authenticated;
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
	runtime->on_error = (enum dkim_on_error)config->on_error;
	return runtime;
}

static void
destroy(struct swap_item *item)
{
	struct runtime *runtime = (struct runtime *)item;

	header_policy_free(&runtime->policy);
	cidr_list_free(&runtime->internal_networks);
	keyset_free(runtime->keyset);
	free(runtime);
}

void
runtime_install(struct runtime *runtime)
{
	swap_slot_install(&slot, runtime != NULL ? &runtime->item : NULL);
}

struct runtime *
runtime_acquire(void)
{
	return (struct runtime *)swap_slot_acquire(&slot);
}

void
runtime_release(struct runtime *runtime)
{
	if (runtime != NULL)
		swap_slot_release(&slot, &runtime->item);
}

void
runtime_shutdown(void)
{
	runtime_install(NULL);
}
