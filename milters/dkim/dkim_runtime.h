/*
 * dkim_runtime.h - what a message signs with: settings and keys, swapped whole
 */
#ifndef WAYPOST_DKIM_RUNTIME_H
#define WAYPOST_DKIM_RUNTIME_H

#include <stdbool.h>

#include "cidr.h"
#include "config_file.h"
#include "dkim_canon.h"
#include "dkim_config.h"
#include "dkim_keyset.h"
#include "dkim_sign.h"

struct dkim_runtime {
	int references; /* guarded by the runtime lock */
	struct cidr_list internal_networks;
	bool sign_authenticated;
	enum dkim_canon header_canon;
	enum dkim_canon body_canon;
	struct dkim_header_policy policy;
	long long ttl_seconds;
	enum dkim_on_error on_error;
	struct dkim_keyset *keyset;
};

bool dkim_key_owner_for(const struct dkim_section *config,
    struct dkim_key_owner *owner, char *error, size_t error_size);
struct dkim_runtime *dkim_runtime_build(
    const struct dkim_section *config, struct config_errors *errors);
void dkim_runtime_install(struct dkim_runtime *runtime);
struct dkim_runtime *dkim_runtime_acquire(void);
void dkim_runtime_release(struct dkim_runtime *runtime);
void dkim_runtime_shutdown(void);

#endif
