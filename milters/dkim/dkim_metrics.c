/*
 * NAME
 *	dkim_metrics - what waypost-dkim counts, for Prometheus
 * SYNOPSIS
 *	#include "dkim_metrics.h"
 *
 *	void dkim_metrics_init(void)
 *	struct metric *dkim_metrics_signatures(domain, algorithm)
 *	void dkim_metrics_unsigned(reason)
 *	void dkim_metrics_key_reload(ok)
 *	void dkim_metrics_keys_loaded(key_count)
 * DESCRIPTION
 *	waypost-dkim's families (lib/metrics.c), beside the milter engine's
 *	(milters/common/milter_metrics.c):
 *
 *	waypost_dkim_signatures_total{domain,algorithm}
 *		DKIM-Signature headers added. domain is the KeyTable's
 *		domain of the key, as written: "%" for a key that signs with
 *		the author's domain, which is never a label value (it comes
 *		from the message, and would grow the scrape without bound).
 *	waypost_dkim_unsigned_total{reason}
 *		messages not signed, by reason (the words of reason_names),
 *		whatever on_error then did with them.
 *	waypost_dkim_key_reloads_total{result}
 *		key sets built again because a table or key file changed (a
 *		SIGHUP is waypost_config_reloads_total's).
 *
 *	dkim_metrics_init() registers them, every reason and result at 0;
 *	main() calls it before anything else. dkim_metrics_signatures()
 *	gives the series of a KeyTable entry, made when a key set loads
 *	(dkim_keyset.c) and kept with the key, so signing looks nothing
 *	up. dkim_metrics_keys_loaded() sets /readyz's "keys" condition: a
 *	key set is current and holds at least one key.
 */
#include "config.h"

#include <pthread.h>

#include "dkim_metrics.h"
#include "metrics.h"

static const char *const reason_names[UNSIGNED_REASONS] = {
    [UNSIGNED_SHUTTING_DOWN] = "shutting_down",
    [UNSIGNED_NOT_READY] = "not_ready",
    [UNSIGNED_UNTRUSTED_CLIENT] = "untrusted_client",
    [UNSIGNED_AUTHENTICATED_CLIENT] = "authenticated_client",
    [UNSIGNED_HEADER_LIMIT] = "header_limit",
    [UNSIGNED_NO_FROM] = "no_from",
    [UNSIGNED_MULTIPLE_FROM] = "multiple_from",
    [UNSIGNED_BAD_FROM] = "bad_from",
    [UNSIGNED_NO_KEY] = "no_key",
    [UNSIGNED_SIGNING_ERROR] = "signing_error",
    [UNSIGNED_MTA_REFUSED] = "mta_refused",
    [UNSIGNED_CONNECTION_LOST] = "connection_lost",
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct metric_family *signatures;
static struct metric *unsigned_by_reason[UNSIGNED_REASONS];
static struct metric *key_reload_ok, *key_reload_error;

static void
register_families(void)
{
	struct metric_family *family;

	signatures = metric_family("waypost_dkim_signatures_total",
	    "DKIM signatures added, by the KeyTable domain of the key and "
	    "the algorithm.",
	    METRIC_COUNTER, "domain,algorithm");
	family = metric_family("waypost_dkim_unsigned_total",
	    "Messages not signed, by reason.", METRIC_COUNTER, "reason");
	for (size_t i = 0; i < UNSIGNED_REASONS; i++)
		unsigned_by_reason[i] = metric_series(family, reason_names[i]);
	family = metric_family("waypost_dkim_key_reloads_total",
	    "Key sets loaded again because a table or key file changed, by "
	    "result.",
	    METRIC_COUNTER, "result");
	key_reload_ok = metric_series(family, "ok");
	key_reload_error = metric_series(family, "error");
}

void
dkim_metrics_init(void)
{
	pthread_once(&once, register_families);
}

struct metric *
dkim_metrics_signatures(const char *domain, enum signature_algorithm algorithm)
{
	dkim_metrics_init();
	return metric_series(
	    signatures, domain, signature_algorithm_name(algorithm));
}

void
dkim_metrics_unsigned(enum dkim_unsigned_reason reason)
{
	dkim_metrics_init();
	metric_inc(unsigned_by_reason[reason]);
}

void
dkim_metrics_key_reload(bool ok)
{
	dkim_metrics_init();
	metric_inc(ok ? key_reload_ok : key_reload_error);
}

void
dkim_metrics_keys_loaded(size_t key_count)
{
	metrics_ready_set("keys", key_count > 0);
}
