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
 *	configuration leaves them unset.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "headers_runtime.h"
#include "xmalloc.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct headers_runtime *current;

static void
fill_in(char *out, const char *configured)
{
	if (configured != NULL) {
		snprintf(out, HEADERS_DOMAIN_MAX + 1, "%s", configured);
		return;
	}
	if (gethostname(out, HEADERS_DOMAIN_MAX + 1) != 0 || out[0] == '\0')
		snprintf(out, HEADERS_DOMAIN_MAX + 1, "localhost");
	out[HEADERS_DOMAIN_MAX] = '\0';
}

void
headers_runtime_install(
    const struct headers_config *config, struct headers_config *previous)
{
	struct headers_runtime *runtime = NULL, *old;

	if (config != NULL) {
		runtime = xcalloc(1, sizeof(*runtime));
		runtime->references = 1;
		runtime->config = &config->headers;
		fill_in(runtime->message_id_domain,
		    config->headers.message_id_domain);
		fill_in(runtime->authserv_id, config->headers.authserv_id);
	}
	pthread_mutex_lock(&lock);
	old = current;
	current = runtime;
	if (old != NULL)
		old->retired = previous;
	pthread_mutex_unlock(&lock);
	headers_runtime_release(old);
}

struct headers_runtime *
headers_runtime_acquire(void)
{
	struct headers_runtime *runtime;

	pthread_mutex_lock(&lock);
	runtime = current;
	if (runtime != NULL)
		runtime->references++;
	pthread_mutex_unlock(&lock);
	return runtime;
}

void
headers_runtime_release(struct headers_runtime *runtime)
{
	bool last;

	if (runtime == NULL)
		return;
	pthread_mutex_lock(&lock);
	last = --runtime->references == 0;
	pthread_mutex_unlock(&lock);
	if (!last)
		return;
	if (runtime->retired != NULL)
		config_free(&headers_schema, runtime->retired);
	free(runtime);
}

void
headers_runtime_shutdown(void)
{
	headers_runtime_install(NULL, NULL);
}
