/*
 * NAME
 *	dkim_runtime - what a message signs with: settings and keys, swapped
 *whole SYNOPSIS #include "dkim_runtime.h"
 *
 *	struct dkim_runtime *dkim_runtime_build(config, errors)
 *	void dkim_runtime_install(runtime)
 *	struct dkim_runtime *dkim_runtime_acquire(void)
 *	void dkim_runtime_release(runtime)
 * DESCRIPTION
 *	A runtime is everything the milter threads need to sign, copied out
 *	of the configuration (so the configuration may be freed on reload)
 *	together with a loaded keyset. It never changes once built.
 *
 *	dkim_runtime_install() makes a runtime current; the one it replaces
 *	is freed when the last message holding it releases it. A message
 *	acquires the current runtime when it starts and keeps it to the
 *	end, so a reload (SIGHUP, or a changed key file) swaps the whole
 *	key set atomically and messages in flight finish with the keys
 *	they started with.
 * SECURITY
 *	The lock guards only the current pointer and the reference counts.
 */
#include "config.h"

#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim_runtime.h"
#include "log.h"
#include "xmalloc.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct dkim_runtime *current;

bool
dkim_key_owner_for(const struct dkim_section *config,
    struct dkim_key_owner *owner, char *error, size_t error_size)
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

static void
copy_policy(
    struct dkim_header_policy *policy, const struct dkim_section *config)
{
	policy->sign_count = config->sign_headers.count;
	policy->sign = xcalloc(
	    policy->sign_count ? policy->sign_count : 1, sizeof(*policy->sign));
	for (size_t i = 0; i < policy->sign_count; i++)
		policy->sign[i] = xstrdup(config->sign_headers.items[i]);
	policy->oversign_count = config->oversign_headers.count;
	policy->oversign =
	    xcalloc(policy->oversign_count ? policy->oversign_count : 1,
	        sizeof(*policy->oversign));
	for (size_t i = 0; i < policy->oversign_count; i++) {
		const char *name = config->oversign_headers.items[i];
		size_t length = strlen(name);
		bool when_present = length > 1 && name[length - 1] == '?';

		policy->oversign[i].name =
		    xstrndup(name, length - (when_present ? 1 : 0));
		policy->oversign[i].always = !when_present;
	}
}

struct dkim_runtime *
dkim_runtime_build(
    const struct dkim_section *config, struct config_errors *errors)
{
	struct dkim_key_owner owner;
	struct dkim_runtime *runtime;
	struct dkim_keyset *keyset;
	char error[256];

	if (!dkim_key_owner_for(config, &owner, error, sizeof(error))) {
		config_errors_add(errors, "[dkim] user: %s", error);
		return NULL;
	}
	keyset = dkim_keyset_load(config, &owner, errors);
	if (keyset == NULL)
		return NULL;
	runtime = xcalloc(1, sizeof(*runtime));
	runtime->references = 1;
	runtime->keyset = keyset;
	runtime->internal_networks.count = config->internal_networks.count;
	runtime->internal_networks.networks =
	    xcalloc(config->internal_networks.count + 1, sizeof(struct cidr));
	memcpy(runtime->internal_networks.networks,
	    config->internal_networks.networks,
	    config->internal_networks.count * sizeof(struct cidr));
	runtime->sign_authenticated = config->sign_authenticated;
	runtime->header_canon =
	    config->canonicalization <= DKIM_C_RELAXED_SIMPLE
	        ? DKIM_CANON_RELAXED
	        : DKIM_CANON_SIMPLE;
	runtime->body_canon =
	    config->canonicalization == DKIM_C_RELAXED_RELAXED ||
	            config->canonicalization == DKIM_C_SIMPLE_RELAXED
	        ? DKIM_CANON_RELAXED
	        : DKIM_CANON_SIMPLE;
	copy_policy(&runtime->policy, config);
	runtime->ttl_seconds = config->signature_ttl / 1000;
	runtime->on_error = (enum dkim_on_error)config->on_error;
	return runtime;
}

static void
destroy(struct dkim_runtime *runtime)
{
	for (size_t i = 0; i < runtime->policy.sign_count; i++)
		free(runtime->policy.sign[i]);
	free(runtime->policy.sign);
	for (size_t i = 0; i < runtime->policy.oversign_count; i++)
		free(runtime->policy.oversign[i].name);
	free(runtime->policy.oversign);
	cidr_list_free(&runtime->internal_networks);
	dkim_keyset_free(runtime->keyset);
	free(runtime);
}

void
dkim_runtime_install(struct dkim_runtime *runtime)
{
	struct dkim_runtime *old;

	pthread_mutex_lock(&lock);
	old = current;
	current = runtime;
	pthread_mutex_unlock(&lock);
	if (old != NULL)
		dkim_runtime_release(old);
}

struct dkim_runtime *
dkim_runtime_acquire(void)
{
	struct dkim_runtime *runtime;

	pthread_mutex_lock(&lock);
	runtime = current;
	if (runtime != NULL)
		runtime->references++;
	pthread_mutex_unlock(&lock);
	return runtime;
}

void
dkim_runtime_release(struct dkim_runtime *runtime)
{
	bool last;

	if (runtime == NULL)
		return;
	pthread_mutex_lock(&lock);
	last = --runtime->references == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		destroy(runtime);
}

void
dkim_runtime_shutdown(void)
{
	dkim_runtime_install(NULL);
}
