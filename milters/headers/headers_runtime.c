/*
 * NAME
 *	headers_runtime - the configuration messages use, swapped whole
 * SYNOPSIS
 *	#include "headers_runtime.h"
 *
 *	struct swap_item *headers_runtime_build(config, errors)
 * DESCRIPTION
 *	headers_runtime_build() is waypost-headers' build() for
 *	lib/daemon.c, which makes the runtime current at start and on
 *	SIGHUP. A message acquires the current runtime at MAIL FROM and
 *	releases it with its verdict (milters/common/milter_message.c), so
 *	a reload never changes the rules
 *	under a message; the configuration the runtime points into lives as
 *	long as it does (lib/swap_slot.c).
 *
 *	The host name fills in message_id_domain and authserv_id when the
 *	configuration leaves them unset. The runtime holds the identity
 *	sources of rule 2 (identities_file, read here, and the Redis
 *	connections), so a reload reads the file again and reconnects; a
 *	file that does not load refuses the configuration, at -n, at start
 *	and at a reload (which keeps the running one).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "headers_runtime.h"
#include "text_copy.h"
#include "xmalloc.h"

static void
fill_in(char *out, const char *configured)
{
	if (configured != NULL) {
		text_copy(out, HEADERS_DOMAIN_MAX + 1, configured);
		return;
	}
	if (gethostname(out, HEADERS_DOMAIN_MAX + 1) != 0 || out[0] == '\0')
		snprintf(out, HEADERS_DOMAIN_MAX + 1, "localhost");
	out[HEADERS_DOMAIN_MAX] = '\0';
}

static void
destroy(struct swap_item *item)
{
	struct headers_runtime *runtime = (struct headers_runtime *)item;

	identity_sources_close(&runtime->identities);
	free(runtime);
}

struct swap_item *
headers_runtime_build(const void *config_struct, struct config_errors *errors)
{
	const struct headers_config *config = config_struct;
	struct headers_runtime *runtime = xcalloc(1, sizeof(*runtime));

	if (!identity_sources_open(&runtime->identities, config, errors)) {
		free(runtime);
		return NULL;
	}
	swap_item_init(&runtime->item, destroy);
	runtime->config = &config->headers;
	fill_in(runtime->message_id_domain, config->headers.message_id_domain);
	fill_in(runtime->authserv_id, config->headers.authserv_id);
	return &runtime->item;
}
