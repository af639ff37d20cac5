/*
 * hook_tenant_section.h - a tenant's webhook hash as a checked [webhook]
 * section
 */
#ifndef WAYPOST_HOOK_TENANT_SECTION_H
#define WAYPOST_HOOK_TENANT_SECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "hook_target.h"

#define HOOK_TENANTS_MAX       10000 /* tenants in the set */
#define HOOK_TENANT_NAME_MAX   200
#define HOOK_TENANT_VALUE_MAX  180 /* one line of the configuration's 198 */
#define HOOK_TENANT_FIELDS_MAX 13  /* the fields a hash may hold */

/* One field of the hash "webhook:TENANT". */
struct hook_tenant_field {
	const char *name;
	size_t name_length;
	const char *value;
	size_t value_length;
};

bool hook_tenant_name_valid(const char *name, size_t length);
bool hook_tenant_field_known(const char *name, size_t length);
char *hook_tenant_section(const char *tenant,
    const struct hook_tenant_field *fields, size_t count, char *why,
    size_t why_size);
struct hook_target *hook_tenant_target(
    const char *tenant, const char *text, char *why, size_t why_size);
bool hook_tenant_check(const char *tenant,
    const struct hook_tenant_field *fields, size_t count, char *why,
    size_t why_size);

#endif
