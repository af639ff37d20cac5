/*
 * NAME
 *	dkim_select - which headers a signature covers, and in what order
 * SYNOPSIS
 *	#include "dkim_sign.h"
 *
 *	void header_policy_select(policy, headers, header_count, tag_h,
 *				 selected, selected_count, selected_max)
 * DESCRIPTION
 *	Builds the h= tag and the list of header instances to hash, by the
 *	rules of RFC 6376 5.4.2: a name listed k times covers the last k
 *	instances of that header, from the bottom up; a name listed more
 *	times than it occurs covers the absence of one more (oversigning),
 *	so a header of that name added later breaks the signature.
 *
 *	Each name of policy->sign is listed as often as it occurs (names not
 *	present are left out). A name of policy->oversign is listed once
 *	more than it occurs: always, or, when "always" is false, only if it
 *	occurs at least once (so an MTA may still add a missing Date or
 *	MIME-Version). Oversigned names not in the sign list are signed too.
 *	Names compare without regard to case; h= is written in lower case.
 *
 *	selected receives the instances to hash, in h= order, NULL for an
 *	oversigned absence; at most selected_max entries are written (the
 *	caller sizes it header_count + oversign_count).
 *
 *	header_policy_init() builds a policy from the configured lists;
 *	an oversign name ending in "?" is oversigned only when present.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_file.h"
#include "dkim_sign.h"
#include "xmalloc.h"

/* Field names compare without case, and without the white space the
 * obsolete syntax allows before the colon ("Subject : x"). */
static bool
same_name(const char *field, const char *name)
{
	size_t length = strlen(field);

	while (length > 0 &&
	       (field[length - 1] == ' ' || field[length - 1] == '\t'))
		length--;
	return length == strlen(name) && strncasecmp(field, name, length) == 0;
}

static size_t
count_named(const struct header_field *headers, size_t count, const char *name)
{
	size_t found = 0;

	for (size_t i = 0; i < count; i++)
		found += same_name(headers[i].name, name);
	return found;
}

/* The k-th instance of name counting from the bottom (k = 0 is last). */
static const struct header_field *
instance_from_bottom(const struct header_field *headers, size_t count,
    const char *name, size_t k)
{
	for (size_t i = count; i-- > 0;)
		if (same_name(headers[i].name, name) && k-- == 0)
			return &headers[i];
	return NULL;
}

static const struct oversign_rule *
find_oversign(const struct header_policy *policy, const char *name)
{
	for (size_t i = 0; i < policy->oversign_count; i++)
		if (strcasecmp(policy->oversign[i].name, name) == 0)
			return &policy->oversign[i];
	return NULL;
}

static bool
in_sign_list(
    const struct header_policy *policy, const char *name, size_t before)
{
	for (size_t i = 0; i < before; i++)
		if (strcasecmp(policy->sign[i], name) == 0)
			return true;
	return false;
}

static void
list_name(const char *name, size_t times, const struct header_field *headers,
    size_t header_count, struct buffer *tag_h,
    const struct header_field **selected, size_t *selected_count,
    size_t selected_max)
{
	for (size_t k = 0; k < times && *selected_count < selected_max; k++) {
		if (tag_h->length > 0)
			buffer_append_char(tag_h, ':');
		for (const char *c = name; *c; c++)
			buffer_append_char(tag_h, *c >= 'A' && *c <= 'Z'
			                              ? (char)(*c - 'A' + 'a')
			                              : *c);
		selected[(*selected_count)++] =
		    instance_from_bottom(headers, header_count, name, k);
	}
}

static size_t
times_listed(const struct oversign_rule *oversign, size_t present)
{
	if (oversign == NULL)
		return present;
	if (oversign->always || present > 0)
		return present + 1;
	return 0;
}

void
header_policy_select(const struct header_policy *policy,
    const struct header_field *headers, size_t header_count,
    struct buffer *tag_h, const struct header_field **selected,
    size_t *selected_count, size_t selected_max)
{
	*selected_count = 0;
	for (size_t i = 0; i < policy->sign_count; i++) {
		const char *name = policy->sign[i];

		if (in_sign_list(policy, name, i))
			continue;
		list_name(name,
		    times_listed(find_oversign(policy, name),
		        count_named(headers, header_count, name)),
		    headers, header_count, tag_h, selected, selected_count,
		    selected_max);
	}
	for (size_t i = 0; i < policy->oversign_count; i++) {
		const struct oversign_rule *oversign = &policy->oversign[i];

		if (in_sign_list(policy, oversign->name, policy->sign_count) ||
		    find_oversign(policy, oversign->name) != oversign)
			continue;
		list_name(oversign->name,
		    times_listed(oversign,
		        count_named(headers, header_count, oversign->name)),
		    headers, header_count, tag_h, selected, selected_count,
		    selected_max);
	}
}

void
header_policy_init(struct header_policy *policy, const struct config_list *sign,
    const struct config_list *oversign)
{
	policy->sign_count = sign->count;
	policy->sign =
	    xcalloc(sign->count ? sign->count : 1, sizeof(*policy->sign));
	for (size_t i = 0; i < sign->count; i++)
		policy->sign[i] = xstrdup(sign->items[i]);
	policy->oversign_count = oversign->count;
	policy->oversign = xcalloc(
	    oversign->count ? oversign->count : 1, sizeof(*policy->oversign));
	for (size_t i = 0; i < oversign->count; i++) {
		const char *name = oversign->items[i];
		size_t length = strlen(name);
		bool when_present = length > 1 && name[length - 1] == '?';

		policy->oversign[i].name =
		    xstrndup(name, length - (when_present ? 1 : 0));
		policy->oversign[i].always = !when_present;
	}
}

void
header_policy_free(struct header_policy *policy)
{
	for (size_t i = 0; i < policy->sign_count; i++)
		free(policy->sign[i]);
	free(policy->sign);
	for (size_t i = 0; i < policy->oversign_count; i++)
		free(policy->oversign[i].name);
	free(policy->oversign);
	memset(policy, 0, sizeof(*policy));
}
