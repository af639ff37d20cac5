/*
 * NAME
 *	headers_runtime - the configuration messages use, swapped whole
 * SYNOPSIS
 *	#include "headers_runtime.h"
 *
 *	void headers_runtime_install(config, previous)
 *	struct headers_runtime *headers_runtime_acquire(void)
 *	void headers_runtime_release(runtime)
 *	void headers_runtime_shutdown(void)
 * DESCRIPTION
 *	A message acquires the current runtime at MAIL FROM and releases
 *	it with its verdict, so a reload (SIGHUP) never changes the rules
 *	under a message. headers_runtime_install() makes config current;
 *	previous, the configuration the daemon just replaced, is handed to
 *	the runtime it replaces, and freed when the last message holding
 *	that runtime releases it. The daemon frees its current
 *	configuration itself at exit, after headers_runtime_shutdown().
 *
 *	The host name fills in message_id_domain and authserv_id when the
 *	configuration leaves them unset. The runtime holds the identity
 *	sources of rule 2 (identities_file read at install, and the Redis
 *	connections), so a reload reads the file again and reconnects.
 *	The daemon checked the file before (headers_main.c); if it no
 *	longer loads, the error is logged and rule 2 cannot answer, which
 *	identities_unavailable decides.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "headers_runtime.h"
#include "log.h"
#include "text_copy.h"
#include "xmalloc.h"

static struct swap_slot slot = SWAP_SLOT_INITIALIZER;

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
	if (runtime->retired != NULL)
		config_free(&headers_schema, runtime->retired);
	free(runtime);
}

void
headers_runtime_install(
    const struct headers_config *config, struct headers_config *previous)
{
	struct headers_runtime *runtime = NULL, *old;
	struct config_errors *errors;

	if (config != NULL) {
		runtime = xcalloc(1, sizeof(*runtime));
		runtime->item.references = 1;
		runtime->item.destroy = destroy;
		runtime->config = &config->headers;
		fill_in(runtime->message_id_domain,
		    config->headers.message_id_domain);
		fill_in(runtime->authserv_id, config->headers.authserv_id);
		errors = xcalloc(1, sizeof(*errors));
		if (!identity_sources_open(
		        &runtime->identities, config, errors))
			for (size_t i = 0; i < errors->count; i++)
				log_error("%s", errors->text[i]);
		free(errors);
	}
	/* Only this thread writes retired, and it holds a reference while
	 * it does: the old runtime cannot be destroyed before. */
	if ((old = headers_runtime_acquire()) != NULL) {
		old->retired = previous;
		headers_runtime_release(old);
	}
	swap_slot_install(&slot, runtime != NULL ? &runtime->item : NULL);
}

struct headers_runtime *
headers_runtime_acquire(void)
{
	return (struct headers_runtime *)swap_slot_acquire(&slot);
}

void
headers_runtime_release(struct headers_runtime *runtime)
{
	if (runtime != NULL)
		swap_slot_release(&slot, &runtime->item);
}

void
headers_runtime_shutdown(void)
{
	headers_runtime_install(NULL, NULL);
}
